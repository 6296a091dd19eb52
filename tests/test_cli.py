"""``torch-designer check``: the table, the exit codes, and --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from designer.cli import main
from tests.paths import DATA, EXAMPLES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_prints_every_block_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLES / "seed_final.json"))
    assert code == 0
    assert out.splitlines() == [
        "MyCustomCNN",
        "block                kind        output shape  parameters",
        "-------------------  ----------  ------------  ----------",
        "x                    input       1x1x28x28              0",
        "encoder.conv_blocks  conv stack  1x64x28x28        19,008",
        "flat                 Flatten     1x50176                0",
        "decoder.dec_blocks   dec stack   1x512         51,906,048",
        "decoder.last         Linear      1x10               5,130",
        "out                  output      -                      0",
        "total parameters: 51,930,186",
        "shapes OK",
    ]


def test_shape_errors_exit_1_and_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(DATA / "seed_final_buggy.json"))
    assert code == 1
    assert out.splitlines()[-2:] == [
        "1 error:",
        "  - dec stack 'decoder.dec_blocks' expects 32*28*28 = 25088 input features, but "
        "'encoder' gives 64x28x28 = 50176",
    ]


def test_bad_file_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = json.loads((EXAMPLES / "lenet5.json").read_text())
    document["blocks"][1]["params"]["kernel_size"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    code, out, err = run(capsys, "check", str(bad))
    assert code == 2
    assert out == ""
    assert err == (
        f"{bad}: blocks[1].params.kernel_size: expected an integer from 1 to 4096, got -1\n"
    )


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json", str(DATA / "seed_final_buggy.json"))
    assert code == 1
    result = json.loads(out)
    assert result["ok"] is False
    assert result["total_parameters"] == 51_930_186
    assert [block["qualified_name"] for block in result["blocks"]][:2] == [
        "x",
        "encoder.conv_blocks",
    ]
    assert result["blocks"][1]["output_shape"] == [1, 64, 28, 28]
    assert result["blocks"][1]["group"] == "encoder"
    (problem,) = result["problems"]
    assert problem["expected"] == "25088 input features"
    assert problem["edge"]["target_port"] == "in"


def test_json_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, out, _ = run(capsys, "check", "--json", str(bad))
    assert code == 2
    assert json.loads(out)["error"].startswith("not valid JSON")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "designer", "check", str(EXAMPLES / "unet_small.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "shapes OK"
