"""``torch-designer import``: a design written from a model file, and bad input refused with
one line and exit 2 (the model's code runs in a child process, which a loop or sys.exit
ends without ending the command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.cli import main
from designer.graph import check_design, load_design

MODELS = Path(__file__).with_name("models.py")


def _import(tmp_path: Path, source: str, *extra: str, shape: str = "2,4") -> int:
    return main(["import", source, "--input-shape", shape, "-o", str(tmp_path / "d.json"), *extra])


def test_import_writes_a_laid_out_design(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _import(
        tmp_path, f"{MODELS}:tiny_resnet", "--args", '{"num_classes": 7}', shape="1,3,32,32"
    )
    out = capsys.readouterr().out
    assert status == 0, out
    design = load_design(tmp_path / "d.json")
    assert check_design(design).ok
    assert design.class_name == "TinyResNet"
    classes = sorted(str(group.class_name) for group in design.groups.values())
    assert classes == [
        "BasicBlock",
        "BasicBlock",
        "BasicBlock",
        "BasicBlock2",
        "None",
        "None",
        "None",
    ]
    assert len({block.position for block in design.blocks.values()}) == len(design.blocks)
    assert "called again" in out


def test_import_by_module_name(tmp_path: Path) -> None:
    status = _import(
        tmp_path, "tests.seed_models:Flat.MyCustomCNN", "--args", '{"in_c": 1, "n_classes": 10}',
        shape="1,1,28,28",
    )  # fmt: skip
    assert status == 0
    assert load_design(tmp_path / "d.json").class_name == "MyCustomCNN"


def test_unmapped_operation_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(tmp_path, f"{MODELS}:Unmapped") == 1
    out = capsys.readouterr().out
    line = next(n for n, text in enumerate(MODELS.read_text().splitlines(), 1) if "clamp" in text)
    assert f"unmapped: {MODELS}:{line}: torch.clamp" in out
    assert (tmp_path / "d.json").exists()


BAD = [
    (["/no/such/model.py:Net"], "/no/such/model.py: no such file"),
    ([f"{MODELS}:Missing"], "has no Missing"),
    ([f"{MODELS}:Raises", "--args", '{"size": 3}'], "building Raises failed: ValueError: size 3"),
    ([f"{MODELS}:Raises", "--args", "{size: 3}"], "--args is not literal JSON"),
    ([f"{MODELS}:Raises", "--args", "[3]"], "--args must be a JSON object"),
    ([f"{MODELS}:tiny_resnet"], "the model rejects the input"),
    ([f"{MODELS}:ReturnsText"], "forward returns str, not a tensor"),
    ([f"{MODELS}:Branches"], "branches on a tensor's values"),
    ([f"{MODELS}:Exits"], "called sys.exit(3)"),
    ([f"{MODELS}:Loops", "--timeout", "6"], "took longer than 6 s"),
    (["nomodule"], "SOURCE must be path/to/file.py:Name"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_gets_one_line_and_exit_2(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, *extra = arguments
    assert _import(tmp_path, source, *extra) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], captured.err
    assert not (tmp_path / "d.json").exists()


def test_a_bad_input_shape_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _import(tmp_path, f"{MODELS}:tiny_resnet", shape="1,x") == 2
    assert "--input-shape must be sizes" in capsys.readouterr().err


def test_the_branching_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path, f"{MODELS}:Branches")
    line = next(
        n for n, text in enumerate(MODELS.read_text().splitlines(), 1) if "x.sum() > 0" in text
    )
    assert f"{MODELS}:{line}" in capsys.readouterr().err
