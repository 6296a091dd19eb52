"""Unique, safe Python names for generated code, in the manner of torch.fx's namespace."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]")


class Namespace:
    """Hands out identifiers that are unique here, not keywords and not builtins."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._taken: set[str] = set(reserved)

    def __contains__(self, name: str) -> bool:
        return name in self._taken

    def reserve(self, name: str) -> None:
        self._taken.add(name)

    def create(self, wanted: str) -> str:
        """``wanted`` made safe, with ``_1``, ``_2``... added until it is free."""
        base = _NOT_IDENTIFIER.sub("_", wanted) or "value"
        if base[0].isdigit():
            base = f"_{base}"
        if keyword.iskeyword(base) or hasattr(builtins, base):
            base = f"{base}_"
        name, number = base, 0
        while name in self._taken:
            number += 1
            name = f"{base}_{number}"
        self._taken.add(name)
        return name


def class_name_for(name: str) -> str:
    """``res_block`` -> ``ResBlock``: a class name from a group name."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Block"
