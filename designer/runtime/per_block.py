"""What each block of a design costs, measured: FLOPs, parameters, activation memory and time,
forward and (in training mode) backward; one ``CostReport`` per run.

FLOPs come from ``FlopCounterMode``, on meta (nothing allocated). Forward: a block that is a
module gets its module's count; a block that is an expression in some module's ``forward`` (an
add, a flatten, a learned tensor) gets what was counted while its statement ran, seen by tracing
the generated source's lines in one counted forward. Backward (training mode): the counter's
running total is read when each block's backward starts, and each block gets what was counted
until the next block's began, as backward time is cut below (the counter's per-module backward
counts go wrong with branches; see ``_count_backward``).

Time is measured with hooks on the blocks' modules: a forward pre and post hook read the clock
(after synchronising the device) and, in training, a pre-hook on the autograd node that made
each output reads it again when the block's backward begins. Each forward is cut at those
readings: a module block owns the time between its pre and post hooks; the time between two
module blocks belongs to the expression blocks that ran there (known from the traced forward,
split by the bytes they write), or, where none did, to the block that comes next (the Python
of the groups calling it: it is part of what that call costs). So the blocks' forward times add
up to the hooked forward exactly, and what separates their sum from the forward timed without
hooks is the hooks' own cost, reported. Backward is cut at the readings too: each block owns
the time from the start of its backward to the start of the next block's; an expression block's
backward is not told apart from the block whose backward ran just before it (its figure is
None), and the loss's backward, before any block's, is no block's. The optimizer step belongs to
no block: it is timed, reported in the notes and left out of the total.

Every figure is a median over ``repeats`` runs, hooked and unhooked runs interleaved.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from designer.compiler.compile import CompiledDesign
from designer.compiler.inputs import input_specs, torch_dtype
from designer.compiler.live import build_model, load_source
from designer.graph import Design, ShapeReport
from designer.graph.kind import End
from designer.runtime.batch import batch_inputs
from designer.runtime.block_costs import BlockCost, CostReport
from designer.runtime.errors import RuntimeSettingsError, TooLargeError
from designer.runtime.flops import attention_unfused
from designer.runtime.measure import check_channels_last, materialized
from designer.runtime.memory import available_bytes, estimate_memory
from designer.runtime.settings import MeasureSettings, ResolvedSettings, resolve_settings
from designer.runtime.timing import synchronize
from designer.runtime.train_step import LEARNING_RATE, _loss, training_memory
from designer.units import format_bytes

DEFAULT_REPEATS = 20
"""Hooked (and as many unhooked) runs whose medians are reported."""

_PRE, _POST = 0, 1

LossOf = Callable[[object], torch.Tensor]


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where one block's work happens in the built model."""

    block_id: str
    module_path: str | None
    """Its module in ``named_modules()``; None for an expression, an input or an output."""
    owner: str
    """The module whose ``forward`` runs the block's statement ("" for the model itself)."""
    attribute: str | None
    """``self.<attribute>`` in the owner (a learned tensor's parameter, say)."""
    end: End | None


@dataclass(slots=True)
class _Flops:
    forward: dict[str, int] = field(default_factory=dict)
    backward: dict[str, int] = field(default_factory=dict)
    gaps: dict[int, list[str]] = field(default_factory=dict)
    """Expression blocks by the number of module hook calls before them in a forward."""
    total_forward: int = 0
    total_backward: int = 0


@dataclass(slots=True)
class _Timings:
    forward: dict[str, list[float]] = field(default_factory=dict)
    backward: dict[str, list[float]] = field(default_factory=dict)
    unhooked: list[float] = field(default_factory=list)
    hooked: list[float] = field(default_factory=list)
    glue: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    output_bytes: dict[str, int] = field(default_factory=dict)
    gaps_matched: bool = True


