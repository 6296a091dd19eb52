"""torchvision's models (issue 12): import -> compile -> strict load -> equal outputs, and the
same ``print(model)`` where each module is called once.

torchvision must be built for the torch in use: where none imports (not installed, or built for
another torch, which fails with ``operator torchvision::nms does not exist``) the module is
skipped, saying why.
"""

from __future__ import annotations

from types import ModuleType

import pytest
import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.importer.loading import model_to_design


def _matching_torchvision_models() -> ModuleType:
    try:
        import torchvision.models
    except (ImportError, RuntimeError, OSError) as error:  # built for another torch
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        pytest.skip(
            f"no torchvision built for torch {torch.__version__} imports here ({first})",
            allow_module_level=True,
        )
    return torchvision.models


models = _matching_torchvision_models()

SIZE = 64
"""The input's height and width: small, so the whole file runs in under a minute on a CPU."""
KWARGS: dict[str, dict[str, object]] = {
    # the position embedding is sized for the image: a 64x64 one keeps the test quick
    "vit_b_16": {"image_size": SIZE},
}
CNNS = ("resnet18", "resnet50", "vgg11_bn", "mobilenet_v2", "mobilenet_v3_small",
        "efficientnet_b0", "squeezenet1_0", "shufflenet_v2_x0_5", "densenet121",
        "convnext_tiny", "regnet_y_400mf")  # fmt: skip
TRANSFORMERS = ("vit_b_16", "swin_t")
_SEQUENTIAL_SUBCLASS = "Conv2dNormActivation, an nn.Sequential subclass, prints as Sequential"
_BUILT_APART = "classes built in several ways (a layer only some instances have) print as X2, X3"
_POOL_MODULE = "F.adaptive_avg_pool2d becomes an AdaptiveAvgPool2d module, printed as one more"
PRINT_DIFFERS = {
    "mobilenet_v2": f"{_SEQUENTIAL_SUBCLASS}; {_BUILT_APART}; {_POOL_MODULE}",
    "mobilenet_v3_small": f"{_SEQUENTIAL_SUBCLASS}; {_BUILT_APART}; SqueezeExcitation's modules "
    "print in the order forward calls them, not the order __init__ made them",
    "efficientnet_b0": f"{_SEQUENTIAL_SUBCLASS}; {_BUILT_APART}; StochasticDepth passes its "
    "input on in eval mode, so it has no block; SqueezeExcitation's modules print in call order",
    "shufflenet_v2_x0_5": f"the empty nn.Sequential branch1 has no block; {_BUILT_APART}",
    "densenet121": "features, an nn.Sequential with named members, is written as a class Features; "
    "_DenseLayer and _DenseBlock lose their leading underscore (a design's class names start with "
    f"a letter); {_BUILT_APART} (each _DenseLayer concatenates a different number of tensors); "
    f"{_POOL_MODULE}",
    "vit_b_16": "encoder.layers, an nn.Sequential with named members, is written as a class Layers",
}
"""Why ``print(model)`` differs, for the models where it does for a reason other than one class
built with different sizes (which the compiler writes as one class taking them)."""
NOT_YET = {
    "convnext_tiny": "LayerNorm2d (a LayerNorm over channels, written as permute, F.layer_norm "
    "with the module's own weight, permute) and the layer_scale parameter multiplied in have "
    "no kind",
    "regnet_y_400mf": "AnyStage names its blocks 'block1-0', which no attribute can be: a design "
    "can't keep those state_dict keys",
    "swin_t": "the relative position bias (a table indexed by a buffer) has no kind yet",
}
"""Models that don't import cleanly yet, and why (the import report says the same)."""


def _cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=False, reason=NOT_YET[name]))
        if name in NOT_YET
        else name
        for name in CNNS + TRANSFORMERS
    ]


def _original(name: str) -> nn.Module:
    torch.manual_seed(0)
    return models.get_model(name, weights=None, **KWARGS.get(name, {})).eval()


@pytest.mark.parametrize("name", _cases())
def test_torchvision_model_round_trip(name: str) -> None:
    original = _original(name)
    shape = (1, 3, SIZE, SIZE)
    design, report = model_to_design(original, shape)
    assert report.clean, report.lines()
    rebuilt = build_model(compile_design(design), "cpu")
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    rebuilt.eval()
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), original(example))
    if any("is called again" in note for note in report.notes):
        return  # the second call is applied as a function: print(model) can't match
    if name in PRINT_DIFFERS:
        assert str(rebuilt) != str(original), f"print(model) now matches: {PRINT_DIFFERS[name]}"
    else:
        assert str(rebuilt) == str(original)
