"""Torch Designer: design PyTorch networks by point and click."""

__version__ = "0.1.0"
