"""Counting ``compile_design`` calls in this process, by whichever name a caller reaches it."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

from designer.graph import Design


def spy_on_compiles(monkeypatch: pytest.MonkeyPatch) -> list[Design]:
    """The designs compiled in this process from now on (until ``monkeypatch`` undoes it).

    Every loaded module that bound ``compile_design`` (``from ... import compile_design``) gets
    the spy in its place, so a call is counted whether it came through ``designer.compiler``,
    ``designer.compiler.compile`` or a module that imported the name at its own import.
    """
    original = importlib.import_module("designer.compiler.compile").compile_design
    compiled: list[Design] = []

    def counting(design: Design, *args: Any, **kwargs: Any) -> Any:
        compiled.append(design)
        return original(design, *args, **kwargs)

    for module in list(sys.modules.values()):
        if module is not None and vars(module).get("compile_design") is original:
            monkeypatch.setattr(module, "compile_design", counting)
    return compiled
