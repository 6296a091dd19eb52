"""What an import couldn't map, and the one-line failures that stop an import."""

from __future__ import annotations

from dataclasses import dataclass, field


class ImportFailedError(Exception):
    """An import that can't be done: one line saying why (the CLI exits 2 with it)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Unmapped:
    """One operation or module of the model that no kind of block stands for."""

    what: str
    """``F.interpolate`` or ``module features.3 (nn.Hardtanh)``."""
    where: str
    """``path/model.py:42``: the line of the model's code that calls it; "" when unknown."""
    advice: str
    """What to do about it."""
    block: str = ""
    """The id of the design's block it became (its Identity stand-in, or the block whose call
    lost arguments); "" when none."""

    def line(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{place}{self.what}: {self.advice}"

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "where": self.where, "advice": self.advice, "block": self.block}


@dataclass(slots=True)
class ImportReport:
    """What the import found: operations it couldn't map (each stood in for by an Identity
    block, so the design keeps its data flow), and notes on what it changed."""

    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.unmapped

    def lines(self) -> list[str]:
        lines = [f"unmapped: {item.line()}" for item in self.unmapped]
        return lines + [f"note: {note}" for note in self.notes]

    def to_dict(self) -> dict[str, object]:
        return {"unmapped": [item.to_dict() for item in self.unmapped], "notes": self.notes}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ImportReport:
        unmapped = data.get("unmapped", [])
        notes = data.get("notes", [])
        assert isinstance(unmapped, list) and isinstance(notes, list)
        return cls([Unmapped(**item) for item in unmapped], [str(note) for note in notes])