def measure_block_costs(
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    repeats: int = DEFAULT_REPEATS,
) -> CostReport:
    """Every block's cost at ``settings.batches``' one batch size, in ``settings.mode``
    ("forward" in eval mode without gradients, or "train": forward, loss and backward).

    Raises ``RuntimeSettingsError`` when the settings can't run so (a sweep, torch.compile, no
    parameters to train, a loss that doesn't fit), ``TooLargeError`` when the estimate exceeds
    the device's free memory (unless ``settings.force``).
    """
    resolved = _checked(design, settings, repeats)
    batch = resolved.batches[0]
    training = settings.mode == "train"
    slots = _slots(compiled, design)
    meta = build_model(compiled)
    if training:
        training_memory(meta, settings.optimizer, compiled.class_name)  # something to train
    flops = _count_flops(meta, compiled, design, slots, batch, settings.loss, training)
    parameters = _parameters(meta, slots)
    element_size = (resolved.autocast_dtype or torch_dtype(compiled.dtype)).itemsize
    if not settings.force:
        estimate = estimate_memory(meta, design, compiled.report, batch, element_size)
        _check_fits(estimate.total_bytes * (2 if training else 1), batch, resolved.device)
    model = materialized(meta, resolved.device, channels_last=settings.channels_last)
    model.train(training)
    inputs = batch_inputs(design, batch, resolved.device, channels_last=settings.channels_last)
    runner = _Runner(model, inputs, resolved, settings, compiled.class_name, training)
    timings = _time_blocks(
        runner, slots, flops.gaps, _gap_weights(slots, design, compiled.report, batch), repeats
    )
    return _report(
        slots, design, compiled, batch, element_size, inputs, flops, parameters, timings,
        resolved, settings, training,
    )  # fmt: skip


def _checked(design: Design, settings: MeasureSettings, repeats: int) -> ResolvedSettings:
    resolved = resolve_settings(settings)
    if settings.compile:
        raise RuntimeSettingsError(
            "per-block costs are measured eagerly: hooks can't see inside a compiled model; "
            "drop torch.compile"
        )
    if len(resolved.batches) != 1:
        raise RuntimeSettingsError("per-block costs are measured at one batch size, not a sweep")
    if repeats < 1:
        raise RuntimeSettingsError(f"repeat count {repeats} is below 1")
    check_channels_last(design, settings)
    return resolved


def _check_fits(estimate: int, batch: int, device: torch.device) -> None:
    free = available_bytes(device)
    if free is not None and estimate > free:
        raise TooLargeError(
            f"batch {batch} needs about {format_bytes(estimate)}, but {device} has "
            f"{format_bytes(free)} free; use a smaller batch, or force the run",
            batch=batch,
            estimate_bytes=estimate,
            available_bytes=free,
        )


def _slots(compiled: CompiledDesign, design: Design) -> list[_Slot]:
    slots = []
    for block_id in design.blocks:
        place = compiled.places.get(block_id)
        path = design.module_path(block_id)
        owner = path.rpartition(".")[0]
        slots.append(
            _Slot(
                block_id,
                None if place is None else place.module_path,
                owner,
                None if place is None else place.attribute,
                design.kind(block_id).end,
            )
        )
    return slots


def _expressions(slots: Sequence[_Slot]) -> list[_Slot]:
    return [slot for slot in slots if slot.module_path is None and slot.end is None]


def _modules(slots: Sequence[_Slot]) -> list[_Slot]:
    return [slot for slot in slots if slot.module_path is not None]


def _parameters(model: nn.Module, slots: Sequence[_Slot]) -> dict[str, int]:
    """Each block's parameters: its module's, or (an expression) the parameter it defines."""
    counts = {}
    for slot in slots:
        if slot.module_path is not None:
            module = model.get_submodule(slot.module_path)
            counts[slot.block_id] = sum(p.numel() for p in module.parameters())
        elif slot.attribute is not None and slot.end is None:
            value = getattr(model.get_submodule(slot.owner), slot.attribute, None)
            counts[slot.block_id] = value.numel() if isinstance(value, nn.Parameter) else 0
        else:
            counts[slot.block_id] = 0
    return counts


# --- FLOPs -----------------------------------------------------------------------------------


def _count_flops(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    slots: Sequence[_Slot],
    batch: int,
    loss: str,
    training: bool,
) -> _Flops:
    """Per-block FLOPs on meta; the expression blocks between module hooks, in order."""
    model.train(training)
    inputs = batch_inputs(design, batch, "meta")
    root = type(model).__name__
    flops = _Flops()
    forward_counter = FlopCounterMode(display=False)
    grad = contextlib.nullcontext() if training else torch.inference_mode()
    trace = _LineTrace(model, compiled, slots, forward_counter)
    with grad, attention_unfused(), forward_counter, trace.hooked(), trace.tracing():
        model(*inputs)
    flops.gaps = trace.gaps
    forward_counts = _module_counts(forward_counter, root)
    flops.total_forward = int(forward_counter.get_total_flops())
    for slot in _modules(slots):
        flops.forward[slot.block_id] = _count(model, slot.module_path or "", forward_counts)
    for slot in _expressions(slots):
        flops.forward[slot.block_id] = trace.flops.get(slot.block_id, 0)
    if training:
        _count_backward(model, inputs, slots, loss, compiled.class_name, flops)
    model.eval()
    return flops


