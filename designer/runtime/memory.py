"""How much memory a run will need (estimated before anything is allocated) and how much the
device has free."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from designer.compiler.inputs import input_specs
from designer.graph import Design, ShapeReport
from designer.graph.kind import End
from designer.graph.shape_rules import Shape


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    parameter_bytes: int
    """Parameters and buffers, in the model's dtype."""
    activation_bytes: int
    """Every block's output (inputs included) at once, for the batch, in the compute dtype."""

    @property
    def total_bytes(self) -> int:
        return self.parameter_bytes + self.activation_bytes


def tensor_bytes(model: nn.Module) -> int:
    """Bytes of the model's parameters and buffers (works on meta: nothing is allocated)."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


def estimate_memory(
    model: nn.Module,
    design: Design,
    report: ShapeReport,
    batch: int,
    element_size: int,
) -> MemoryEstimate:
    """A run's memory before it starts, from the meta model and the shape report.

    Activations are taken as every block's output (inputs included) held at once, scaled from
    the declared batch to ``batch``: generous for chains (inference frees outputs as it goes),
    short for stacks (only their last output is in the report); a guard, not a forecast.
    """
    specs = input_specs(design)
    declared = specs[0].shape[0] if specs else 1
    elements = sum(
        math.prod(result.shape)
        for block_id, result in report.results.items()
        # an output block passes its input on: no tensor of its own
        if result.shape is not None and design.kind(block_id).end is not End.OUTPUT
    )
    activation_bytes = math.ceil(elements * batch / max(declared, 1)) * element_size
    return MemoryEstimate(tensor_bytes(model), activation_bytes)


def available_bytes(device: torch.device) -> int | None:
    """Memory free for a run on ``device``; None where it can't be told."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "mps":
        recommended = getattr(torch.mps, "recommended_max_memory", None)
        if callable(recommended):
            return int(recommended()) - int(torch.mps.driver_allocated_memory())
    return _system_available_bytes()


def _system_available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo; failing that, the physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


# --- training: what a step keeps, estimated from the design ----------------------------------

OPTIMIZER_STATE_FACTOR = {"sgd": 0, "sgd_momentum": 1, "adamw": 2}
"""Optimizer state per trainable parameter, in parameters' worth: plain SGD keeps none, SGD with
momentum one buffer, AdamW two moments (its per-tensor step counts not counted)."""

_VIEW_KINDS = frozenset(
    {"flatten", "reshape", "unflatten", "permute", "transpose", "squeeze", "unsqueeze",
     "select", "slice", "identity"}
)  # fmt: skip
"""Their output is (taken as) a view of their input: keeping it keeps the input's memory."""
_KEEP_NOTHING = frozenset(
    {"add", "concat", "mean", "sum", "upsample", "pixel_shuffle", "pixel_unshuffle",
     "zero_pad2d", "constant_pad1d", "constant_pad2d", "learned_tensor", "dropout1d",
     "dropout2d"}
)  # fmt: skip
"""Backward needs only sizes (or a per-channel mask, left out)."""
_KEEP_OUTPUT = frozenset({"softmax", "log_softmax"})
_OUTPUT_ACTIVATIONS = frozenset({"relu", "sigmoid", "tanh"})
"""Activations whose backward reads their result; every other one reads its input."""
_RECURRENT_STEP = {"lstm": 8, "gru": 6, "rnn": 2}
"""Hidden-sized tensors a recurrent layer keeps per time step, layer and direction (gates,
cell and hidden states)."""
_INDEX_BYTES = 8


@dataclass(frozen=True, slots=True)
class TrainingEstimate:
    """A training step's memory from the design alone (nothing allocated)."""

    parameter_bytes: int
    """Parameters and buffers, in the model's dtype."""
    gradient_bytes: int
    optimizer_state_bytes: int
    input_bytes: int
    """The model's inputs at the batch size."""
    activation_bytes: int
    """Tensors kept for backward (the loss's included), each counted once."""

    @property
    def total_bytes(self) -> int:
        return (
            self.parameter_bytes
            + self.gradient_bytes
            + self.optimizer_state_bytes
            + self.input_bytes
            + self.activation_bytes
        )


