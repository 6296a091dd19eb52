"""FLOPs of one forward pass, counted on the meta device: no memory, whatever the model.

``FlopCounterMode`` counts the matrix work only (matmul, addmm, bmm, convolution and attention:
2 FLOPs per multiply-accumulate); bias additions, normalisation, activations and pooling count
nothing. That is the convention peak figures are quoted in, so achieved / peak is fair.

Attention is counted as the matrix products it is made of. ``nn.MultiheadAttention`` and the
transformer layers have a fused fast path (eval mode, no grad) that the counter sees as one
opaque kernel, counting 0; and scaled-dot-product attention may run as a fused kernel the
counter has no formula for. While counting, the fast path is off and attention runs in its
plain ``math`` form, so the products are seen (and counted) one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from designer.compiler.compile import CompiledDesign
from designer.compiler.live import build_model
from designer.graph import Design
from designer.runtime.batch import batch_inputs


def forward_flops(compiled: CompiledDesign, design: Design, batch: int) -> int:
    """FLOPs of one forward pass of ``compiled`` over a batch of ``batch``."""
    model = build_model(compiled)
    return count_flops(model, batch_inputs(design, batch, "meta"))


def count_flops(model: Callable[..., object], inputs: Sequence[torch.Tensor]) -> int:
    """FLOPs of ``model(*inputs)``, attention included (see the module's docstring)."""
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), attention_unfused(), counter:
        model(*inputs)
    return int(counter.get_total_flops())


@contextmanager
def attention_unfused() -> Iterator[None]:
    """Attention as separate matrix products: the MHA fast path off (the previous setting
    restored afterwards, whatever happens) and scaled-dot-product attention in math form."""
    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)
