"""What compiling a design can fail with."""

from __future__ import annotations

from collections.abc import Sequence

from designer.graph import ShapeProblem
from designer.graph.shapes import problem_lines


class CompileError(Exception):
    """A design that can't become code; the message says why and what to change."""


class ClassConflictError(CompileError):
    """Sub-modules given one class name but built differently (not just sized differently)."""

    def __init__(self, conflicts: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> None:
        self.conflicts = tuple((name, tuple(map(tuple, variants))) for name, variants in conflicts)
        """Per class name, the group ids of each way of building it."""
        names = ", ".join(name for name, _ in conflicts)
        super().__init__(
            f"sub-modules of class {names} are built differently, not just sized differently: "
            "give each way of building them its own class name (groups share a class only when "
            "they hold the same blocks, wired alike)"
        )


class ShapeCheckError(CompileError):
    """The design has shape problems: they, not a traceback, are what the caller gets."""

    def __init__(self, problems: Sequence[ShapeProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("the design has " + "\n".join(problem_lines(problems, "shape error")))


class UnsafeSourceError(CompileError):
    """Generated source that does something other than define and build a model."""


class GeneratedCodeError(CompileError):
    """Generated code that failed to run: a bug of ours, reported with the line that failed."""


class ModelRunError(CompileError):
    """The built model failed on an example of its own input, or torch could not export it."""


class MissingExtraError(CompileError):
    """An optional dependency is missing: the message names the extra that installs it."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message: torch's can run to pages."""
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
