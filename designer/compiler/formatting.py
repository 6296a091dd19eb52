"""Format generated source with the pinned ruff, ignoring any configuration it might find."""

from __future__ import annotations

import functools
import subprocess

from ruff.__main__ import find_ruff_bin

from designer.compiler.errors import GeneratedCodeError

_TIMEOUT_S = 30


@functools.lru_cache(maxsize=64)
def format_source(source: str) -> str:
    """``source`` as ``ruff format --isolated`` writes it (the same text gives the same bytes)."""
    done = subprocess.run(
        [find_ruff_bin(), "format", "--isolated", "--stdin-filename", "model.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise GeneratedCodeError(f"ruff could not format the generated code: {done.stderr.strip()}")
    return done.stdout
