"""Typed errors raised by the design model and its file format.

Each error carries ``field``: the place it is about, as a dotted path relative to the object
being edited (``params.kernel_size``). The file loader prefixes it with the place in the file
(``blocks[3].params.kernel_size``) so a person can find the bad value.
"""

from __future__ import annotations


class DesignError(Exception):
    """Base of every error the design model raises for a refused edit."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def within(self, prefix: str) -> DesignError:
        """The same error, its field placed under ``prefix``."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return type(self)(self.message, field)


class UnknownBlockKindError(DesignError):
    """A block kind that is not in the catalogue."""


class BadParameterError(DesignError):
    """A parameter value outside its declared type or range, or an unknown parameter."""


class BadNameError(DesignError):
    """A name that can't become a Python attribute or class name, or one already taken."""


class UnknownIdError(DesignError):
    """A block, group or edge id that the design does not hold."""


class DuplicateIdError(DesignError):
    """An id that the design already holds."""


class PortError(DesignError):
    """A port that does not exist on a block, or an input port that is already connected."""


class CycleError(DesignError):
    """An edge that would close a cycle: data must flow one way."""


class GroupError(DesignError):
    """A grouping that can't become a sub-module (mixed scopes, input/output blocks inside)."""


class DesignFileError(DesignError):
    """A design file that can't be read: bad JSON, wrong types, bad values, newer format."""


class FileAccessError(DesignFileError):
    """A design file that can't be read at all (missing, not allowed, not a regular file).
    Its message names the file: ``cannot read design.json: permission denied``."""
