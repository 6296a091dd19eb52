"""Generated sources mutated toward harm are refused, or run harmlessly.

Each mutant is a shipped example's or a random design's source with a call target swapped for
a dangerous one, a statement from a pool of dangerous (and a few harmless) ones inserted at a
random place in a random function, class or module body, or a called name renamed. The check
must refuse it; if it accepts it, the mutant is loaded, built on the meta device and run forward
while an audit hook watches: any file opened, module imported, code compiled or executed, or
process, socket or ``os`` call made from a generated module's frames is a breach.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from designer.compiler import CompiledDesign, UnsafeSourceError, build_model, compile_design, safety
from designer.compiler.live import MODULE_PREFIX
from designer.compiler.safety import check_source
from designer.graph import Design, check_design, load_design
from tests.compiler.design_strategies import designs, example_inputs
from tests.paths import EXAMPLES
from tests.profiles import examples

pytestmark = pytest.mark.filterwarnings("ignore")  # mutants may warn as they build

CALL_TARGETS: Final = (
    "exec", "eval", "open", "getattr", "setattr", "globals", "locals", "__import__", "compile",
    "vars", "type", "object", "input", "breakpoint", "delattr", "memoryview", "dir", "help",
    "print", "iter", "len", "isinstance", "torch.load", "torch.save", "torch.from_file",
    "torch.hub.load", "torch.os.system", "F.torch.load", "nn.Module.__subclasses__",
    "self.__class__", "self.modules", "self.load_state_dict", "self.register_forward_hook",
    "self.apply", "x.untyped_storage", "super().__getattribute__", "activations()['relu']",
    # harmless ones, so that some mutants pass the check and run
    "zip", "nn.ReLU", "nn.Identity", "F.relu", "torch.cat", "torch.sigmoid",
)  # fmt: skip
STATEMENTS: Final = (
    'for f in [exec]:\n    f("import os")',
    'self.g = exec\nself.g("import os")',
    'self.g = open\nself.g("/tmp/td_breach", "w")',
    'open("/tmp/td_breach", "w")',
    '__import__("os").system("true")',
    "import os",
    "from os import system",
    "import torch.hub",
    'y = getattr(torch, "load")',
    'globals()["__builtins__"]["open"]("/tmp/td_breach", "w")',
    "self.layers = [exec]\nfor layer in self.layers:\n    layer('import os')",
    'torch.save(self, "/tmp/td_breach.pt")',
    'y = torch.os.system("true")',
    'y = [f for f in [open]][0]("/tmp/td_breach", "w")',
    '[0 for open in [1]]\ny = open("/tmp/td_breach", "w")',
    "def helper():\n    return open",
    'self.g = helper()\nself.g("/tmp/td_breach", "w")',
    "y = vars(self)",
    "y = type(self)",
    "y = object.__subclasses__()",
    "breakpoint()",
    "y = input()",
    "help()",
    "y = dir()",
    'y = memoryview(b"")',
    'delattr(self, "g")',
    "y = self.__dict__",
    'y = F.torch.load("/tmp/td_breach.pt")',
    'exec("import os")',
    'eval("1")',
    'compile("1", "x", "exec")',
    "y = locals()",
    "self.register_forward_hook(print)",
    'x.untyped_storage().from_file("/etc/hostname", False, 1)',
    'y = [exec][0]("import os")',
    'y = {"f": open}["f"]("/tmp/td_breach", "w")',
    "self.share_memory()",
    "y = iter([open])",
    "class Evil(nn.Module):\n    def __del__(self):\n        return None",
    # harmless ones
    "y = 1",
    "y = zip([1], [2])",
    "self.extra = nn.ReLU()",
    "y = [1, 2][0]",
)
WATCHED_EVENTS: Final = frozenset({
    "open", "import", "exec", "compile", "builtins.input", "builtins.breakpoint", "os.system",
    "subprocess.Popen", "pty.spawn", "webbrowser.open", "code.__new__", "function.__new__",
    "sys.addaudithook", "sys.settrace", "sys.setprofile", "marshal.loads", "pickle.find_class",
    "torch.load",
})  # fmt: skip
WATCHED_PREFIXES: Final = ("os.", "shutil.", "socket.", "ctypes.", "subprocess.", "urllib.")
SAFETY_FILE: Final = safety.__file__
IMPORT_MACHINERY: Final = ("<frozen importlib", "shibokensupport/")


# --- watching the generated module's frames ------------------------------------------------------


@dataclass
class Watch:
    on: bool = False
    breaches: list[str] = dataclasses.field(default_factory=list)


WATCH: Final = Watch()


def _audit(event: str, arguments: tuple[object, ...]) -> None:
    if not WATCH.on or not (event in WATCHED_EVENTS or event.startswith(WATCHED_PREFIXES)):
        return
    frame = _culprit(sys._getframe(1), event)
    if frame is not None:
        WATCH.breaches.append(f"{event}{arguments!r:.120} from {frame.f_code.co_filename}")


def _culprit(frame: FrameType | None, event: str) -> FrameType | None:
    """The generated frame an event is charged to; None where it is torch's own doing.

    An import is charged to the frame that runs the import statement (the reduced builtins'
    ``__import__`` passed over): torch importing its own modules, or trying numpy again, while
    a generated forward runs is not the forward importing. What any import then does (reading
    files, compiling, executing the module) is the import's. Anything else is charged to the
    nearest generated frame on the stack: ``open`` deep inside a torch function a generated
    frame called is that frame's doing. The import machinery is importlib's, and PySide6's
    ``__import__``, which reads the source of each module that runs an import statement.
    """
    if event == "import":
        while frame is not None and frame.f_code.co_filename == SAFETY_FILE:
            frame = frame.f_back
        return frame if frame is not None and _generated(frame) else None
    while frame is not None and not _generated(frame):
        if frame.f_code.co_filename.startswith(IMPORT_MACHINERY):
            return None
        frame = frame.f_back
    return frame


def _generated(frame: FrameType) -> bool:
    return frame.f_code.co_filename.startswith(f"<{MODULE_PREFIX}")


sys.addaudithook(_audit)  # hooks stay for the process; this one acts only while watching


@contextmanager
def watching() -> Iterator[list[str]]:
    """The breaches seen inside the block, from generated frames."""
    WATCH.breaches = []
    WATCH.on = True
    try:
        yield WATCH.breaches
    finally:
        WATCH.on = False


def test_the_watch_sees_a_breach_from_a_generated_frame(tmp_path: Path) -> None:
    """The sweep below would pass vacuously if the hook saw nothing: prove it sees."""
    code = "open(path, 'w').close()\ncompile('1', 'x', 'eval')\nimport td_no_such_module\n"
    probe = compile(code, f"<{MODULE_PREFIX}probe>", "exec")
    with watching() as breaches, pytest.raises(ModuleNotFoundError):
        exec(probe, {"path": str(tmp_path / "probe")})  # full builtins, on purpose
    assert [breach.split("(")[0] for breach in breaches] == ["open", "compile", "import"]
    with watching() as breaches:
        (tmp_path / "not_generated").write_text("")
    assert breaches == []


# --- mutating generated sources ------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    compiled: CompiledDesign
    inputs: tuple[torch.Tensor, ...]
    """On the meta device, in forward()'s order."""