def estimate_training_memory(
    model: nn.Module,
    design: Design,
    report: ShapeReport,
    *,
    batch: int,
    element_size: int,
    optimizer: str,
    loss: str,
    autocast: bool = False,
) -> TrainingEstimate:
    """A training step's memory at ``batch`` from the meta model and the shape report.

    Activations kept for backward are every tensor some block's backward reads, counted once
    however many blocks read it (views resolved to what they view), in ``element_size`` (token
    indices in 8 bytes). The rule per kind:

    - weight layers (convolutions, linear, embedding, normalisations, matmul, mul) and pooling
      keep their inputs; max pooling its int64 indices as well; reflection padding its input;
    - activations keep their output (relu, sigmoid, tanh) or their input (the rest); softmax
      and log-softmax their output; dropout a one-byte mask per element;
    - reshapes, selections and transposes are views (keeping them keeps what they view); adds,
      concatenations, reductions, upsampling, padding and pixel shuffles keep nothing;
    - compound blocks (conv/dec blocks and stacks) keep their input and one tensor per inner
      stage (batch norm's input, the activation's); stacks scale the inner outputs by the size
      list against the last size;
    - recurrent layers keep their input and ``_RECURRENT_STEP`` hidden-sized tensors per step;
      attention keeps its inputs, q/k/v, the attention output and (for layers) the
      feed-forward's two hidden tensors, the layer norms' inputs and dropout masks;
    - an unknown torch layer keeps its input and output;
    - the loss keeps one output-sized tensor (cross entropy's log-probabilities, mse's
      difference), the sum loss none; under autocast the weights' low-precision copies count.

    Gradients are one per trainable parameter; the optimizer state ``OPTIMIZER_STATE_FACTOR``
    times the parameters. The model's inputs count whole, apart from the activations.
    """
    trainable = sum(
        tensor.numel() * tensor.element_size()
        for tensor in model.parameters()
        if tensor.requires_grad
    )
    specs = input_specs(design)
    declared = specs[0].shape[0] if specs else 1
    scale = batch / max(declared, 1)
    kept = _kept_tensors(design, report, element_size)
    activation = sum(kept.values()) + _loss_bytes(design, report, element_size, loss)
    activation = math.ceil(activation * scale)
    if autocast:
        activation += sum(
            tensor.numel() * element_size for tensor in model.parameters() if tensor.requires_grad
        )
    input_bytes = sum(
        math.ceil(math.prod(spec.shape) * scale) * spec.dtype.itemsize for spec in specs
    )
    return TrainingEstimate(
        parameter_bytes=tensor_bytes(model),
        gradient_bytes=trainable,
        optimizer_state_bytes=OPTIMIZER_STATE_FACTOR.get(optimizer, 0) * trainable,
        input_bytes=input_bytes,
        activation_bytes=activation,
    )


TensorKey = tuple[str, str]
"""A tensor in the design: (block id, output port)."""


def _kept_tensors(design: Design, report: ShapeReport, element_size: int) -> dict[object, int]:
    """Bytes of each tensor kept for backward at the declared batch, keyed so that a tensor
    kept by several blocks counts once."""
    sources: dict[TensorKey, TensorKey] = {}
    kept: dict[object, int] = {}

    def source(key: TensorKey) -> TensorKey:
        return sources.get(key, key)

    def tensor_size(key: TensorKey) -> int:
        result = report.results.get(key[0])
        shape = None if result is None else result.output(key[1])
        if result is None or shape is None:
            return 0
        if design.kind(key[0]).end is End.INPUT:
            return 0  # the model's inputs are counted apart
        return math.prod(shape) * (_INDEX_BYTES if result.indices else element_size)

    def keep(key: TensorKey) -> None:
        resolved = source(key)
        kept[resolved] = tensor_size(resolved)

    for block_id in design.topological_order():
        kind = design.kind(block_id)
        result = report.results.get(block_id)
        if kind.end is not None or result is None or result.shape is None:
            continue
        inputs = [(edge.source, edge.source_port) for edge in design.inbound(block_id).values()]
        output = (block_id, "out")
        if kind.name in _VIEW_KINDS and inputs:
            sources[output] = source(inputs[0])
            continue
        keeps_inputs, keeps_output, extra = _block_rule(
            kind.name, design.block(block_id).params, result.shape, result.inputs, element_size
        )
        if keeps_inputs:
            for key in inputs:
                keep(key)
        if keeps_output:
            keep(output)
        if extra:
            kept[(block_id, "inner")] = extra
    return kept


