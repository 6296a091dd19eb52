"""The changes a design announces, and the tiny observer list that announces them.

The GUI, the shape checker and anything else that mirrors a design subscribe to its changes;
they never poll it. Each change is an immutable record holding the old and new state, so a
subscriber can react precisely (redraw one edge label) without diffing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from designer.graph.model import Block, Edge, Group

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BlockAdded:
    block: Block


@dataclass(frozen=True, slots=True)
class BlockRemoved:
    block: Block


@dataclass(frozen=True, slots=True)
class BlockChanged:
    """A block's parameters, name, position or group changed."""

    old: Block
    new: Block


@dataclass(frozen=True, slots=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True, slots=True)
class EdgeRemoved:
    edge: Edge


@dataclass(frozen=True, slots=True)
class GroupAdded:
    group: Group


@dataclass(frozen=True, slots=True)
class GroupRemoved:
    group: Group


@dataclass(frozen=True, slots=True)
class GroupChanged:
    old: Group
    new: Group


@dataclass(frozen=True, slots=True)
class ModelRenamed:
    old: str
    new: str


Change = (
    BlockAdded
    | BlockRemoved
    | BlockChanged
    | EdgeAdded
    | EdgeRemoved
    | GroupAdded
    | GroupRemoved
    | GroupChanged
    | ModelRenamed
)
Listener = Callable[[Change], None]


@dataclass(frozen=True, slots=True)
class ListenerFailure:
    """A subscriber that raised on a change: the view it serves may be out of step now."""

    listener: Listener
    change: Change
    error: Exception

    def describe(self) -> str:
        name = getattr(self.listener, "__qualname__", repr(self.listener))
        return (
            f"{name} failed on {type(self.change).__name__}: "
            f"{type(self.error).__name__}: {self.error}"
        )


FailureReporter = Callable[[ListenerFailure], None]
_failure_reporters: list[FailureReporter] = []


def report_listener_failures(reporter: FailureReporter) -> Callable[[], None]:
    """Have ``reporter`` told of every listener that raises, in any design; returns the call
    that stops it. The app shows them to the user; the tests fail on them."""
    _failure_reporters.append(reporter)

    def stop() -> None:
        if reporter in _failure_reporters:
            _failure_reporters.remove(reporter)

    return stop


class ChangeNotifier:
    """Calls each subscribed listener with every change, in subscription order.

    A listener that raises does not stop the others: one broken view must not leave the rest of
    the app out of step with the design. It is logged and handed to every failure reporter, so
    that it is never only a line in a log.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def emit(self, change: Change) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(change)
            except Exception as error:
                log.exception("design listener %r failed on %r", listener, change)
                failure = ListenerFailure(listener, change, error)
                for reporter in tuple(_failure_reporters):
                    reporter(failure)
