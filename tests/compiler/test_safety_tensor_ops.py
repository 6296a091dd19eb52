"""The allow-list's tensor operations: what attention and reshaping kinds write passes, and
nothing around it does."""

from __future__ import annotations

import pytest

from designer.compiler.errors import UnsafeSourceError
from designer.compiler.safety import check_source

TEMPLATE = """import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        {line}
        return x
"""


@pytest.mark.parametrize(
    "line",
    [
        "x = x.reshape(-1, 4)",
        "x = x.view(x.shape[0], 2, -1)",
        "x = x.permute(0, 2, 1)",
        "x = x.transpose(1, 2)",
        "x = x.unsqueeze(1).squeeze(1)",
        "x = x.mean(dim=(2, 3), keepdim=True)",
        "x = x.softmax(-1)",
        "x = x[:, 0]",
        "x = x * torch.sigmoid(x)",
        "x = x @ x.transpose(-2, -1)",
        "x = torch.matmul(x, x)",
        "x = x + 0.5 * x",
        "mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)",
        "a, b = x.chunk(2, dim=-1)",
    ],
)
def test_tensor_operations_pass(line: str) -> None:
    check_source(TEMPLATE.format(line=line))


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("x = -x", "only a negative number"),
        ("x = not x", "only a negative number"),
        ("x = ~x", "only a negative number"),
        ("x = x.tolist()", "x.tolist"),
        ("x = x.numpy()", "x.numpy"),
        ("x = x.grad", "x.grad"),
        ("x = x.storage", "x.storage"),
        ("x = x ** 2", "Pow"),
        ("x = x - x", "Sub"),
        ("x = nn.Transformer.forward(x)", "nn.Transformer.forward"),
        ("x = nn.Parameter.__new__(x)", "nn.Parameter.__new__"),
        ("x = torch.load(x)", "torch.load"),
        ("x = torch.from_file(x)", "torch.from_file"),
    ],
)
def test_everything_around_them_is_refused(line: str, named: str) -> None:
    with pytest.raises(UnsafeSourceError, match=named.replace("(", r"\(").replace("*", r"\*")):
        check_source(TEMPLATE.format(line=line))
