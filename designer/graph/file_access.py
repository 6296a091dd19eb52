"""Reading a design file from disk, bounded, and saying why it can't be read in one line.

Every command, and the app, words a file-system failure the same way (``os_error_text``):
``cannot read design.json: too many levels of symbolic links``. A design is read with a bound
whatever ``stat`` says (devices and pipes report a size of 0), and only from a regular file:
a directory, device, FIFO or socket is refused before it is opened, and the open itself
doesn't wait (``O_NONBLOCK``) in case the path changed in between.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from designer.graph.errors import DesignFileError, FileAccessError

_READ_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK_BYTES: Final = 1 << 20
_NOT_REGULAR: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def os_error_text(
    error: OSError, path: str | os.PathLike[str] | None = None, action: str = "read"
) -> str:
    """``cannot read design.json: permission denied``: an ``OSError`` as one line, naming
    ``path`` as the person gave it (else the file the error names)."""
    where = os.fspath(path) if path is not None else error.filename
    reason = error.strerror or str(error) or type(error).__name__
    reason = reason[:1].lower() + reason[1:]
    return " ".join(f"cannot {action} {where}: {reason}".split())


def design_error_line(path: str | os.PathLike[str], error: DesignFileError) -> str:
    """How a design file that can't be used reads, everywhere: ``cannot read design.json:
    permission denied`` when it can't be read; ``design.json: blocks[3]...`` for its content."""
    if isinstance(error, FileAccessError):
        return str(error)
    return f"{os.fspath(path)}: {error}"


def read_design_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never reads more than
    ``limit + 1``. ``FileAccessError`` when it can't be read, ``DesignFileError`` when it is
    too large."""
    try:
        status = Path(path).stat()
        _check_regular(path, status.st_mode)
        if status.st_size > limit:
            raise DesignFileError(
                f"the file is {status.st_size:,} bytes; design files are at most {limit:,}"
            )
        descriptor = os.open(path, _READ_FLAGS)
        try:
            _check_regular(path, os.fstat(descriptor).st_mode)  # what was opened, after all
            data = _read_at_most(descriptor, limit + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise FileAccessError(os_error_text(error, path)) from None
    if len(data) > limit:
        raise DesignFileError(
            f"the file is over {limit:,} bytes; design files are at most {limit:,}"
        )
    return data


def _check_regular(path: str | os.PathLike[str], mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    what = next((f"it is {text}, " for test, text in _NOT_REGULAR if test(mode)), "")
    raise FileAccessError(f"cannot read {os.fspath(path)}: {what}not a regular file")


def _read_at_most(descriptor: int, count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, _CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
