"""Nothing but a model definition runs: the allow-list, the reduced builtins, and designs
crafted to inject code."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import textwrap

import pytest

from designer.compiler import UnsafeSourceError, compile_design, load_source
from designer.compiler.safety import check_source, module_builtins
from designer.graph import load_design
from tests.paths import EXAMPLES

BASE = compile_design(load_design(EXAMPLES / "seed_final.json")).source
LOOPING = compile_design(load_design(EXAMPLES / "seed_modulelist.json")).source
"""Its forward loops ``for layer in self.layers`` and appends to a trace."""
FORWARD = "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
DANGEROUS = (
    "exec", "eval", "open", "getattr", "setattr", "globals", "locals", "__import__", "compile",
    "vars", "type", "object", "input", "breakpoint", "delattr", "memoryview", "dir", "help",
    "print", "iter", "isinstance", "len", "__builtins__", "__loader__", "__spec__",
)  # fmt: skip
"""Builtins the check refuses everywhere (``iter``, ``isinstance`` and ``len`` are in the
module's builtins for torch.compile, never for the source to name)."""


def in_forward(statements: str, source: str = BASE) -> tuple[str, int]:
    """``source`` with ``statements`` at the start of its last ``forward``, and the number of
    the line the first of them lands on."""
    at = source.rindex(FORWARD) + len(FORWARD)
    body = textwrap.indent(textwrap.dedent(statements).strip("\n") + "\n", " " * 8)
    return source[:at] + body + source[at:], source[:at].count("\n") + 1


def refusal(source: str) -> str:
    with pytest.raises(UnsafeSourceError) as error:
        check_source(source)
    return str(error.value)


def refused_line(message: str) -> int:
    found = re.match(r"generated code line (\d+): ", message)
    assert found, message
    return int(found.group(1))


# --- the two bypasses the review found -----------------------------------------------------------


def test_a_loop_over_a_list_of_builtins_is_refused() -> None:
    source, line = in_forward('for f in [exec]:\n    f("import os")')
    message = refusal(source)
    assert refused_line(message) in (line, line + 1)
    assert "exec" in message or "f(...)" in message, message


def test_a_builtin_stored_on_self_and_called_is_refused() -> None:
    source, line = in_forward('self.g = exec\nself.g("import os")')
    message = refusal(source)
    assert message.startswith(f"generated code line {line}: self.g = exec is not allowed")


def test_the_bypasses_find_nothing_to_call_even_unchecked() -> None:
    """The second wall: run unchecked, the same code finds no ``exec`` among its builtins."""
    namespace: dict[str, object] = {"__builtins__": module_builtins()}
    with pytest.raises(NameError, match="exec"):
        exec("for f in [exec]:\n    f('import os')", namespace)
    with pytest.raises(NameError, match="open"):
        exec("g = open\ng('/dev/null')", namespace)


# --- dangerous names, wherever they appear -------------------------------------------------------


@pytest.mark.parametrize("name", DANGEROUS)
@pytest.mark.parametrize(
    "template",
    [
        "y = {name}('x')",  # called
        "y = {name}",  # read
        "x = self.encoder({name})",  # passed as an argument
        "y = [{name}]",  # stored in a list
        "self.g = {name}",  # assigned to self
        "self.g = [{name}]",  # a container of it assigned to self
        "y = nn.Sequential({name}=1, z={name})",  # a keyword's value
        "y = [z for z in {name}]",  # iterated
        "y = [0 for z in [1] if {name}]",  # a comprehension's condition
        "y = x if {name} else x",  # a condition
    ],
)
def test_a_dangerous_name_is_refused_wherever_it_appears(name: str, template: str) -> None:
    source, line = in_forward(template.format(name=name))
    message = refusal(source)
    assert refused_line(message) == line and name in message, message


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_dangerous_name_as_a_default_or_annotation_is_refused(name: str) -> None:
    for header in (f"def helper(a=({name})) -> None:", f"def helper(a: {name}) -> None:"):
        source = BASE + f"\n\n{header}\n    return None\n"
        assert name in refusal(source)


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        ("y = torch.load('weights.pt')", "torch.load"),
        ("y = nn.DataParallel(self.encoder)", "nn.DataParallel"),
        ("y = torch.hub.load('a', 'b')", "torch.hub.load"),
        ("y = torch.os", "torch.os"),
        ("y = torch.save", "torch.save"),
        ("y = F.torch", "F.torch"),
        ("y = nn.init", "nn.init"),
        ("y = nn.Module.__subclasses__()", "__subclasses__"),
        ("y = x.untyped_storage()", "x.untyped_storage"),
        ("y = x.untyped_storage", "x.untyped_storage"),
        ("y = x.grad", "x.grad"),
        ("y = x.tolist()", "x.tolist"),
        ("y = self.modules()", "self.modules is used but no method assigns it"),
        ("y = self.__class__", "__class__"),
        ("y = self.encoder.apply(x)", "self.encoder.apply"),
        ("self.training = 1", "replace nn.Module's own attribute"),
        ("self.forward = nn.ReLU()", "replace nn.Module's own attribute"),
        ("y = super().forward(x)", "super().forward"),
        ("y = super(MyEncoder, self).__init__()", "super(MyEncoder, self).__init__"),
        ("y = torch", "the module torch is used only as torch.<member>"),
        ("y = nn", "the module nn is used only as nn.<member>"),
        ("y = [f(x) for f in [nn.ReLU()]]", "comprehension variable: it is only read"),
        ("f = conv_block\ny = f(1, 2)", "the call f(...)"),
        ("[0 for open in [1]]\ny = open", "the name open"),
        ("self = nn.ReLU()", "self is only a method's first parameter"),
        ("self.g = conv_block", "self.g = conv_block is not allowed"),
        ("self.g = x\ny = self.g(x)", "self.g = x is not allowed"),
        ("y = x.flatten", "x.flatten is not allowed on the local variable x"),
        ("y = activations()['relu'](x)", "activations()['relu'](...)"),
        ("x[0] = 1", "assigning to x[0]"),
        ("x += 1", "AugAssign"),
        ("del x", "Delete"),
        ("y = lambda: 0", "Lambda"),
        ("y = (z := 1)", "NamedExpr"),
        ("y = {z for z in [1]}", "SetComp"),
        ("y = f'{x}'", "JoinedStr"),
        ("y = b'bytes'", "constant b'bytes'"),
        ("y = 2 ** x", "Pow"),
        ("y = x - 1", "Sub"),
        ("y = [0 for _ in range(10)]", "range"),
        ("while True:\n    pass", "While"),
        ("if x:\n    pass", "If"),
        ("global y", "Global"),
        ("import os", "Import"),
        ("y: int", "an annotation without a value"),
    ],
)
def test_the_allow_list_refuses_in_a_method(statements: str, reason: str) -> None:
    source, line = in_forward(statements)
    message = refusal(source)
    assert line <= refused_line(message) <= line + statements.count("\n")
    assert reason in message, message


