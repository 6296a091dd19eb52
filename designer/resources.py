"""Where the shipped resources (examples, icon) are: beside the package in a checkout or an
editable install, or inside a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def examples_dir() -> Path:
    return resources_dir() / "examples"


def example_paths() -> list[Path]:
    """The shipped example designs, by name; empty when the resources aren't installed."""
    folder = examples_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []
