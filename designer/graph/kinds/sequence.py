"""Sequence layers: Embedding and the recurrent LSTM, GRU and RNN."""

from __future__ import annotations

from designer.graph.kind import BlockKind

KINDS: tuple[BlockKind, ...] = ()