@pytest.mark.parametrize(
    ("addition", "reason"),
    [
        ("import os", "import of os"),
        ("import torch.hub", "import of torch.hub"),
        ("import torch as t", "import of torch"),
        ("from subprocess import run", "import of subprocess.run"),
        ("from torch import load", "import of torch.load"),
        ("from . import x", "relative imports"),
        ("x = 1", "Assign at module level"),
        ("for f in [exec]:\n    f('import os')", "For at module level"),
        ("class Evil(object):\n    pass", "derive from nn.Module"),
        ("class Evil(nn.Module, metaclass=type):\n    pass", "derive from nn.Module"),
        ("class Evil(nn.Module):\n    x = exec", "Assign in a class"),
        ("class Evil(nn.Module):\n    def forward(x):\n        return x", "must take self"),
        (
            "class Evil(nn.Module):\n    def __getattr__(self, n):\n        return n",
            "only __init__",
        ),
        (  # Evil.flatten(tensor) would run it with the tensor as self
            "class Evil(nn.Module):\n    def flatten(self):\n        return self.untyped_storage()",
            "a class defines only __init__ and forward",
        ),
        ("@staticmethod\ndef evil():\n    pass", "decorators"),
        ("def evil(self):\n    return self.encoder", "self is only a method's first parameter"),
        ("def evil(x):\n    x = exec\n    return x", "the name exec"),
        ("def conv_block():\n    return 0", "conv_block is defined twice"),
        ("def zip(a, b):\n    return a", "would hide the builtin zip"),
        ("def torch():\n    return 0", "torch is defined twice"),
    ],
)
def test_the_allow_list_refuses_at_module_level(addition: str, reason: str) -> None:
    assert reason in refusal(BASE + "\n\n" + addition + "\n")


# --- what generated code does is allowed ---------------------------------------------------------


def test_the_generated_examples_pass() -> None:
    for path in EXAMPLES.glob("*.json"):
        check_source(compile_design(load_design(path)).source)


