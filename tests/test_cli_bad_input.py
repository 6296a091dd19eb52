"""Hostile input on the command line: sizes past any real tensor, files that aren't files,
a reader that leaves early. Every command answers with one line (or the checker's errors),
never a traceback, and never blocks or reads without end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from designer import cli
from designer.cli import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_SHAPE_ERRORS, main
from designer.graph import Design, fileformat, save_design
from designer.graph.fileformat import MAX_FILE_BYTES
from tests.paths import EXAMPLES

COMMANDS = (
    ["check"],
    ["compile"],
    ["summary"],
    ["export", "--format", "py"],
    ["export", "--format", "pt2"],
    ["bench", "--device", "cpu"],
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def command_line(command: list[str], design: Path, tmp_path: Path) -> list[str]:
    output = ["-o", str(tmp_path / "out" / "model")] if command[0] == "export" else []
    return [command[0], str(design), *command[1:], *output]


def chain_file(tmp_path: Path, kind: str, params: Mapping[str, object], count: int) -> Path:
    design = Design()
    previous = design.add_block("input", name="x", params={"shape": [1, 1, 8, 8]}).id
    for _ in range(count):
        block = design.add_block(kind, params=params).id
        design.connect(previous, block)
        previous = block
    design.connect(previous, design.add_block("output", name="out").id)
    path = tmp_path / f"{kind}.json"
    save_design(design, path)
    return path


# --- sizes past any real tensor ---------------------------------------------------------------

HOSTILE: dict[str, tuple[str, Mapping[str, object], int, str]] = {
    "conv_transpose": (
        "conv_transpose2d",
        {"kernel_size": 4096, "stride": 4096, "out_channels": 1},
        1200,  # unbounded, the sizes pass Python's 4300-digit limit for printing
        "  - ConvTranspose2d 'conv_transpose2d2': its output 1x1x134217728x134217728 would "
        "have 1.8e+16 elements; a tensor here has at most 9.0e+15 (2**53)",
    ),
    "upsample": (
        "upsample",
        {"scale_factor": 1024.0},
        120,  # unbounded, a float overflows to infinity
        "  - Upsample 'upsample3': its output 1x1x8589934592x8589934592 would have 7.4e+19 "
        "elements; a tensor here has at most 9.0e+15 (2**53)",
    ),
}


@pytest.mark.parametrize("command", COMMANDS[:5], ids="-".join)
@pytest.mark.parametrize("hostile", HOSTILE, ids=str)
def test_a_chain_that_grows_past_any_tensor_is_a_shape_error(
    command: list[str], hostile: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kind, params, count, message = HOSTILE[hostile]
    design = chain_file(tmp_path, kind, params, count)
    code, out, err = run(capsys, *command_line(command, design, tmp_path))
    assert code == EXIT_SHAPE_ERRORS
    lines = (out if command == ["check"] else err).splitlines()
    assert lines[-2:] == ["1 error:", message]
    if command != ["check"]:
        assert out == ""


# --- files that can't be read ------------------------------------------------------------------


def symlink_loop(tmp_path: Path) -> tuple[Path, str]:
    loop = tmp_path / "design.json"
    loop.symlink_to(loop)
    return loop, f"cannot read {loop}: too many levels of symbolic links"


def directory(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    return folder, f"cannot read {folder}: it is a directory, not a regular file"


def missing(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "absent.json"
    return path, f"cannot read {path}: no such file or directory"


def zeros(_: Path) -> tuple[Path, str]:
    return Path("/dev/zero"), "cannot read /dev/zero: it is a character device, not a regular file"


def random_bytes(_: Path) -> tuple[Path, str]:
    return (
        Path("/dev/urandom"),
        "cannot read /dev/urandom: it is a character device, not a regular file",
    )


def one_byte_too_many(tmp_path: Path) -> tuple[Path, str]:
    sparse = tmp_path / "huge.json"
    with sparse.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: takes no disk
    return (
        sparse,
        f"{sparse}: the file is {MAX_FILE_BYTES + 1:,} bytes; design files are at most "
        f"{MAX_FILE_BYTES:,}",
    )


UNREADABLE = (symlink_loop, directory, missing, zeros, random_bytes, one_byte_too_many)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths and devices")
@pytest.mark.parametrize("command", COMMANDS, ids="-".join)
@pytest.mark.parametrize("unreadable", UNREADABLE, ids=lambda f: f.__name__)
def test_every_command_words_an_unreadable_file_the_same_way(
    command: list[str],
    unreadable: object,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert callable(unreadable)
    path, line = unreadable(tmp_path)
    code, out, err = run(capsys, *command_line(command, path, tmp_path))
    assert (code, out, err) == (EXIT_BAD_INPUT, "", line + "\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", [COMMANDS[0], COMMANDS[1]], ids=lambda c: c[0])
def test_a_fifo_is_refused_at_once(command: list[str], tmp_path: Path) -> None:
    fifo = tmp_path / "design.json"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking open or read would hang
    result = subprocess.run(
        [sys.executable, "-m", "designer", command[0], str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (EXIT_BAD_INPUT, "")
    assert result.stderr == f"cannot read {fifo}: it is a named pipe (FIFO), not a regular file\n"


def test_check_json_names_an_unreadable_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, line = symlink_loop(tmp_path)
    code, out, _ = run(capsys, "check", "--json", str(path))
    assert code == EXIT_BAD_INPUT
    assert json.loads(out) == {"file": str(path), "error": line}


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc")
def test_a_file_larger_than_stat_says_is_read_only_to_the_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/proc files say they are 0 bytes long; whatever stat says, one byte past the limit is
    the most that is read."""
    limit = 100
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", limit)
    read: list[int] = []
    real_read = os.read

    def counting_read(descriptor: int, count: int) -> bytes:
        data = real_read(descriptor, count)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    code, _, err = run(capsys, "check", "/proc/self/status")
    assert code == EXIT_BAD_INPUT
    assert err == (
        f"/proc/self/status: the file is over {limit} bytes; design files are at most {limit}\n"
    )
    assert sum(read) == limit + 1


# --- check's catch-all and a reader that leaves ----------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_check_turns_a_bug_into_one_line(
    as_json: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "check_design", broken)
    design = str(EXAMPLES / "lenet5.json")
    code, out, err = run(capsys, "check", *(["--json"] if as_json else []), design)
    assert code == EXIT_BAD_INPUT
    if as_json:
        assert json.loads(out)["error"] == "unexpected RuntimeError: boom second line"
    else:
        assert (out, err) == ("", f"{design}: unexpected RuntimeError: boom second line\n")


@pytest.mark.parametrize(
    ("command", "blocks"),
    [(["check", "--json"], 800), (["compile"], 3000)],  # output: about 200 kB, pipes hold 64
    ids=["check", "compile"],
)
def test_a_reader_that_leaves_early_is_no_broken_pipe_error(
    command: list[str], blocks: int, tmp_path: Path
) -> None:
    """As ``torch-designer check --json FILE | head -c 10``: the reader leaves long before
    the output ends."""
    design = chain_file(tmp_path, "dropout", {}, blocks)
    process = subprocess.Popen(
        [sys.executable, "-m", "designer", *command, str(design)],
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
    if command[0] == "check":
        assert code == EXIT_BROKEN_PIPE
    else:  # some kernels let a writer that started before the reader left finish its write
        assert code in (EXIT_BROKEN_PIPE, 0)