def _count_backward(
    model: nn.Module,
    inputs: tuple[torch.Tensor, ...],
    slots: Sequence[_Slot],
    loss: str,
    name: str,
    flops: _Flops,
) -> None:
    """Backward FLOPs cut as backward time is: the counter's running total read when each
    block's backward starts. (The counter's own per-module backward counts can't be used: with
    branches its module tracker keeps a module open while the other branch's backward runs, so
    a ResNet's 1x1 projection is counted the whole main path's backward too.)"""
    counter = FlopCounterMode(display=False)
    recorder = _Recorder(model, slots, lambda: float(counter.get_total_flops()))
    with attention_unfused(), counter:
        with recorder.installed():
            outputs = model(*inputs)
            start = int(counter.get_total_flops())
            torch.autograd.backward(_loss(loss, outputs, name)(outputs))
        end = int(counter.get_total_flops())
    flops.total_backward = end - start
    backward, _ = _cut_backward(recorder.backward, start, end)
    for slot in slots:
        if slot.module_path is not None:
            flops.backward[slot.block_id] = round(backward.get(slot.block_id, 0.0))


def _module_counts(counter: FlopCounterMode, root: str) -> dict[str, int]:
    """FLOPs by module path ("" for the model), children included."""
    counts = {}
    for key, by_operator in counter.get_flop_counts().items():
        if key == root or key.startswith(root + "."):
            counts[key[len(root) + 1 :]] = int(sum(by_operator.values()))
    return counts


def _count(model: nn.Module, path: str, counts: Mapping[str, int]) -> int:
    """Module ``path``'s FLOPs, children included; a module that is never called (a
    ``nn.ModuleList``) is counted by its children's."""
    if path in counts:
        return counts[path]
    return sum(_count(model, child, counts) for child in _children(model, path))


def _children(model: nn.Module, path: str) -> list[str]:
    names = (name for name, _ in model.get_submodule(path).named_children())
    return [f"{path}.{name}" if path else name for name in names]


