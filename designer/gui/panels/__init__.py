"""The panels beside the canvas: the live model's tree, its code, and its timed forward pass."""
