"""Building a model on the meta device without initialising weights that hold no values.

``torch.device("meta")`` makes every tensor a module creates a meta tensor, but each module
still runs its ``reset_parameters``: ``kaiming_uniform_`` and the like, which on meta tensors
change nothing yet cost more than the module's own construction (their meta kernels are
Python decompositions). ``meta_construction`` is torch's device context with those in-place
initialisers answered at once: the model it builds is the same, tensor for tensor
(``materialize`` gives it real storage and initialises it properly).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils._device import DeviceContext

_INITIALISERS: frozenset[Callable[..., Any]] = frozenset(
    {
        *(
            getattr(nn.init, name)
            for name in dir(nn.init)
            if name.endswith("_") and not name.startswith("_")
        ),
        torch.Tensor.uniform_,
        torch.Tensor.normal_,
        torch.Tensor.fill_,
        torch.Tensor.zero_,
    }
)
"""``torch.nn.init``'s in-place functions and the tensor methods they end in."""


class _MetaConstruction(DeviceContext):
    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        if func in _INITIALISERS:
            tensor = args[0] if args else (kwargs or {}).get("tensor")
            if isinstance(tensor, torch.Tensor) and tensor.is_meta:
                return tensor  # an initialiser changes nothing a meta tensor holds
        place_on_device: Callable[..., Any] = super().__torch_function__  # torch leaves it untyped
        return place_on_device(func, types, args, kwargs)


def construction_device(device: str | torch.device) -> DeviceContext:
    """The context to construct a model in: ``torch.device(device)``, skipping weight
    initialisation when that device is meta."""
    if torch.device(device).type == "meta":
        return _MetaConstruction(device)
    return DeviceContext(device)