class _LineTrace:
    """One forward, watched line by line in the generated source: which expression block ran
    between which module hooks, and what the counter counted while it ran."""

    def __init__(
        self,
        model: nn.Module,
        compiled: CompiledDesign,
        slots: Sequence[_Slot],
        counter: FlopCounterMode,
    ) -> None:
        self.model = model
        self.slots = slots
        self.counter = counter
        self.filename = load_source(compiled.source).__file__
        paths = {id(module): path for path, module in model.named_modules()}
        self.owners = paths
        self.statements: dict[tuple[str, int], list[str]] = {}
        for slot in _expressions(slots):
            place = compiled.places[slot.block_id]
            for line in place.lines:
                self.statements.setdefault((slot.owner, line), []).append(slot.block_id)
        self.hook_calls = 0
        self.gaps: dict[int, list[str]] = {}
        self.flops: dict[str, int] = {}
        self.current: str | None = None
        self.mark = 0

    def _event(self, block_ids: Sequence[str] = ()) -> None:
        """A statement starts (the first of ``block_ids`` is given its FLOPs: one statement,
        one count), or a hook runs (no block ids)."""
        total = int(self.counter.get_total_flops())
        if self.current is not None:
            self.flops[self.current] = self.flops.get(self.current, 0) + total - self.mark
        self.current, self.mark = (block_ids[0] if block_ids else None), total
        gap = self.gaps.setdefault(self.hook_calls, []) if block_ids else []
        gap.extend(block_id for block_id in block_ids if block_id not in gap)

    def _hook(self, *_: object) -> None:
        self._event()
        self.hook_calls += 1

    @contextlib.contextmanager
    def hooked(self) -> Iterator[None]:
        handles = []
        for slot in _modules(self.slots):
            for module in _called_modules(self.model.get_submodule(slot.module_path or "")):
                handles.append(module.register_forward_pre_hook(self._hook))
                handles.append(module.register_forward_hook(self._hook))
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    @contextlib.contextmanager
    def tracing(self) -> Iterator[None]:
        previous = sys.gettrace()
        sys.settrace(self._call)
        try:
            yield
        finally:
            sys.settrace(previous)
            self._event()

    def _call(self, frame: FrameType, event: str, arg: object) -> Any:
        return self._line if frame.f_code.co_filename == self.filename else None

    def _line(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            owner = self.owners.get(id(frame.f_locals.get("self")))
            found = self.statements.get((owner or "", frame.f_lineno), [])
            self._event(found if owner is not None else ())
        return self._line


# --- time ------------------------------------------------------------------------------------


class _Runner:
    """One forward (or forward, loss and backward) of the real model on the device."""

    def __init__(
        self,
        model: nn.Module,
        inputs: tuple[torch.Tensor, ...],
        resolved: ResolvedSettings,
        settings: MeasureSettings,
        name: str,
        training: bool,
    ) -> None:
        self.model = model
        self.inputs = inputs
        self.device = resolved.device
        self.autocast_dtype = resolved.autocast_dtype
        self.training = training
        self.optimizer: torch.optim.Optimizer | None = None
        self.loss_of: LossOf | None = None
        if training:
            trainable = [p for p in model.parameters() if p.requires_grad]
            self.optimizer = (
                torch.optim.AdamW(trainable, lr=LEARNING_RATE)
                if settings.optimizer == "adamw"
                else torch.optim.SGD(trainable, lr=LEARNING_RATE)
            )
            with self._context():
                outputs = model(*inputs)
            self.loss_of = _loss(settings.loss, outputs, name)

    def stamp(self) -> float:
        synchronize(self.device)
        return time.perf_counter()

    def _context(self) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        if not self.training:
            stack.enter_context(torch.inference_mode())
        if self.autocast_dtype is not None:
            stack.enter_context(torch.autocast(self.device.type, dtype=self.autocast_dtype))
        return stack

    def run(self, step: bool) -> tuple[float, float, float, float, float]:
        """The readings at the start, after the forward, after the loss, after the backward and
        after the optimizer step (the last three the same when not training)."""
        if self.optimizer is not None:
            self.optimizer.zero_grad(set_to_none=True)
        start = self.stamp()
        with self._context():
            outputs = self.model(*self.inputs)
            forward_end = self.stamp()
            if self.loss_of is None or self.optimizer is None:
                return start, forward_end, forward_end, forward_end, forward_end
            loss = self.loss_of(outputs)
        loss_end = self.stamp()
        torch.autograd.backward(loss)
        backward_end = self.stamp()
        if step:
            self.optimizer.step()
        return start, forward_end, loss_end, backward_end, self.stamp()


class _Recorder:
    """Module hooks that read the clock (the device synchronised) at each block's forward start
    and end and, in training, when its backward starts."""

    def __init__(
        self, model: nn.Module, slots: Sequence[_Slot], clock: Callable[[], float]
    ) -> None:
        self.model = model
        self.clock = clock
        self.slots = _modules(slots)
        self.forward: list[tuple[float, int, str]] = []
        self.backward: list[tuple[float, str]] = []
        self.output_bytes: dict[str, int] = {}
        """Each block's outputs over its calls in the first hooked run."""
        self.first_run = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        handles = []
        for slot in self.slots:
            block_id = slot.block_id
            for module in _called_modules(self.model.get_submodule(slot.module_path or "")):
                handles.append(module.register_forward_pre_hook(self._pre(block_id)))
                handles.append(module.register_forward_hook(self._post(block_id)))
        self.forward.clear()
        self.backward.clear()
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
            self.first_run = False

    def _pre(self, block_id: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: object) -> None:
            self.forward.append((self.clock(), _PRE, block_id))

        return hook

    def _post(self, block_id: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: object, output: object) -> None:
            self.forward.append((self.clock(), _POST, block_id))
            tensors = list(_tensors(output))
            if self.first_run:
                written = sum(t.numel() * t.element_size() for t in tensors)
                self.output_bytes[block_id] = self.output_bytes.get(block_id, 0) + written
            nodes = {id(t.grad_fn): t.grad_fn for t in tensors if t.grad_fn is not None}
            for node in nodes.values():
                node.register_prehook(self._backward(block_id))

        return hook

    def _backward(self, block_id: str) -> Callable[..., None]:
        def hook(grad_outputs: object) -> None:
            self.backward.append((self.clock(), block_id))

        return hook


def _called_modules(module: nn.Module) -> list[nn.Module]:
    """The modules whose calls make up a block's: itself, or where it is a container that is
    never called (a stack's ``nn.ModuleList``), what it holds."""
    if not isinstance(module, (nn.ModuleList, nn.ModuleDict)):
        return [module]
    return [called for child in module.children() for called in _called_modules(child)]


def _tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _gap_weights(
    slots: Sequence[_Slot], design: Design, report: ShapeReport, batch: int
) -> dict[str, float]:
    """How an interval shared by several expression blocks is split: by the elements each
    writes (elementwise work goes with them), equally where none is known."""
    return {
        slot.block_id: float(max(1, _report_elements(design, report, slot.block_id, batch)))
        for slot in _expressions(slots)
    }


def _report_elements(design: Design, report: ShapeReport, block_id: str, batch: int) -> int:
    """Elements of the block's main output at ``batch``, from the shape report (0 unknown)."""
    result = report.results.get(block_id)
    if result is None or result.shape is None:
        return 0
    specs = input_specs(design)
    declared = specs[0].shape[0] if specs and specs[0].shape else 1
    return math.ceil(math.prod(result.shape) * batch / max(declared, 1))


def _time_blocks(
    runner: _Runner,
    slots: Sequence[_Slot],
    gaps: Mapping[int, list[str]],
    weights: Mapping[str, float],
    repeats: int,
    warmup: int = 3,
) -> _Timings:
    recorder = _Recorder(runner.model, slots, runner.stamp)
    timings = _Timings()
    for repeat in range(warmup + repeats):
        plain = runner.run(step=True)
        with recorder.installed():
            hooked = runner.run(step=False)
        if repeat < warmup:
            continue
        timings.unhooked.append(plain[3] - plain[0])
        timings.step.append(plain[4] - plain[3])
        timings.hooked.append(hooked[3] - hooked[0])
        forward, glue, matched = _cut_forward(recorder.forward, hooked[0], hooked[1], gaps, weights)
        timings.gaps_matched = timings.gaps_matched and matched
        timings.glue.append(glue)
        _append(timings.forward, forward)
        if runner.training:
            backward, head = _cut_backward(recorder.backward, hooked[2], hooked[3])
            timings.loss.append(hooked[2] - hooked[1] + head)
            _append(timings.backward, backward)
    timings.output_bytes = recorder.output_bytes
    return timings


def _append(lists: dict[str, list[float]], values: Mapping[str, float]) -> None:
    for block_id, value in values.items():
        lists.setdefault(block_id, []).append(value)


def _cut_forward(
    events: Sequence[tuple[float, int, str]],
    start: float,
    end: float,
    gaps: Mapping[int, list[str]],
    weights: Mapping[str, float],
) -> tuple[dict[str, float], float, bool]:
    """Each block's share of one hooked forward, the time that went to the block after it (no
    expression block ran there), and whether the hooks came as in the traced forward."""
    times: dict[str, float] = {}
    glue = 0.0
    matched = len(events) == 2 * sum(1 for _, kind, _ in events if kind == _PRE)
    open_blocks: list[str] = []
    previous = start
    for index, moment in enumerate([*(event[0] for event in events), end]):
        interval = moment - previous
        if open_blocks:
            _add(times, open_blocks[-1], interval)
        else:
            between = gaps.get(index, [])
            if between:
                total_weight = sum(weights.get(block_id, 1.0) for block_id in between)
                for block_id in between:
                    _add(times, block_id, interval * weights.get(block_id, 1.0) / total_weight)
            elif events:
                glue += interval
                following = events[min(index, len(events) - 1)][2]
                _add(times, following, interval)
        if index < len(events):
            _, kind, block_id = events[index]
            if kind == _PRE:
                open_blocks.append(block_id)
            elif block_id in open_blocks:
                open_blocks.remove(block_id)
        previous = moment
    return times, glue, matched


def _cut_backward(
    events: Sequence[tuple[float, str]], start: float, end: float
) -> tuple[dict[str, float], float]:
    """Each block's share of one backward (from its start to the next block's start), and the
    time before any block's began (the loss's backward)."""
    times: dict[str, float] = {}
    if not events:
        return times, end - start
    moments = [*(moment for moment, _ in events), end]
    for index, (moment, block_id) in enumerate(events):
        _add(times, block_id, moments[index + 1] - moment)
    return times, events[0][0] - start


def _add(times: dict[str, float], block_id: str, seconds: float) -> None:
    times[block_id] = times.get(block_id, 0.0) + seconds


# --- the report ------------------------------------------------------------------------------


def _report(
    slots: Sequence[_Slot],
    design: Design,
    compiled: CompiledDesign,
    batch: int,
    element_size: int,
    inputs: tuple[torch.Tensor, ...],
    flops: _Flops,
    parameters: Mapping[str, int],
    timings: _Timings,
    resolved: ResolvedSettings,
    settings: MeasureSettings,
    training: bool,
) -> CostReport:
    input_bytes = iter(tensor.numel() * tensor.element_size() for tensor in inputs)
    blocks = {}
    for slot in slots:
        block_id = slot.block_id
        if slot.module_path is not None:
            activation = timings.output_bytes.get(block_id, 0)
        elif slot.end is End.INPUT:
            activation = next(input_bytes, 0)
        elif slot.end is End.OUTPUT:
            activation = 0  # it passes its input on: no tensor of its own
        else:
            activation = _report_elements(design, compiled.report, block_id, batch) * element_size
        forward = timings.forward.get(block_id)
        backward = timings.backward.get(block_id)
        blocks[block_id] = BlockCost(
            block_id=block_id,
            module_path=slot.module_path or "",
            parameters=parameters[block_id],
            flops_forward=flops.forward.get(block_id, 0),
            flops_backward=flops.backward.get(block_id, 0),
            activation_bytes=activation,
            forward_s=statistics.median(forward) if forward else 0.0,
            backward_s=_backward_time(slot, backward, training),
        )
    return CostReport(
        blocks=blocks,
        device=str(resolved.device),
        dtype=settings.dtype,
        batch=batch,
        training=training,
        measured_total_s=statistics.median(timings.unhooked),
        notes=_notes(blocks, slots, flops, timings, settings, training),
    )


def _backward_time(slot: _Slot, times: list[float] | None, training: bool) -> float | None:
    if not training:
        return None
    if times:
        return statistics.median(times)
    # an expression's backward runs inside another block's reading; a module whose output
    # needs no gradient (and an input, an output) has none
    return None if slot.module_path is None and slot.end is None else 0.0


def _notes(
    blocks: Mapping[str, BlockCost],
    slots: Sequence[_Slot],
    flops: _Flops,
    timings: _Timings,
    settings: MeasureSettings,
    training: bool,
) -> list[str]:
    unhooked = statistics.median(timings.unhooked)
    hooked = statistics.median(timings.hooked)
    what = "forward, loss and backward" if training else "forward"
    notes = [
        f"{what}: {unhooked * 1e3:.3f} ms without hooks, {hooked * 1e3:.3f} ms with them "
        f"(the hooks' cost: {hooked / unhooked - 1:+.1%})",
        f"between blocks, where no expression ran: {statistics.median(timings.glue) * 1e3:.3f} "
        "ms per forward (the groups' Python), counted with the block that follows",
    ]
    if _expressions(slots):
        notes.append(
            "expression blocks are timed from the time between module blocks (split by the "
            "bytes they write where several ran together)"
            + ("; their backward is not timed apart" if training else "")
        )
    if not timings.gaps_matched:
        notes.append("the hooks didn't come in pairs: expression blocks' times may be off")
    if training:
        notes.append(
            f"loss forward and backward: {statistics.median(timings.loss) * 1e3:.3f} ms, "
            f"no block's; the {settings.optimizer} optimizer step: "
            f"{statistics.median(timings.step) * 1e3:.3f} ms, left out of the total"
        )
    left_forward = flops.total_forward - sum(cost.flops_forward for cost in blocks.values())
    left_backward = flops.total_backward - sum(cost.flops_backward for cost in blocks.values())
    if left_forward or left_backward:
        notes.append(
            f"FLOPs no block accounts for: {left_forward:,} forward, {left_backward:,} backward"
        )
    return notes
