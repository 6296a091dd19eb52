"""FLOPs of attention: counted as its matrix products, whatever path torch would take.

``FlopCounterMode`` counts 2 FLOPs per multiply-accumulate, so a product of an (a x b) and a
(b x c) matrix counts 2*a*b*c. Self-attention over N sequences of L tokens of width E:
in_proj 2*N*L*E*3E (queries, keys and values at once), Q K^T 2*N*L*L*E and A V 2*N*L*L*E
summed over the heads, out_proj 2*N*L*E*E. Softmax, scaling and biases count nothing.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from designer.runtime.flops import attention_unfused, count_flops

N, L, E, H, FF = 2, 5, 8, 2, 16
DEVICES = ("meta", "cpu")
"""The app counts on meta; on the CPU the fused fast path would count 0 if left on."""


def attention_flops(batch: int, length: int, width: int) -> int:
    in_proj = 2 * batch * length * width * 3 * width
    scores = 2 * batch * length * length * width
    weighted_values = 2 * batch * length * length * width
    out_proj = 2 * batch * length * width * width
    return in_proj + scores + weighted_values + out_proj


def feed_forward_flops(batch: int, length: int, width: int, hidden: int) -> int:
    return 2 * batch * length * width * hidden + 2 * batch * length * hidden * width


class SelfAttention(nn.Module):
    def __init__(self, device: str) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(E, H, batch_first=True, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x, x, x, need_weights=False)[0]


@pytest.mark.parametrize("device", DEVICES)
def test_multihead_self_attention_counts_every_product(device: str) -> None:
    model = SelfAttention(device).eval()
    flops = count_flops(model, [torch.zeros(N, L, E, device=device)])
    assert flops == attention_flops(N, L, E) == 6720


@pytest.mark.parametrize("device", DEVICES)
def test_an_encoder_layer_counts_attention_and_feed_forward(device: str) -> None:
    layer = nn.TransformerEncoderLayer(
        E, H, dim_feedforward=FF, batch_first=True, device=device
    ).eval()
    flops = count_flops(layer, [torch.zeros(N, L, E, device=device)])
    assert flops == attention_flops(N, L, E) + feed_forward_flops(N, L, E, FF)


def test_the_fast_path_is_what_counted_nothing() -> None:
    """The bug this guards against: on the CPU, in eval mode without grad, torch's fused
    path is one kernel the counter has no formula for."""
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=FF, batch_first=True).eval()
    counter = torch.utils.flop_counter.FlopCounterMode(display=False)
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(True)
    try:
        with torch.inference_mode(), counter:
            layer(torch.zeros(N, L, E))
    finally:
        torch.backends.mha.set_fastpath_enabled(before)
    assert counter.get_total_flops() == 0


@pytest.mark.parametrize("setting", [True, False])
def test_the_fast_path_setting_is_restored(setting: bool) -> None:
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(setting)
    try:
        count_flops(SelfAttention("meta").eval(), [torch.zeros(N, L, E, device="meta")])
        assert torch.backends.mha.get_fastpath_enabled() is setting
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def test_the_fast_path_is_off_while_counting_and_restored_after_an_error() -> None:
    seen: list[bool] = []

    def failing(x: torch.Tensor) -> torch.Tensor:
        seen.append(torch.backends.mha.get_fastpath_enabled())
        raise RuntimeError("the model failed")

    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(True)
    try:
        with pytest.raises(RuntimeError, match="the model failed"):
            count_flops(failing, [torch.zeros(1)])
        assert seen == [False]
        assert torch.backends.mha.get_fastpath_enabled() is True
        with pytest.raises(KeyError), attention_unfused():
            raise KeyError("inside")
        assert torch.backends.mha.get_fastpath_enabled() is True
    finally:
        torch.backends.mha.set_fastpath_enabled(before)