@pytest.mark.parametrize(
    "statements",
    [
        "for layer in self.layers:\n    x = layer(x)",
        "for layer in self.layers.values():\n    x = layer(x)",
        "for layer in self.layers:\n    x = layer(x)\nfor layer in self.layers:\n    x = layer(x)",
        "y = [layer for layer in self.layers]",
        "y = x.flatten(1)",
        "y = [z.flatten(1) for z in [x, x]]",
        "self.extra = [nn.ReLU() for _ in zip([1], [2])]",
        "self.extra = {'a': nn.ReLU()}['a']",
        "self.extra = nn.ReLU() if True else nn.Identity()",
        "y = torch.cat([x, x], dim=1)",
    ],
)
def test_what_generated_code_does_passes(statements: str) -> None:
    check_source(in_forward(statements, LOOPING)[0])


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        ("for f in [conv_block]:\n    x = f(x)", "the call f(...)"),
        ("layer = x\nfor layer in self.layers:\n    x = layer(x)", "the call layer(...)"),
        ("for layer in self.layers:\n    layer = x\n    x = layer(x)", "the call layer(...)"),
        ("for layer in self.layers.items():\n    x = layer(x)", "self.layers.items(...)"),
        ("for layer in self.missing:\n    x = layer(x)", "self.missing is used but no method"),
        ("for layer in self.__dict__:\n    x = layer(x)", "__dict__"),
    ],
)
def test_a_loop_variable_is_callable_only_over_a_sub_module_container(
    statements: str, reason: str
) -> None:
    assert reason in refusal(in_forward(statements, LOOPING)[0])


def test_a_loop_parameter_named_like_the_loop_variable_is_not_callable() -> None:
    """``LOOPING``'s forward already runs ``for layer in self.layers: x = layer(x)``."""
    source = LOOPING.replace(FORWARD, FORWARD.replace("x: torch.Tensor", "x: torch.Tensor, layer"))
    assert source != LOOPING
    assert "the call layer(...)" in refusal(source)


# --- the reduced builtins ------------------------------------------------------------------------


def test_a_generated_module_runs_with_only_the_builtins_it_uses() -> None:
    module = load_source(BASE)
    builtins = vars(module)["__builtins__"]
    assert set(builtins) == {
        "__build_class__", "__import__", "super", "zip", "int", "float", "str", "bool", "list",
        "tuple", "isinstance", "iter", "len",
    }  # fmt: skip
    for name in ("exec", "eval", "open", "getattr", "compile", "globals", "type", "object"):
        assert name not in builtins


@pytest.mark.parametrize(
    "statement",
    [
        "import os",
        "import torch.hub",
        "from torch import load",
        "from typing import cast",
        "from . import something",
    ],
)
def test_the_builtin_import_imports_only_what_the_check_allows(statement: str) -> None:
    with pytest.raises(ImportError, match="generated code may not import"):
        exec(statement, {"__builtins__": module_builtins(), "__name__": "x"})


def test_the_allowed_imports_work_under_the_reduced_builtins() -> None:
    namespace: dict[str, object] = {"__builtins__": module_builtins(), "__name__": "x"}
    exec(
        "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
        "from typing import Any\n",
        namespace,
    )
    assert {"torch", "nn", "F", "Any"} <= set(namespace)


# --- refused code never runs ---------------------------------------------------------------------


def test_refused_source_never_runs() -> None:
    marker = "import os\nos.environ['TORCH_DESIGNER_PWNED'] = '1'\n"
    with pytest.raises(UnsafeSourceError):
        load_source(BASE + marker)
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


def test_torchs_own_lazy_imports_pass_while_generated_code_runs() -> None:
    """C code imports through the builtins of the frame it runs under: ``x + x`` on meta, first
    thing in a fresh process, imports ``torch._library.simple_registry`` from inside torch.
    The restricted ``__import__`` refuses only ``import`` statements of the generated code."""
    script = (
        "from designer.graph import Design\n"
        "from designer.compiler.analysis import analyse_design\n"
        "d = Design()\n"
        "x = d.add_block('input', name='x', params={'shape': [1, 8]})\n"
        "a = d.add_block('add', name='a')\n"
        "o = d.add_block('output', name='o')\n"
        "d.connect(x.id, a.id, 'in0'); d.connect(x.id, a.id, 'in1'); d.connect(a.id, o.id)\n"
        "print(analyse_design(d).source.count('return x + x'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
