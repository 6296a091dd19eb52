"""Torch Designer: design PyTorch networks by point and click."""

from designer.torch_noise import quiet_torch_imports

__version__ = "0.1.0"

# Every process of the app (the window, the CLI, the spawned workers) imports this package before
# torch, so this is the one place that keeps torch's import-time notices out of their output.
quiet_torch_imports()