def _base(design: Design) -> Base:
    compiled = compile_design(design)
    inputs = tuple(tensor.to("meta") for tensor in example_inputs(design))
    return Base(compiled, inputs)


@functools.cache
def _example(name: str) -> Base:
    return _base(load_design(EXAMPLES / f"{name}.json"))


EXAMPLE_NAMES: Final = tuple(sorted(path.stem for path in EXAMPLES.glob("*.json")))


def _expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _bodies(tree: ast.Module) -> list[list[ast.stmt]]:
    bodies: list[list[ast.stmt]] = [tree.body]
    bodies += [node.body for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    bodies += [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    return bodies


@st.composite
def mutation(draw: st.DrawFn, tree: ast.Module) -> str:
    """Mutate ``tree`` in place; what was done, for the failure report."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    named = [call for call in calls if isinstance(call.func, ast.Name)]
    kind = draw(st.sampled_from(("swap", "insert", "rename")))
    if kind == "swap" and calls:
        call = draw(st.sampled_from(calls))
        target = draw(st.sampled_from(CALL_TARGETS))
        call.func = _expression(target)
        return f"swap the call at line {call.lineno} to {target}"
    if kind == "rename" and named:
        call = draw(st.sampled_from(named))
        defined = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)})
        pool = {target.split(".")[0].split("(")[0] for target in CALL_TARGETS}
        name = draw(st.sampled_from(sorted({*defined, *pool})))
        call.func = ast.Name(name, ast.Load())
        return f"rename the call at line {call.lineno} to {name}"
    body = draw(st.sampled_from(_bodies(tree)))
    at = draw(st.integers(0, len(body)))
    statement = draw(st.sampled_from(STATEMENTS))
    body[at:at] = ast.parse(statement).body
    return f"insert {statement!r} at {at}"


def _assert_refused_or_harmless(base: Base, data: st.DataObject) -> None:
    tree = ast.parse(base.compiled.source)
    done = [data.draw(mutation(tree)) for _ in range(data.draw(st.integers(1, 3)))]
    mutant = ast.unparse(ast.fix_missing_locations(tree))
    try:
        check_source(mutant)
    except UnsafeSourceError:
        event("refused")
        return
    event("accepted: built and run")
    compiled = dataclasses.replace(base.compiled, source=mutant)
    with watching() as breaches:
        try:
            model = build_model(compiled)
            model(*base.inputs)
        except Exception:  # failing is fine; breaching is not
            event("accepted: failed as it ran")
    assert not breaches, (done, breaches)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(EXAMPLE_NAMES), data=st.data())
def test_a_mutated_example_is_refused_or_harmless(name: str, data: st.DataObject) -> None:
    base = _example(name)
    _assert_refused_or_harmless(base, data)


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(design=designs(), data=st.data())
def test_a_mutated_random_design_is_refused_or_harmless(
    design: Design, data: st.DataObject
) -> None:
    assume(check_design(design).ok)
    base = _base(design)
    _assert_refused_or_harmless(base, data)