def _block_rule(
    kind: str,
    params: Mapping[str, object],
    output: Shape,
    inputs: Sequence[Shape | None],
    element_size: int,
) -> tuple[bool, bool, int]:
    """Whether the block keeps its inputs, its output, and the bytes of what else it keeps
    (at the declared batch). See ``estimate_training_memory`` for the rules."""
    out = math.prod(output)
    if kind in _KEEP_NOTHING:
        return False, False, 0
    if kind in _KEEP_OUTPUT:
        return False, True, 0
    if kind == "dropout":
        return False, False, out
    if kind == "activation":
        by_output = params.get("activation") in _OUTPUT_ACTIVATIONS
        return not by_output, by_output, 0
    if kind.startswith("max_pool") or kind.startswith("adaptive_max_pool"):
        return True, False, out * _INDEX_BYTES
    if kind in ("conv_block", "dec_block", "conv_stack", "dec_stack", "linear_stack"):
        return _compound_rule(kind, params, out, element_size)
    if kind in _RECURRENT_STEP:
        return True, True, _recurrent_bytes(kind, params, output, element_size)
    if kind in ("multihead_attention", "transformer_encoder_layer", "transformer_decoder_layer",
                "transformer_encoder"):  # fmt: skip
        return True, False, _attention_bytes(kind, params, output, inputs, element_size)
    if kind == "torch_layer":
        return True, True, 0
    return True, False, 0


def _compound_rule(
    kind: str, params: Mapping[str, object], out: int, element_size: int
) -> tuple[bool, bool, int]:
    activation = params.get("activation")
    by_output = activation in _OUTPUT_ACTIVATIONS
    stages = int(bool(params.get("batch_norm")))
    if activation not in (None, "identity") and not by_output:
        stages += 1
    sizes = params.get("sizes")
    if not isinstance(sizes, list | tuple) or not sizes:
        return True, by_output, stages * out * element_size
    last = int(sizes[-1]) or 1
    inner = sum(int(size) for size in sizes[:-1]) * out // last
    # every inner layer's output is the next layer's input, plus its own stages
    return True, by_output, (inner * (1 + stages) + stages * out) * element_size


def _recurrent_bytes(
    kind: str, params: Mapping[str, object], output: Shape, element_size: int
) -> int:
    hidden = int(_number(params.get("hidden_size"), 1))
    layers = int(_number(params.get("num_layers"), 1))
    directions = 2 if params.get("bidirectional") else 1
    steps_and_batch = math.prod(output[:-1])  # N x L (or L x N)
    per_step = _RECURRENT_STEP[kind] * hidden
    return steps_and_batch * per_step * layers * directions * element_size


def _attention_bytes(
    kind: str,
    params: Mapping[str, object],
    output: Shape,
    inputs: Sequence[Shape | None],
    element_size: int,
) -> int:
    tokens = math.prod(output)  # N x L x E
    heads = int(_number(params.get("num_heads", params.get("nhead")), 1))
    batch_first = bool(params.get("batch_first", True))
    length = output[1] if batch_first and len(output) == 3 else output[0]
    batch = output[0] if batch_first and len(output) == 3 else math.prod(output[1:-1])
    scores = batch * heads * length * length  # the softmax's result, per attention
    attention = 4 * tokens + scores
    if kind == "multihead_attention":
        return attention * element_size
    dropout = _number(params.get("dropout"), 0.0) > 0
    feed_forward = int(_number(params.get("dim_feedforward"), 2048))
    hidden = tokens // max(output[-1], 1) * feed_forward
    masks = (3 * tokens + hidden) // element_size if dropout else 0
    layer = attention + 2 * tokens + 2 * hidden + masks
    if kind == "transformer_decoder_layer":
        layer += attention + tokens
    layers = int(_number(params.get("num_layers"), 1)) if kind == "transformer_encoder" else 1
    del inputs
    return layer * layers * element_size


