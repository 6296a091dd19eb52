"""The seed article's models, written as the article does, with its bugs fixed.

Each stage lives in its own namespace so that, as in the article, every model class is called
``MyCustomCNN`` (and ``print(model)`` shows that name).

Fixed: ``MyEncoder.forward`` is a method (the seed indents it into ``__init__``);
``MyDecoder.forward`` passes ``x`` through ``dec_blocks`` and uses ``last``; the decoder's first
in-size follows the encoder (the seed hard-codes ``64 * 28 * 28``, or ``32 * 28 * 28`` in the
final version, and passes ``dec_sizes`` where it meant ``self.dec_sizes``); ``MyModule`` starts
a fresh trace on every call instead of growing it forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


def conv_block(in_f: int, out_f: int, activation: str = "relu", **kwargs: Any) -> nn.Sequential:
    activations = nn.ModuleDict([["lrelu", nn.LeakyReLU()], ["relu", nn.ReLU()]])
    return nn.Sequential(
        nn.Conv2d(in_f, out_f, **kwargs), nn.BatchNorm2d(out_f), activations[activation]
    )


def dec_block(in_f: int, out_f: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_f, out_f), nn.Sigmoid())


class Flat:
    """The first model: conv, bn and F.relu written out, ``x.view`` to flatten."""

    class MyCustomCNN(nn.Module):
        def __init__(self, in_c: int, n_classes: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(in_c, 32, kernel_size=3, stride=1, padding=1)
            self.bn1 = nn.BatchNorm2d(32)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=1)
            self.bn2 = nn.BatchNorm2d(64)
            self.fc1 = nn.Linear(64 * 28 * 28, 1024)
            self.fc2 = nn.Linear(1024, n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = x.view(x.size(0), -1)
            return self.fc2(torch.sigmoid(self.fc1(x)))


class Blocks:
    """Sequential blocks from the ``conv_block`` factory and a Sequential decoder."""

    class MyCustomCNN(nn.Module):
        def __init__(self, in_c: int, n_classes: int) -> None:
            super().__init__()
            self.conv_block1 = conv_block(in_c, 32, kernel_size=3, padding=1)
            self.conv_block2 = conv_block(32, 64, kernel_size=3, padding=1)
            self.decoder = nn.Sequential(
                nn.Linear(64 * 28 * 28, 1024), nn.Sigmoid(), nn.Linear(1024, n_classes)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv_block2(self.conv_block1(x))
            return self.decoder(x.view(x.size(0), -1))


class SequentialEncoder:
    """The two conv blocks held by one Sequential encoder, the decoder as before."""

    class MyCustomCNN(nn.Module):
        def __init__(self, in_c: int, n_classes: int) -> None:
            super().__init__()
            self.encoder = nn.Sequential(
                conv_block(in_c, 32, kernel_size=3, padding=1),
                conv_block(32, 64, kernel_size=3, padding=1),
            )
            self.decoder = nn.Sequential(
                nn.Linear(64 * 28 * 28, 1024), nn.Sigmoid(), nn.Linear(1024, n_classes)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.encoder(x)
            return self.decoder(x.view(x.size(0), -1))


class EncoderSizes:
    """The encoder as a dynamic Sequential over a list of sizes."""

    class MyCustomCNN(nn.Module):
        def __init__(self, in_c: int, enc_sizes: list[int], n_classes: int) -> None:
            super().__init__()
            self.enc_sizes = [in_c, *enc_sizes]
            conv_blocks = [
                conv_block(in_f, out_f, kernel_size=3, padding=1)
                for in_f, out_f in zip(self.enc_sizes, self.enc_sizes[1:], strict=False)
            ]
            self.encoder = nn.Sequential(*conv_blocks)
            self.decoder = nn.Sequential(
                nn.Linear(self.enc_sizes[-1] * 28 * 28, 1024),
                nn.Sigmoid(),
                nn.Linear(1024, n_classes),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.decoder(self.encoder(x).flatten(1))


class EncoderDecoder:
    """Encoder and decoder both over size lists, and ``last``."""

    class MyCustomCNN(nn.Module):
        def __init__(
            self, in_c: int, enc_sizes: list[int], dec_sizes: list[int], n_classes: int
        ) -> None:
            super().__init__()
            self.enc_sizes = [in_c, *enc_sizes]
            self.dec_sizes = [self.enc_sizes[-1] * 28 * 28, *dec_sizes]
            self.encoder = nn.Sequential(
                *[
                    conv_block(in_f, out_f, kernel_size=3, padding=1)
                    for in_f, out_f in zip(self.enc_sizes, self.enc_sizes[1:], strict=False)
                ]
            )
            self.decoder = nn.Sequential(
                *[
                    dec_block(in_f, out_f)
                    for in_f, out_f in zip(self.dec_sizes, self.dec_sizes[1:], strict=False)
                ]
            )
            self.last = nn.Linear(self.dec_sizes[-1], n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.last(self.decoder(self.encoder(x).flatten(1)))


class MyEncoder(nn.Module):
    def __init__(self, enc_sizes: list[int], activation: str = "relu") -> None:
        super().__init__()
        self.conv_blocks = nn.Sequential(
            *[
                conv_block(in_f, out_f, activation, kernel_size=3, padding=1)
                for in_f, out_f in zip(enc_sizes, enc_sizes[1:], strict=False)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_blocks(x)


class MyDecoder(nn.Module):
    def __init__(self, dec_sizes: list[int], n_classes: int) -> None:
        super().__init__()
        self.dec_blocks = nn.Sequential(
            *[dec_block(in_f, out_f) for in_f, out_f in zip(dec_sizes, dec_sizes[1:], strict=False)]
        )
        self.last = nn.Linear(dec_sizes[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last(self.dec_blocks(x))


class Modules:
    """The MyEncoder / MyDecoder split (also the final model, with an activation choice)."""

    class MyCustomCNN(nn.Module):
        def __init__(
            self,
            in_c: int,
            enc_sizes: list[int],
            dec_sizes: list[int],
            n_classes: int,
            activation: str = "relu",
        ) -> None:
            super().__init__()
            self.enc_sizes = [in_c, *enc_sizes]
            self.dec_sizes = [self.enc_sizes[-1] * 28 * 28, *dec_sizes]
            self.encoder = MyEncoder(self.enc_sizes, activation=activation)
            self.decoder = MyDecoder(self.dec_sizes, n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.decoder(self.encoder(x).flatten(1))


class MyModule(nn.Module):
    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Linear(in_f, out_f) for in_f, out_f in zip(sizes, sizes[1:], strict=False)]
        )
        self.trace: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.trace = []
        for layer in self.layers:
            x = layer(x)
            self.trace.append(x)
        return x


SEED_MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "seed_flat_cnn": (lambda: Flat.MyCustomCNN(1, 10), (1, 1, 28, 28)),
    "seed_sequential": (lambda: Blocks.MyCustomCNN(1, 10), (1, 1, 28, 28)),
    "seed_encoder": (lambda: SequentialEncoder.MyCustomCNN(1, 10), (1, 1, 28, 28)),
    "seed_encoder_sizes": (lambda: EncoderSizes.MyCustomCNN(1, [32, 64, 128], 10), (1, 1, 28, 28)),
    "seed_encoder_decoder": (
        lambda: EncoderDecoder.MyCustomCNN(1, [32, 64], [1024, 512], 10),
        (1, 1, 28, 28),
    ),
    "seed_modules": (lambda: Modules.MyCustomCNN(1, [32, 64], [1024, 512], 10), (1, 1, 28, 28)),
    "seed_modulelist": (lambda: MyModule([1, 16, 32]), (4, 1)),
    "seed_final": (
        lambda: Modules.MyCustomCNN(1, [32, 64], [1024, 512], 10, activation="lrelu"),
        (1, 1, 28, 28),
    ),
}
"""Each seed example's model factory and input shape."""
