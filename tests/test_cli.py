"""The command line: ``check`` (table, exit codes, --json), ``compile``, ``summary``, ``export``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from designer.cli import main
from designer.compiler import build_model, compile_design
from designer.graph import load_design
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


# --- compile, summary, export ---------------------------------------------------------------


def bad_design(tmp_path: Path) -> Path:
    document = json.loads((EXAMPLES / "lenet5.json").read_text())
    document["blocks"][1]["params"]["kernel_size"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    return bad


def test_check_does_not_import_torch() -> None:
    program = (
        "import sys; from designer.cli import main; "
        f"code = main(['check', {str(EXAMPLES / 'lenet5.json')!r}]); "
        "assert 'torch' not in sys.modules; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_compile_prints_the_compiled_source(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "seed_modulelist.json"
    code, out, err = run(capsys, "compile", str(path))
    assert (code, err) == (0, "")
    assert out == compile_design(load_design(path), "seed_modulelist.json").source


def test_compile_writes_the_module(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, output = EXAMPLES / "seed_final.json", tmp_path / "model.py"
    code, out, _ = run(capsys, "compile", str(path), "-o", str(output))
    assert (code, out) == (0, f"wrote {output}\n")
    assert output.read_text() == compile_design(load_design(path), "seed_final.json").source


def test_summary_prints_the_model_then_every_module(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "seed_final.json"
    code, out, _ = run(capsys, "summary", str(path))
    assert code == 0
    tree = str(build_model(compile_design(load_design(path))))
    assert out.startswith(tree + "\n\n")
    lines = out[len(tree) + 2 :].splitlines()
    assert lines[0].split("  ")[0].strip() == "module"
    rows = [line.split() for line in lines[2:-1]]
    assert rows[0] == ["(model)", "MyCustomCNN", "1x10", "51,930,186"]
    assert ["encoder.conv_blocks.0.0", "Conv2d", "1x32x28x28", "320"] in rows
    assert ["encoder.conv_blocks.0.1", "BatchNorm2d", "1x32x28x28", "64"] in rows
    assert ["decoder.dec_blocks.0.0", "Linear", "1x1024", "51,381,248"] in rows
    assert ["decoder.last", "Linear", "1x10", "5,130"] in rows
    assert len(rows) == 20
    assert lines[-1] == "total parameters: 51,930,186"


@pytest.mark.parametrize(
    "command",
    [["compile"], ["summary"], ["export", "--format", "pt2"], ["export", "--format", "py"]],
)
def test_shape_errors_exit_1_with_the_checkers_messages(
    command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = ["-o", str(tmp_path / "out")] if command[0] == "export" else []
    code, out, err = run(capsys, *command, str(DATA / "seed_final_buggy.json"), *output)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "1 error:",
        "  - dec stack 'decoder.dec_blocks' expects 32*28*28 = 25088 input features, but "
        "'encoder' gives 64x28x28 = 50176",
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["compile"], ["summary"], ["export", "--format", "onnx"]])
def test_bad_files_exit_2_with_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = bad_design(tmp_path)
    output = ["-o", str(tmp_path / "out.onnx")] if command[0] == "export" else []
    code, out, err = run(capsys, *command, str(bad), *output)
    assert (code, out) == (2, "")
    assert err == (
        f"{bad}: blocks[1].params.kernel_size: expected an integer from 1 to 4096, got -1\n"
    )


def test_a_shape_error_is_never_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "designer", "compile", str(DATA / "seed_final_buggy.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("1 error:\n  - dec stack 'decoder.dec_blocks' expects")


def test_export_pt2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "lenet.pt2"
    code, out, _ = run(
        capsys, "export", str(EXAMPLES / "lenet5.json"), "--format", "pt2", "-o", str(output)
    )
    assert (code, out) == (0, f"wrote {output}\n")
    module = torch.export.load(output).module()
    assert module(torch.rand(3, 1, 32, 32)).shape == (3, 10)


def test_export_py_with_weights(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, output = EXAMPLES / "lenet5.json", tmp_path / "lenet.py"
    code, out, _ = run(
        capsys, "export", str(path), "--format", "py", "--weights", "-o", str(output)
    )
    assert (code, out) == (0, f"wrote {output}\nwrote {tmp_path / 'lenet.pt'}\n")
    assert output.read_text() == compile_design(load_design(path), "lenet5.json").source
    model = build_model(compile_design(load_design(path)), device="cpu")
    model.load_state_dict(torch.load(tmp_path / "lenet.pt", weights_only=True))


def test_weights_are_only_for_py(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "export", str(EXAMPLES / "lenet5.json"), "--format", "onnx", "--weights",
        "-o", str(tmp_path / "m.onnx"),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == "--weights only applies to --format py: a .onnx file holds the weights already\n"


def test_an_unwritable_output_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "missing" / "model.py"
    code, out, err = run(capsys, "compile", str(EXAMPLES / "lenet5.json"), "-o", str(output))
    assert (code, out) == (2, "")
    assert err == f"cannot write {output}: no such file or directory\n"


def test_onnx_without_the_extra_exits_2_saying_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now fails
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    design = EXAMPLES / "lenet5.json"
    code, out, err = run(
        capsys, "export", str(design), "--format", "onnx", "-o", str(tmp_path / "m.onnx")
    )
    assert (code, out) == (2, "")
    assert err == (
        f"{design}: ONNX export needs the packages onnx and onnxscript "
        "(missing: onnx, onnxscript): pip install 'torch-designer[onnx]'\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["compile"], ["export", "--format", "pt2"]])
def test_an_output_onto_the_design_itself_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    design = tmp_path / "net.json"
    design.write_text((EXAMPLES / "lenet5.json").read_text())
    before = design.read_text()
    code, out, err = run(capsys, command[0], str(design), *command[1:], "-o", str(design))
    assert code == 2 and out == ""
    assert "design file" in err
    assert design.read_text() == before


def test_a_failing_weights_allocation_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from designer.compiler import export

    def no_memory(*_: object, **__: object) -> None:
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried 17 TB")

    monkeypatch.setattr(export, "materialize", no_memory)
    code, _, err = run(
        capsys, "export", str(EXAMPLES / "lenet5.json"), "--format", "pt2", "-o",
        str(tmp_path / "m.pt2"),
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no memory for the weights of 61,706 parameters" in err
    assert not (tmp_path / "m.pt2").exists()


def test_warnings_from_torch_stay_out_of_the_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from designer import cli

    def noisy(arguments: object) -> int:
        warnings.warn("Failed to initialize NumPy", UserWarning, stacklevel=1)
        return cli.EXIT_OK

    monkeypatch.setitem(cli._COMPILING, "compile", noisy)
    code, out, err = run(capsys, "compile", str(EXAMPLES / "lenet5.json"))
    assert (code, out, err) == (0, "", "")


def test_an_export_blocked_by_a_directory_names_it_and_leaves_no_weights(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "out.py").mkdir()
    code, _, err = run(
        capsys, "export", str(EXAMPLES / "lenet5.json"), "--format", "py", "--weights", "-o",
        str(tmp_path / "out.py"),
    )  # fmt: skip
    assert code == 2
    assert err.startswith(f"cannot write {tmp_path / 'out.py'}: ")
    assert not (tmp_path / "out.pt").exists()
