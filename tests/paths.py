"""Where the tests find the shipped examples and their own data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"
DATA = Path(__file__).resolve().parent / "data"
