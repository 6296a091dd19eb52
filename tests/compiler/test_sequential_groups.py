"""Groups marked ``sequential``, as imported models have them: a class deriving nn.Sequential
(torchvision's ``Conv2dNormActivation``) and an ``nn.Sequential`` whose members keep their names
(``nn.Sequential(OrderedDict(...))``), module keys such as regnet's ``block1-0`` included."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from torch import nn

from designer.compiler import build_model, compile_design
from designer.compiler.errors import CompileError
from designer.graph import Design, dumps_design, loads_design
from designer.graph.errors import BadNameError, GroupError
from tests.compiler.test_golden import compare

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "sequential"


def _conv_norm_act(design: Design, name: str, out: int, stride: int) -> list[str]:
    blocks = [
        design.add_block(
            "conv2d",
            name=f"{name}_conv",
            params={"out_channels": out, "kernel_size": 3, "padding": 1, "stride": stride},
        ),
        design.add_block("batch_norm2d", name=f"{name}_bn"),
        design.add_block("activation", name=f"{name}_act", params={"activation": "relu"}),
    ]
    return [block.id for block in blocks]


def _features(first_name: str = "stem") -> Design:
    """Two Conv2dNormActivation (numbered nn.Sequential subclasses), sized differently, in a
    named nn.Sequential ``features``."""
    design = Design("Net")
    last = design.add_block("input", name="x", params={"shape": [2, 3, 16, 16]}).id
    groups = []
    for name, out, stride in (("stem", 8, 1), ("down", 16, 2)):
        members = _conv_norm_act(design, name, out, stride)
        for member in members:
            design.connect(last, member)
            last = member
        group = design.add_group(
            name, members, class_name="Conv2dNormActivation", sequential="numbered"
        )
        groups.append(group.id)
    design.add_group("features", groups=groups, sequential="named")
    design.rename_group(groups[0], first_name)  # a module key only a named Sequential's member has
    design.connect(last, design.add_block("output", name="y").id)
    return design


def _reference() -> nn.Module:
    class Conv2dNormActivation(nn.Sequential):
        pass

    def block(inputs: int, out: int, stride: int) -> nn.Module:
        return Conv2dNormActivation(
            nn.Conv2d(inputs, out, 3, stride=stride, padding=1), nn.BatchNorm2d(out), nn.ReLU()
        )

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                OrderedDict([("stem", block(3, 8, 1)), ("down", block(8, 16, 2))])
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.features(x)

    return Net()


def test_sequential_subclass_and_named_members(regen_golden: bool) -> None:
    compiled = compile_design(_features())
    compare(GOLDEN / "features.py", compiled.source, regen_golden)
    assert "class Conv2dNormActivation(nn.Sequential):" in compiled.source
    model = build_model(compiled, "cpu").eval()
    reference = _reference().eval()
    assert str(model) == str(reference)
    model.load_state_dict(reference.state_dict(), strict=True)
    example = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(example), reference(example))


def test_a_module_key_names_a_member_of_a_named_sequential_only() -> None:
    design = _features("block1-0")
    source = compile_design(design).source
    assert '("block1-0", Conv2dNormActivation(3, 8, 1))' in source
    keys = build_model(compile_design(design), "cpu").state_dict()
    assert "features.block1-0.0.weight" in keys
    assert loads_design(dumps_design(design)).groups.keys() == design.groups.keys()
    features = next(g for g in design.groups.values() if g.name == "features")
    with pytest.raises(GroupError, match="block1-0 can only name the members of a named"):
        design.ungroup(features.id)
    with pytest.raises(GroupError, match="block1-0"):
        design.set_group_sequential(features.id, None)
    with pytest.raises(BadNameError, match="not an identifier"):
        design.add_block("linear", name="fc-1")


def test_a_module_key_outside_a_chain_is_refused_at_compile() -> None:
    """Rewired so that ``features`` is no chain, it becomes a class whose attributes can't be
    ``block1-0``: the compiler says so, naming the group."""
    design = _features("block1-0")
    x = next(b for b in design.blocks.values() if b.kind == "input")
    down_conv = next(b for b in design.blocks.values() if b.name == "down_conv")
    design.disconnect(design.inbound(down_conv.id)["in"])
    design.connect(x.id, down_conv.id)
    with pytest.raises(CompileError, match="block1-0 can only name a member of a named"):
        compile_design(design)
