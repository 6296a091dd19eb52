"""Nothing but a model definition runs: the allow-list, and designs crafted to inject code."""

from __future__ import annotations

import dataclasses

import pytest

from designer.compiler import UnsafeSourceError, compile_design, load_source
from designer.compiler.safety import check_source
from designer.graph import load_design
from tests.paths import EXAMPLES

BASE = compile_design(load_design(EXAMPLES / "seed_final.json")).source


@pytest.mark.parametrize(
    ("addition", "reason"),
    [
        ("import os", "import of os"),
        ("from subprocess import run", "import of subprocess.run"),
        ("x = eval('1')", "eval"),
        ("x = open('/etc/passwd')", "open"),
        ("x = __import__('os')", "__import__"),
        ("x = nn.Module.__subclasses__()", "__subclasses__"),
        ("x = torch.load('weights.pt')", "torch.load"),
        ("x = torch.hub.load('a', 'b')", "torch.hub.load"),
        ("del BASE", "Delete"),
        ("x = lambda: 0", "Lambda"),
        ("class Evil(object):\n    pass", "derive from nn.Module"),
        ("@staticmethod\ndef evil():\n    pass", "decorators"),
        ("x = [0 for _ in range(10)]", "range"),
        ("while True:\n    pass", "While"),
    ],
)
def test_the_allow_list_refuses(addition: str, reason: str) -> None:
    with pytest.raises(UnsafeSourceError, match=reason):
        check_source(BASE + "\n" + addition + "\n")


def test_the_generated_examples_pass() -> None:
    for path in EXAMPLES.glob("*.json"):
        check_source(compile_design(load_design(path)).source)


def test_refused_source_never_runs(tmp_path: object) -> None:
    marker = "import os\nos.environ['TORCH_DESIGNER_PWNED'] = '1'\n"
    with pytest.raises(UnsafeSourceError):
        load_source(BASE + marker)
    import os

    assert "TORCH_DESIGNER_PWNED" not in os.environ


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x\nimport os"),
        ("name", "x)\nimport os\n(x"),
        ("name", "__class__"),
        ("name", "fc; import os"),
    ],
)
def test_a_design_smuggling_code_through_a_name_is_refused(field: str, value: str) -> None:
    """Names are refused when a design is edited or loaded; were one to slip past (a bug in the
    model), the source check refuses the code before it runs."""
    design = load_design(EXAMPLES / "seed_final.json")
    block_id = next(b.id for b in design.blocks.values() if b.name == "last")
    smuggled = dataclasses.replace(design.blocks[block_id], **{field: value})
    design._blocks[block_id] = smuggled  # bypass validation on purpose
    with pytest.raises(UnsafeSourceError, match="refusing to generate code: block name"):
        compile_design(design)


def test_a_design_smuggling_code_through_a_class_name_is_refused() -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    design._class_name = "Net(nn.Module):\n    pass\nimport os\nclass X"  # bypass on purpose
    with pytest.raises(UnsafeSourceError, match="model class name 'Net\\(nn.Module"):
        compile_design(design)
