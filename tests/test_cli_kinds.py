"""``torch-designer kinds``: the catalogue as text grouped by category, or as stable JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from designer.catalogue_listing import LISTING_FORMAT, LISTING_VERSION
from designer.cli import EXIT_BROKEN_PIPE, main
from designer.graph import CATALOGUE, CATEGORIES
from designer.graph.params import ParamType


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = run(capsys, "kinds", "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def test_json_lists_every_kind_once_in_palette_order(capsys: pytest.CaptureFixture[str]) -> None:
    document = listing(capsys)
    assert document["format"] == LISTING_FORMAT
    assert document["version"] == LISTING_VERSION
    assert document["categories"] == list(CATEGORIES)
    kinds = document["kinds"]
    assert isinstance(kinds, list)
    assert sorted(entry["name"] for entry in kinds) == sorted(CATALOGUE)
    order = [CATEGORIES.index(entry["category"]) for entry in kinds]
    assert order == sorted(order)


def test_json_entries_match_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = listing(capsys)["kinds"]
    assert isinstance(kinds, list)
    for entry in kinds:
        kind = CATALOGUE[entry["name"]]
        assert (entry["label"], entry["category"], entry["help"]) == (
            kind.label,
            kind.category,
            kind.help,
        )
        ports = [port["name"] for port in entry["inputs"]]
        assert ports == list(kind.input_ports(kind.defaults()))
        assert [port["name"] for port in entry["outputs"]] == list(kind.output_ports())
        assert [param["name"] for param in entry["params"]] == [spec.name for spec in kind.params]
        for param, spec in zip(entry["params"], kind.params, strict=True):
            assert param["type"] == spec.type.value
            assert param["help"] == spec.help
            assert spec.validate(param["default"]) == spec.default  # the default round-trips


def test_json_ranges_and_choices_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = listing(capsys)["kinds"]
    assert isinstance(kinds, list)
    checked = 0
    for entry in kinds:
        kind = CATALOGUE[entry["name"]]
        for param in entry["params"]:
            spec = kind.param(param["name"])
            if spec.type in (ParamType.INT, ParamType.OPTIONAL_INT, ParamType.INT_LIST):
                assert (param["minimum"], param["maximum"]) == (spec.minimum, spec.maximum)
                assert all(isinstance(bound, int) for bound in (param["minimum"], param["maximum"]))
                checked += 1
            elif spec.type is ParamType.FLOAT:
                assert (param["minimum"], param["maximum"]) == (spec.minimum, spec.maximum)
                checked += 1
            else:
                assert "minimum" not in param and "maximum" not in param
            if spec.type is ParamType.CHOICE:
                assert tuple(param["choices"]) == spec.choices
            if spec.type is ParamType.INT_LIST:
                assert (param["min_items"], param["max_items"]) == (
                    spec.min_items,
                    spec.max_items,
                )
    assert checked > 20


def test_json_notes_variadic_merges(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = {entry["name"]: entry for entry in listing(capsys)["kinds"]}  # type: ignore[union-attr]
    for name, kind in CATALOGUE.items():
        variadic = kinds[name]["variadic_inputs"]
        if kind.variadic_inputs:
            spec = kind.param("inputs")
            assert variadic == {
                "count_param": "inputs",
                "minimum": spec.minimum,
                "maximum": spec.maximum,
            }
        else:
            assert variadic is None
    assert kinds["input"]["inputs"] == []
    assert kinds["output"]["outputs"] == []


def test_the_json_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "kinds", "--json")[1]
    assert run(capsys, "kinds", "--json")[1] == first


def test_text_groups_every_kind_under_its_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kinds")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    headings = [index for index, line in enumerate(lines) if line and set(line) == {"="}]
    assert [lines[index - 1] for index in headings] == list(CATEGORIES)
    for name, kind in CATALOGUE.items():
        (start,) = [index for index, line in enumerate(lines) if line == f"{name} ({kind.label})"]
        category = max(index for index in headings if index < start) - 1
        assert lines[category] == kind.category
        assert lines[start + 1] == f"  {kind.help}"
        block = lines[start : lines.index("", start) if "" in lines[start:] else len(lines)]
        for spec in kind.params:
            assert any(line.split()[:2] == [spec.name, *spec.type.value.split()[:1]]
                       for line in block), f"{name}.{spec.name}"  # fmt: skip


def test_text_reads_in_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "kinds")[1]
    assert "add (Add)" in out
    assert "  inputs:  in0, in1 (variadic: in0 .. in<n-1>, n set by 'inputs', 2 to" in out
    assert "  inputs:  none (a model input)" in out
    assert "  outputs: none (a model output)" in out
    assert "one of relu | lrelu" in out
    assert "torch_layer (torch.nn layer)" in out
    longest = max(len(line) for line in out.splitlines() if "one of " not in line)
    assert longest <= 160


def test_a_reader_that_leaves_early_is_no_broken_pipe_error() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "designer", "kinds", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()
    err = process.stderr.read().decode()
    process.stderr.close()
    code = process.wait(timeout=120)
    assert err == ""
    assert code in (EXIT_BROKEN_PIPE, 0)  # a short listing may fit the pipe before it closes