def _number(value: object, default: float) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _loss_bytes(design: Design, report: ShapeReport, element_size: int, loss: str) -> int:
    """What the loss keeps: one tensor the size of each output (none for the sum loss)."""
    if loss == "sum":
        return 0
    total = 0
    for block_id, result in report.results.items():
        if design.kind(block_id).end is End.OUTPUT:
            shape = result.inputs[0] if result.inputs else None
            total += 0 if shape is None else math.prod(shape) * max(element_size, 4)
    return total


# --- training: what a step takes, measured ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasuredStep:
    peak_bytes: int | None
    """The step's peak: ``max_memory_allocated`` on CUDA, the profiler's allocations on top of
    what was live at the start on the CPU; None elsewhere."""
    method: str | None
    """"max_memory_allocated", "profiler" or None."""
    activation_bytes: int | None
    """Bytes of the tensors saved for backward (``saved_tensors_hooks``, each storage once,
    parameters, buffers and inputs left out); None where not measured (compiled steps)."""


def measure_step_memory(
    step: Callable[[], object],
    device: torch.device,
    live: Iterable[torch.Tensor],
    *,
    saved_tensors: bool = True,
) -> MeasuredStep:
    """One ``step`` with its memory measured. ``live``: the tensors live when it starts
    (parameters, buffers, optimizer state, inputs), the CPU's baseline and what the saved
    tensors leave out.

    CUDA: ``max_memory_allocated`` after ``reset_peak_memory_stats``. CPU: the torch profiler's
    memory records (``profile_memory=True``): the peak of the running sum of the allocations
    less the frees during the step, on top of the bytes of ``live``. Frees of memory allocated
    before the profiler started aren't recorded, so gradients should be set to None before.
    """
    live_tensors = list(live)
    baseline = _storage_bytes(live_tensors, set())
    outside = {_storage_key(tensor) for tensor in live_tensors}
    saved = _SavedTensors(outside) if saved_tensors else None
    hooks = saved.hooks() if saved is not None else contextlib.nullcontext()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        with hooks:
            step()
        torch.cuda.synchronize(device)
        peak: int | None = torch.cuda.max_memory_allocated(device)
        method: str | None = "max_memory_allocated"
    elif device.type == "cpu":
        with hooks:
            peak = baseline + _profiled_peak(step)
        method = "profiler"
    else:
        with hooks:
            step()
        peak, method = None, None
    return MeasuredStep(peak, method, None if saved is None else saved.total)


class _SavedTensors:
    """Sums the bytes of the storages autograd saves for backward, each once."""

    def __init__(self, outside: set[tuple[str, int]]) -> None:
        self.seen = set(outside)
        self.total = 0

    def hooks(self) -> contextlib.AbstractContextManager[object]:
        return torch.autograd.graph.saved_tensors_hooks(self.pack, _unpack)

    def pack(self, tensor: torch.Tensor) -> torch.Tensor:
        self.total += _storage_bytes([tensor], self.seen)
        return tensor


def _unpack(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


def _storage_key(tensor: torch.Tensor) -> tuple[str, int]:
    try:
        return str(tensor.device), tensor.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # no storage (a wrapper subclass)
        return str(tensor.device), id(tensor)


def _storage_bytes(tensors: Iterable[torch.Tensor], seen: set[tuple[str, int]]) -> int:
    """Bytes of the storages of ``tensors`` not in ``seen`` (which they join)."""
    total = 0
    for tensor in tensors:
        key = _storage_key(tensor)
        if key in seen:
            continue
        seen.add(key)
        try:
            total += tensor.untyped_storage().nbytes()
        except (RuntimeError, NotImplementedError):
            total += tensor.numel() * tensor.element_size()
    return total


def _profiled_peak(step: Callable[[], object]) -> int:
    """The peak of the running sum of CPU allocations less frees while ``step`` runs."""
    from torch._C._autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    with (
        _native_stderr_quiet(),
        profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof,
    ):
        step()
    records = sorted(
        (event.start_ns(), event.nbytes())
        for event in prof.profiler.kineto_results.events()
        if event.name() == "[memory]" and event.device_type() == DeviceType.CPU
    )
    running = peak = 0
    for _time, change in records:
        running += change
        peak = max(peak, running)
    return peak


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Native stderr silenced: kineto prints a line at every profiler start and stop, and
    warns of frees it can't size."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with Path(os.devnull).open("wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
