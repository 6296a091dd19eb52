"""Import every torchvision classification model and check what comes back (issue 12, item 7).

For each model of ``torchvision.models.list_models(module=torchvision.models)``: build it on
the meta device (no memory for its weights, as the app imports), import it to a laid-out design
(timed), compile the design, then build the original on the CPU with ``weights=None`` and a
fixed seed, load its ``state_dict`` into the compiled model with ``strict=True`` and compare
the two outputs in eval mode on a random input (``torch.testing.assert_close``). Models with
more than ``--meta-above`` parameters are checked for structure only: imported and compiled on
meta, their ``state_dict`` keys and shapes compared, nothing loaded or run.

Each model runs in a forked child with a time limit, so one that hangs or crashes is reported
and the rest go on. The table gives each model's blocks, import time, result and the first
operation the import couldn't map; then the share that passes against the issue's target, and
the time to import resnet50 to a laid-out design (models built on meta, torch's import not
counted) against its 3 s target. Run from the repository root, with a torchvision built for
the torch in use::

    python bench/import_zoo.py [--models resnet18,vgg11] [--timeout 300]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import multiprocessing
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import torch
from timing import verdict
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.importer import mapping  # noqa: F401  # imported once, before the children fork
from designer.importer.import_worker import import_model
from designer.importer.loading import ImportRequest, model_to_design
from designer.importer.report import ImportFailedError
from designer.text_table import text_table

log = logging.getLogger("import_zoo")

TARGET_SHARE = 0.9
TARGET_RESNET50_S = 3.0
DEFAULT_SIZE = 64
SIZES = {"inception_v3": 299, "maxvit_t": 224}
"""Input sizes for models that need more than the default; the ViTs take theirs from
``image_size``."""
META_ABOVE = 150_000_000
"""Parameters above which a model is checked for structure only, on the meta device."""
RESNET50_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    blocks: int | None
    import_s: float | None
    result: str
    """``pass``, ``pass (structure only, on meta)``, or ``fail: why``."""
    first_unmapped: str = ""

    @property
    def passed(self) -> bool:
        return self.result.startswith("pass")

    def row(self) -> list[str]:
        return [
            self.name,
            "-" if self.blocks is None else str(self.blocks),
            "-" if self.import_s is None else f"{self.import_s:.2f}",
            self.result,
            self.first_unmapped or "-",
        ]


def _vit_patch(name: str) -> int | None:
    """A ViT's patch size (``vit_h_14``: 14): its image size must be a multiple of it."""
    return int(name.rpartition("_")[2]) if name.startswith("vit_") else None


