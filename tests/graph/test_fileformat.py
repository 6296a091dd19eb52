"""Design files: round trips, stable sorted output, atomic saves and precise errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from designer.graph import (
    FORMAT_VERSION,
    Design,
    DesignFileError,
    FileAccessError,
    design_to_dict,
    dumps_design,
    fileformat,
    load_design,
    loads_design,
    save_design,
)
from tests.paths import EXAMPLES


def example(name: str = "resnet_small") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return document


def refused(document: object) -> str:
    with pytest.raises(DesignFileError) as error:
        loads_design(json.dumps(document))
    return str(error.value)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_examples_are_saved_exactly_as_they_load(path: Path) -> None:
    assert dumps_design(load_design(path)) == path.read_text()


def test_output_is_sorted_and_indented(chain: Design) -> None:
    text = dumps_design(chain)
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert text.startswith('{\n  "blocks": [')
    assert [block["id"] for block in document["blocks"]] == ["b1", "b2", "b3", "b4", "b5", "b6"]


def test_ids_sort_naturally() -> None:
    design = Design()
    for number in (10, 2, 1):
        design.add_block("linear", block_id=f"b{number}")
    assert [block["id"] for block in design_to_dict(design)["blocks"]] == ["b1", "b2", "b10"]


def test_same_design_same_bytes_whatever_the_edit_order() -> None:
    first, second = Design(), Design()
    first.add_block("linear", name="a", block_id="b1")
    first.add_block("linear", name="b", block_id="b2")
    second.add_block("linear", name="b", block_id="b2")
    second.add_block("linear", name="a", block_id="b1")
    assert dumps_design(first) == dumps_design(second)


def test_missing_params_take_defaults_and_round_trip() -> None:
    document = example("lenet5")
    del document["blocks"][1]["params"]
    design = loads_design(json.dumps(document))
    assert design.blocks[document["blocks"][1]["id"]].params["kernel_size"] == 3


def test_atomic_save_replaces_whole_or_not_at_all(
    tmp_path: Path, chain: Design, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "design.json"
    save_design(chain, target)
    original = target.read_text()
    chain.rename_block("b2", "stem")

    def failing_replace(self: Path, other: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        save_design(chain, target)
    assert target.read_text() == original
    assert [path.name for path in tmp_path.iterdir()] == ["design.json"]  # no temp left
    monkeypatch.undo()
    save_design(chain, target)
    assert "stem" in target.read_text()


class TestRefusals:
    def test_bad_parameter_names_the_field(self) -> None:
        document = example()
        document["blocks"][3]["params"]["kernel_size"] = -1
        assert refused(document) == (
            "blocks[3].params.kernel_size: expected an integer from 1 to 4096, got -1"
        )

    def test_code_smuggled_through_a_name(self) -> None:
        document = example()
        document["blocks"][0]["name"] = "x\nimport os"
        assert refused(document) == (
            "blocks[0].name: block name 'x\\nimport os' is not an identifier: use letters, "
            "digits and _, starting with a letter"
        )

    def test_code_smuggled_through_a_class_name(self) -> None:
        document = example()
        document["model"]["class_name"] = "Net(nn.Module):\n    pass\nimport os\nclass X"
        assert refused(document).startswith("model.class_name: model class name 'Net(nn.Modu")

    def test_wrong_types(self) -> None:
        document = example()
        document["blocks"][1]["params"]["out_channels"] = "16"
        assert refused(document) == (
            "blocks[1].params.out_channels: expected a positive integer, got '16'"
        )
        document = example()
        document["blocks"] = {"b1": {}}
        assert refused(document) == "blocks: expected a list, got {'b1': {}}"

    def test_huge_numbers(self) -> None:
        document = example()
        document["blocks"][1]["params"]["out_channels"] = 10**20
        assert "expected a positive integer, got 100000000000000000000" in refused(document)
        text = json.dumps(example()).replace('"out_channels": 16', '"out_channels": ' + "9" * 99)
        with pytest.raises(DesignFileError, match="the number 9+\\.\\.\\. has more than 24 digits"):
            loads_design(text)

    def test_not_a_number(self) -> None:
        text = json.dumps(example()).replace('"p": 0.5', '"p": NaN')
        text = re.sub(r'"position": \[[^\]]*\]', '"position": [NaN, 0.0]', text, count=1)
        with pytest.raises(DesignFileError, match="NaN is not a number a design may hold"):
            loads_design(text)

    def test_unknown_kind_and_fields(self) -> None:
        document = example()
        document["blocks"][2]["kind"] = "conv4d"
        assert refused(document).startswith("blocks[2].kind: unknown block kind 'conv4d'")
        document = example()
        document["blocks"][2]["colour"] = "red"
        assert refused(document).startswith("blocks[2]: unknown field 'colour'")
        document = example()
        del document["blocks"][2]["kind"]
        assert refused(document) == "blocks[2]: missing field 'kind'"

    def test_dangling_edges(self) -> None:
        document = example()
        document["edges"][0]["source"] = "b999"
        assert refused(document) == "edges[0].source: no block with id 'b999'"
        document = example()
        document["edges"][0]["target_port"] = "in7"
        assert "edges[0]: " in refused(document)
        assert "no input port 'in7'" in refused(document)

    def test_cycles(self) -> None:
        design = load_design(EXAMPLES / "seed_final.json")
        document = design_to_dict(design)
        document["edges"].append(
            {"source": "b1", "source_port": "out", "target": "b3", "target_port": "in"}
        )
        assert refused(document) == (
            "edges[5]: input 'in' of Flatten 'flat' is already connected to 'conv_blocks'"
        )
        document = design_to_dict(design)
        for edge in document["edges"]:
            if edge["target"] == "b2":
                edge["source"] = "b5"
        assert refused(document) == (
            "edges[3]: connecting would make a cycle: last -> conv_blocks -> flat -> dec_blocks "
            "-> last"
        )

    def test_duplicate_ids_and_group_loops(self) -> None:
        document = example()
        document["blocks"][1]["id"] = document["blocks"][0]["id"]
        assert refused(document) == "blocks[1].id: the block id 'b1' is used twice"
        document = example()
        document["groups"][0]["parent"] = document["groups"][1]["id"]
        document["groups"][1]["parent"] = document["groups"][0]["id"]
        assert "contain each other" in refused(document)
        document = example()
        document["groups"][0]["parent"] = "g404"
        assert refused(document) == "groups[0].parent: no group with id 'g404'"

    def test_malformed_json(self) -> None:
        with pytest.raises(DesignFileError, match="not valid JSON: Expecting .* at line 1"):
            loads_design('{"format": ')
        with pytest.raises(DesignFileError, match="nested too deeply"):
            loads_design("[" * 100_000 + "]" * 100_000)
        with pytest.raises(DesignFileError, match="the key 'format' appears twice"):
            loads_design('{"format": "a", "format": "b"}')
        with pytest.raises(DesignFileError, match="not UTF-8"):
            loads_design(b"\xff\xfe{}")
        assert refused([]) == "top level: expected an object, got []"

    def test_other_formats_and_versions(self) -> None:
        document = example()
        document["format"] = "keras"
        assert refused(document).startswith("format: expected 'torch-designer', got 'keras'")
        document = example()
        document["version"] = FORMAT_VERSION + 1
        assert refused(document) == (
            f"version: this design was saved by a newer Torch Designer (format version "
            f"{FORMAT_VERSION + 1}); this one reads up to version {FORMAT_VERSION}: please upgrade"
        )
        document["version"] = 0
        assert refused(document) == "version: expected a positive integer, got 0"

    def test_size_limits(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setattr(fileformat, "MAX_BLOCKS", 5)
        assert refused(example()).startswith("blocks: 23 entries; a design holds at most 5")
        monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", 100)
        big = tmp_path / "big.json"
        big.write_text(json.dumps(example()))
        with pytest.raises(DesignFileError, match="bytes; design files are at most 100"):
            load_design(big)

    def test_unreadable_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "missing.json"
        with pytest.raises(FileAccessError) as refusal:
            load_design(missing)
        assert str(refusal.value) == f"cannot read {missing}: no such file or directory"


def test_older_versions_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The migration chain runs every step from a file's version up to the current one."""
    document = example("seed_final")
    document["version"] = FORMAT_VERSION
    document["model"] = {"name": document["model"]["class_name"]}  # a pretend older layout

    def rename_model_field(old: dict[str, Any]) -> dict[str, Any]:
        return {**old, "model": {"class_name": old["model"]["name"]}}

    monkeypatch.setattr(fileformat, "FORMAT_VERSION", FORMAT_VERSION + 1)
    monkeypatch.setitem(fileformat.MIGRATIONS, FORMAT_VERSION, rename_model_field)
    design = loads_design(json.dumps(document))
    assert design.class_name == "MyCustomCNN"
    del fileformat.MIGRATIONS[FORMAT_VERSION]
    assert "no longer supported" in refused(document)
