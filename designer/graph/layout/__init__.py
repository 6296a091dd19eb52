"""Geometry of the canvas without Qt: auto-layout, edge routes and edge-label places."""

from designer.graph.layout.design_layout import lacks_positions, layered_positions

__all__ = ["lacks_positions", "layered_positions"]