def input_size(name: str) -> int:
    patch = _vit_patch(name)
    if patch is not None:
        return -(-DEFAULT_SIZE // patch) * patch
    return SIZES.get(name, DEFAULT_SIZE)


def _build(name: str, device: str) -> nn.Module:
    """The model with ``weights=None`` and a fixed seed, on ``device``; a model whose
    constructor computes with tensors (regnet's widths) can't be built on meta: the CPU then."""
    zoo = importlib.import_module("torchvision.models")  # no type hints: imported by name
    kwargs: dict[str, Any] = {"image_size": input_size(name)} if _vit_patch(name) else {}
    torch.manual_seed(0)
    try:
        with torch.device(device):
            model: nn.Module = zoo.get_model(name, weights=None, **kwargs)
    except NotImplementedError:
        log.info("%s can't be built on %s: built on the CPU", name, device)
        model = zoo.get_model(name, weights=None, **kwargs)
    return model.eval()


def _clip(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= 160 else text[:157] + "..."


def _key_difference(original: nn.Module, rebuilt: nn.Module) -> str:
    """The first key the rebuilt model's ``state_dict`` lacks and the first it has over, if
    any."""
    theirs, ours = set(original.state_dict()), set(rebuilt.state_dict())
    missing, extra = sorted(theirs - ours), sorted(ours - theirs)
    parts = [f"{len(missing)} missing ({missing[0]}...)"] if missing else []
    parts += [f"{len(extra)} unexpected ({extra[0]}...)"] if extra else []
    return ", ".join(parts)


def check_model(name: str, meta_above: int) -> Outcome:
    """Import ``name`` and check the compiled model against the original."""
    shape = (1, 3, input_size(name), input_size(name))
    on_meta = _build(name, "meta")
    structure_only = sum(p.numel() for p in on_meta.parameters()) > meta_above
    built_on = next(on_meta.parameters()).device.type
    where = "structure only" + (", on meta" if built_on == "meta" else ", built on the CPU")
    started = time.perf_counter()
    try:
        design, report = model_to_design(on_meta, shape)
    except ImportFailedError as failure:
        return Outcome(name, None, None, f"fail: import: {failure.message}")
    import_s = time.perf_counter() - started
    blocks = len(design.blocks)
    if not report.clean:
        first = report.unmapped[0]
        why = first.advice.split(":")[0]
        return Outcome(name, blocks, import_s, f"fail: {len(report.unmapped)} unmapped",
                       _clip(f"{first.what} ({why})"))  # fmt: skip
    compiled = compile_design(design)
    if structure_only:
        rebuilt = build_model(compiled, "meta")
        theirs = {key: tuple(value.shape) for key, value in on_meta.state_dict().items()}
        ours = {key: tuple(value.shape) for key, value in rebuilt.state_dict().items()}
        if ours != theirs:
            why = _key_difference(on_meta, rebuilt) or "shapes differ"
            return Outcome(name, blocks, import_s, f"fail ({where}): state_dict {why}")
        return Outcome(name, blocks, import_s, f"pass ({where})")
    original = _build(name, "cpu")
    rebuilt = build_model(compiled, "cpu").eval()
    keys = _key_difference(original, rebuilt)
    if keys:
        return Outcome(name, blocks, import_s, f"fail: state_dict {keys}")
    try:
        rebuilt.load_state_dict(original.state_dict(), strict=True)
    except RuntimeError as error:
        return Outcome(name, blocks, import_s, f"fail: strict load: {_short(error)}")
    example = torch.randn(shape)
    with torch.no_grad():
        try:
            torch.testing.assert_close(rebuilt(example), original(example))
        except Exception as error:  # a mismatch, or a forward that raises
            return Outcome(name, blocks, import_s, f"fail: outputs: {_short(error)}")
    return Outcome(name, blocks, import_s, "pass")


def _child(name: str, meta_above: int, connection: Connection) -> None:
    try:
        outcome = check_model(name, meta_above)
    except Exception as error:  # whatever goes wrong is this model's result
        log.debug("%s", traceback.format_exc())
        outcome = Outcome(name, None, None, f"fail: {_short(error)}")
    connection.send(outcome)
    connection.close()


def run_isolated(name: str, meta_above: int, timeout: float) -> Outcome:
    """``check_model`` in a forked child (torch is already imported), stopped after
    ``timeout`` seconds."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(name, meta_above, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return Outcome(name, None, None, f"fail: took longer than {timeout:g} s")
        outcome: Outcome = receiver.recv()
        return outcome
    except EOFError:
        process.join(5)
        return Outcome(name, None, None, f"fail: the child died (exit code {process.exitcode})")
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()


def time_resnet50() -> float:
    """Median seconds to build resnet50 on meta and import it to a laid-out design."""
    times = []
    for _ in range(RESNET50_ROUNDS):
        started = time.perf_counter()
        model_to_design(_build("resnet50", "meta"), (1, 3, 224, 224))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_resnet50_worker() -> float:
    """Seconds for the CLI's and the app's whole import of resnet50: a spawned worker that
    imports torch and torchvision, builds, traces, maps and lays out, and sends the design."""
    request = ImportRequest("torchvision.models:resnet50", {}, (1, 3, 224, 224))
    started = time.perf_counter()
    import_model(request)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", help="comma-separated model names (all classification ones)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a model may take")
    parser.add_argument(
        "--meta-above",
        type=int,
        default=META_ABOVE,
        help=f"parameters above which a model is checked on meta only ({META_ABOVE:,})",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        torchvision = importlib.import_module("torchvision")
        zoo = importlib.import_module("torchvision.models")
    except (ImportError, RuntimeError) as error:
        print(f"no torchvision built for torch {torch.__version__} imports: {error}")
        return 2
    every: list[str] = zoo.list_models(module=zoo)
    names = arguments.models.split(",") if arguments.models else every
    unknown = [name for name in names if name not in every]
    if unknown:
        print(f"not a torchvision classification model: {', '.join(unknown)}", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {len(names)} models")
    started = time.monotonic()
    outcomes = []
    for name in names:
        outcome = run_isolated(name, arguments.meta_above, arguments.timeout)
        log.info("%s: %s", name, outcome.result)
        outcomes.append(outcome)
    headers = ("model", "blocks", "import s", "result", "first unmapped operation")
    print("\n".join(text_table(headers, [outcome.row() for outcome in outcomes], 0)))
    passed = sum(outcome.passed for outcome in outcomes)
    share = passed / len(outcomes)
    print(
        f"\n{passed} of {len(outcomes)} pass: {share:.0%} (target at least "
        f"{TARGET_SHARE:.0%}: {verdict(share >= TARGET_SHARE)})"
    )
    resnet50 = time_resnet50()
    print(
        f"resnet50 to a laid-out design (built on meta, torch imported): {resnet50:.2f} s "
        f"median of {RESNET50_ROUNDS} (target under {TARGET_RESNET50_S:g} s: "
        f"{verdict(resnet50 < TARGET_RESNET50_S)})"
    )
    print(
        f"resnet50 through a spawned import worker, its own torch import included: "
        f"{time_resnet50_worker():.2f} s (for information)"
    )
    print(f"{time.monotonic() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
