"""The generated source and printed tree of every example, against golden files.

Run ``pytest --regen-golden`` after an intended change to the generated code, and read the diff.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruff.__main__ import find_ruff_bin

from designer.compiler import build_model, compile_design
from designer.graph import load_design
from tests.paths import EXAMPLES

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


def compare(path: Path, text: str, regen: bool) -> None:
    if regen:
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run pytest --regen-golden"
    assert text == path.read_text(), f"{path.name} differs: run pytest --regen-golden and review"


@pytest.mark.parametrize("name", NAMES)
def test_generated_source(name: str, regen_golden: bool) -> None:
    compiled = compile_design(load_design(EXAMPLES / f"{name}.json"), f"{name}.json")
    compare(GOLDEN / f"{name}.py", compiled.source, regen_golden)


@pytest.mark.parametrize("name", NAMES)
def test_printed_tree(name: str, regen_golden: bool) -> None:
    model = build_model(compile_design(load_design(EXAMPLES / f"{name}.json")))
    compare(GOLDEN / f"{name}.txt", f"{model}\n", regen_golden)


def test_golden_sources_pass_ruff_check_and_format() -> None:
    ruff = find_ruff_bin()
    files = [str(GOLDEN / f"{name}.py") for name in NAMES]
    checked = subprocess.run(
        [ruff, "check", "--isolated", *files], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    formatted = subprocess.run(
        [ruff, "format", "--isolated", "--check", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout


def test_every_golden_line_is_within_the_line_length() -> None:
    """E501 with ruff's defaults (88 characters), no configuration read: the header too."""
    files = [str(GOLDEN / f"{name}.py") for name in NAMES]
    checked = subprocess.run(
        [find_ruff_bin(), "check", "--isolated", "--select", "E501", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


def test_a_long_file_name_keeps_the_header_within_the_line_length(tmp_path: Path) -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    origin = "a very long name for a design file, with spaces, from a shared drive " * 3
    source = compile_design(design, origin + "\n.json").source
    assert " ".join(origin.split()) in " ".join(source.split('"""')[1].split())
    assert "\\n.json" in source  # a newline in a file name is shown, not written
    module = tmp_path / "model.py"
    module.write_text(source)
    checked = subprocess.run(
        [find_ruff_bin(), "check", "--isolated", "--select", "E501", str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


def test_same_design_same_bytes() -> None:
    path = EXAMPLES / "unet_small.json"
    assert compile_design(load_design(path)).source == compile_design(load_design(path)).source


def test_a_value_nothing_reads_is_a_plain_call_that_ruff_accepts(tmp_path: Path) -> None:
    design = load_design(EXAMPLES / "lenet5.json")
    (image,) = [block for block in design.blocks.values() if block.kind == "input"]
    probe = design.add_block("conv2d", name="probe", params={"out_channels": 2})
    design.connect(image.id, probe.id)
    source = compile_design(design).source
    assert "        self.probe(x)\n" in source
    module = tmp_path / "model.py"
    module.write_text(source)
    checked = subprocess.run(
        [find_ruff_bin(), "check", "--isolated", str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
