"""Pausing Python's cyclic garbage collector through a burst of short-lived allocations.

Compiling a design parses its source into hundreds of thousands of AST nodes and builds a
module per block; every allocation past a threshold triggers a collection, and the full ones
walk every object the process holds. At 1000 blocks that more than doubled design -> model
(full collections alone cost more than the compile). Nothing made in such a burst is cyclic
garbage worth chasing before it ends, so the collector waits until then.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collections inside; the collector's state is restored after (nests)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
