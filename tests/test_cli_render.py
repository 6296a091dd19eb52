"""``torch-designer render``: the canvas as an SVG or PNG, without a window; bad input is one
line and exit 2, with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from designer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from tests.paths import DATA, EXAMPLES, ROOT

UNET = EXAMPLES / "unet_small.json"
GPT = EXAMPLES / "gpt_small.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(word) for word in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def svg_texts(path: Path) -> list[str]:
    root = ElementTree.parse(path).getroot()
    return [(e.text or "").strip() for e in root.iter("{http://www.w3.org/2000/svg}text")]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_render_writes_a_png_twice_the_canvas_size(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "unet.png"
    assert run(capsys, "render", UNET, "-o", output) == (EXIT_OK, f"wrote {output}\n", "")
    width, height = png_size(output)
    assert 3000 < width < 4500 and 1000 < height < 1700  # 2 x a U-Net wrapped in 3 bands
    assert run(capsys, "render", UNET, "-o", output, "--scale", "1")[0] == EXIT_OK
    half = png_size(output)
    assert abs(half[0] - width / 2) <= 1 and abs(half[1] - height / 2) <= 1


def test_render_writes_an_svg_with_the_block_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "gpt.SVG"
    assert run(capsys, "render", GPT, "-o", output)[0] == EXIT_OK
    texts = svg_texts(output)
    for name in ("tokens", "tok_embed", "attn", "lm_head", "block1: Block"):
        assert name in texts


def test_collapsed_shows_groups_not_their_members(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "gpt.svg"
    assert run(capsys, "render", GPT, "-o", output, "--collapsed")[0] == EXIT_OK
    texts = svg_texts(output)
    assert {"block1: Block", "block2: Block", "tokens", "lm_head"} <= set(texts)
    assert not {"attn", "ln1", "fc"} & set(texts)


def test_shape_errors_do_not_stop_the_drawing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "buggy.png"
    assert run(capsys, "render", DATA / "seed_final_buggy.json", "-o", output)[0] == EXIT_OK
    assert png_size(output)[0] > 1000


@pytest.mark.parametrize(
    ("design", "output", "extra", "message"),
    [
        ("missing.json", "d.png", [], "cannot read {tmp}/missing.json: no such file or directory"),
        ("bad.json", "d.png", [], "{tmp}/bad.json: not valid JSON: Expecting property name "
         "enclosed in double quotes at line 1 column 2"),
        ("unet", "d.gif", [], "{tmp}/d.gif: the output must end in .svg or .png"),
        ("unet", "d", [], "{tmp}/d: the output must end in .svg or .png"),
        ("unet", "no/d.png", [], "cannot write {tmp}/no/d.png: no such file or directory"),
        ("unet", "folder.svg", [], "cannot write {tmp}/folder.svg: is a directory"),
        ("unet", "d.png", ["--scale", "0"], "--scale 0: give a number above 0, at most 8"),
        ("unet", "d.png", ["--scale", "9"], "--scale 9: give a number above 0, at most 8"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    design: str,
    output: str,
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "bad.json").write_text("{bad")
    (tmp_path / "folder.svg").mkdir()
    before = sorted(tmp_path.rglob("*"))
    design_path = UNET if design == "unet" else tmp_path / design
    code, out, err = run(capsys, "render", design_path, "-o", tmp_path / output, *extra)
    assert (code, out, err) == (EXIT_BAD_INPUT, "", message.format(tmp=tmp_path) + "\n")
    assert sorted(tmp_path.rglob("*")) == before


def test_render_needs_no_screen(tmp_path: Path) -> None:
    """No DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM: the offscreen platform is chosen."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    output = tmp_path / "unet.svg"
    result = subprocess.run(
        [sys.executable, "-m", "designer", "render", str(UNET), "-o", str(output)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"wrote {output}\n"), result.stderr
    assert "enc1" in svg_texts(output)
