"""A kept result to compare later runs with: "did this change make it faster" at a glance.

A ``Baseline`` holds what a run measured, per batch size and per phase (a forward pass; or a
whole training step, its forward, backward and optimizer step), and optionally each block's
cost, with the conditions it ran under. ``compare`` gives each phase's ratio of a later run to
the baseline (0.83: it takes 83% of the baseline's time, faster), ``compare_blocks`` the same
per block from two ``CostReport``s. A per-block run (``bench --per-block``) keeps only its
``CostReport`` (``costs_baseline_of``; no phases) and is compared with ``compare_costs``: each
block's ratio and the measured total's. Baselines are written to and read from JSON files.

Comparing like with like: a baseline of a different mode, device, dtype or batch size is
refused (``refusal`` names both); the settings one changes to make a run faster (channels_last,
torch.compile, the optimizer, the loss, CPU threads) only add a note. No torch and no Qt here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from designer.runtime.block_costs import BlockCost, CostMeasure, CostReport
from designer.runtime.results import BatchResult, PhaseTiming, TrainResult

FORMAT = "torch-designer-baseline"
VERSION = 1
SAME_WITHIN = 0.03
"""A ratio within 3% of 1 reads "about the same": closer than timing noise usually allows."""

FORWARD_PHASES = ("forward pass",)
TRAIN_PHASES = ("whole step", "forward", "backward", "optimizer step")
COST_TOTALS = ("measured total", "sum of block times")
"""What a per-block comparison gives a ratio for besides the blocks: the run timed without
hooks (the optimizer step left out), and the blocks' times added up."""


class BaselineError(Exception):
    """A baseline file that can't be read or written, or one that can't be compared with."""


@dataclass(frozen=True, slots=True)
class Conditions:
    """What a run ran: compared before any ratio is worth showing."""

    model: str
    mode: str
    """"forward" or "train"."""
    device: str
    device_name: str
    dtype: str
    channels_last: bool
    compiled: bool
    threads: int
    optimizer: str | None = None
    loss: str | None = None

    def describe(self, batches: Iterable[int]) -> str:
        """E.g. "LeNet5 training steps (sgd, mse) on CPU (cpu), fp32, batch 1, 8"."""
        what = "training steps" if self.mode == "train" else "forward passes"
        if self.mode == "train":
            what += f" ({self.optimizer}, {self.loss})"
        sizes = ", ".join(f"{batch:,}" for batch in sorted(batches))
        return (
            f"{self.model} {what} on {self.device_name} ({self.device}), {self.dtype}, "
            f"batch {sizes}"
        )


@dataclass(frozen=True, slots=True)
class Baseline:
    conditions: Conditions
    phases: dict[int, dict[str, PhaseTiming]]
    """Per batch size: each phase's median and p10/p90 (``FORWARD_PHASES`` or
    ``TRAIN_PHASES``)."""
    blocks: dict[int, CostReport] = field(default_factory=dict)
    """Per batch size, where the run measured each block's cost."""

    def describe(self) -> str:
        return self.conditions.describe(self.batches())

    def batches(self) -> list[int]:
        """The batch sizes it holds anything for: phases, block costs or both."""
        return sorted({*self.phases, *self.blocks})


@dataclass(frozen=True, slots=True)
class Ratio:
    """A later figure over the baseline's: below 1 is faster (or smaller)."""

    value: float | None
    """None where there is nothing to divide: the baseline's figure is 0 or missing."""

    def text(self) -> str:
        """ "x0.83 (faster)", "x1.20 (slower)", "x1.01 (same)"; "-" without a ratio."""
        if self.value is None:
            return "-"
        return f"x{self.value:.2f} ({self.verdict()})"

    def verdict(self) -> str:
        if self.value is None:
            return "no baseline"
        if abs(self.value - 1.0) <= SAME_WITHIN:
            return "same"
        return "faster" if self.value < 1.0 else "slower"


@dataclass(frozen=True, slots=True)
class BlockRatio:
    """One block's later cost over the baseline's, matched by module path (else block id)."""

    key: str
    forward: Ratio
    backward: Ratio
    flops: Ratio
    parameters: Ratio
    activation: Ratio
    status: str = "both"
    """"both", "added" (only in the later run) or "removed" (only in the baseline)."""
    time: Ratio = Ratio(None)
    """Forward and backward together."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """A run against a baseline: each batch size's phases' ratios, and what differs."""

    ratios: dict[int, dict[str, Ratio]]
    notes: tuple[str, ...]
    """Settings that differ without making the comparison meaningless."""
    blocks: dict[int, list[BlockRatio]] = field(default_factory=dict)
    """Per batch size where both the baseline and the run have block costs."""

    def ratio(self, batch: int, phase: str) -> Ratio:
        return self.ratios.get(batch, {}).get(phase, Ratio(None))


# --- from results ---------------------------------------------------------------------------


def conditions_of(model: str, result: BatchResult | TrainResult) -> Conditions:
    train = isinstance(result, TrainResult)
    return Conditions(
        model=model,
        mode="train" if train else "forward",
        device=result.device,
        device_name=result.device_name,
        dtype=result.dtype,
        channels_last=result.channels_last,
        compiled=result.compiled,
        threads=result.threads,
        optimizer=result.optimizer if isinstance(result, TrainResult) else None,
        loss=result.loss if isinstance(result, TrainResult) else None,
    )


def phases_of(result: BatchResult | TrainResult) -> dict[str, PhaseTiming]:
    """The phases of one result, named as ``FORWARD_PHASES`` or ``TRAIN_PHASES``."""
    whole = PhaseTiming(result.median_s, result.p10_s, result.p90_s)
    if not isinstance(result, TrainResult):
        return {FORWARD_PHASES[0]: whole}
    phases = result.phases
    timings = (whole, phases.forward, phases.backward, phases.step)
    return dict(zip(TRAIN_PHASES, timings, strict=True))


def baseline_of(
    model: str,
    results: Sequence[BatchResult] | Sequence[TrainResult],
    blocks: Mapping[int, CostReport] | None = None,
) -> Baseline:
    """Keep ``results`` (one run: the same conditions, one per batch size) as a baseline."""
    if not results:
        raise BaselineError("there is no result to keep as the baseline")
    return Baseline(
        conditions_of(model, results[0]),
        {result.batch: phases_of(result) for result in results},
        dict(blocks or {}),
    )


# --- comparing ------------------------------------------------------------------------------


def ratio(current: float | None, baseline: float | None) -> Ratio:
    if current is None or baseline is None or baseline <= 0 or not math.isfinite(baseline):
        return Ratio(None)
    return Ratio(current / baseline)


def refusal(
    baseline: Baseline, current: Conditions, batches: Iterable[int], *, per_block: bool = False
) -> str | None:
    """Why ``current`` can't be compared with ``baseline`` (mode, device, dtype or a batch size
    differ, or it holds no figures of the kind: phases, or block costs with ``per_block``),
    naming both; None when it can."""
    conditions = baseline.conditions
    asked = set(batches)
    kind = _kind_refusal(baseline, per_block)
    if kind is not None:
        return kind
    differs = (
        conditions.mode != current.mode
        or conditions.device != current.device
        or conditions.dtype != current.dtype
        or not asked <= _held(baseline, per_block)
    )
    if not differs:
        return None
    return (
        f"the baseline is {baseline.describe()}; this run is {current.describe(asked)}: "
        "a ratio needs the same mode, device, dtype and batch size"
    )


def settings_refusal(
    baseline: Baseline, mode: str, dtype: str, batches: Iterable[int], *, per_block: bool = False
) -> str | None:
    """``refusal`` for what a run asks for, before it runs (its device is known after)."""
    conditions, asked = baseline.conditions, set(batches)
    kind = _kind_refusal(baseline, per_block)
    if kind is not None:
        return kind
    held = _held(baseline, per_block)
    if conditions.mode == mode and conditions.dtype == dtype and asked <= held:
        return None
    what = "training steps" if mode == "train" else "forward passes"
    sizes = ", ".join(f"{batch:,}" for batch in sorted(asked))
    return (
        f"the baseline is {baseline.describe()}; this run asks for {what}, {dtype}, batch "
        f"{sizes}: a ratio needs the same mode, device, dtype and batch size"
    )


def _held(baseline: Baseline, per_block: bool) -> set[int]:
    return set(baseline.blocks if per_block else baseline.phases)


def _kind_refusal(baseline: Baseline, per_block: bool) -> str | None:
    """A baseline without the figures a run gives: one of a timed run for a per-block run, or
    the other way round."""
    if per_block and not baseline.blocks:
        return (
            f"the baseline ({baseline.describe()}) holds no per-block costs: keep one with "
            "bench --per-block --save-baseline"
        )
    if not per_block and not baseline.phases:
        return (
            f"the baseline ({baseline.describe()}) holds per-block costs only: compare it with "
            "bench --per-block --baseline"
        )
    return None


def notes(baseline: Baseline, current: Conditions) -> tuple[str, ...]:
    """Differences worth saying next to the ratios: what was tried to make the run faster."""
    kept = baseline.conditions
    said: list[str] = []
    if kept.model != current.model:
        said.append(f"the baseline is of {kept.model}, this run of {current.model}")
    for name, before, now in (
        ("channels_last", kept.channels_last, current.channels_last),
        ("torch.compile", kept.compiled, current.compiled),
    ):
        if before != now:
            said.append(f"{name} {'on' if now else 'off'} now, {'on' if before else 'off'} then")
    for name, before_text, now_text in (
        ("optimizer", kept.optimizer, current.optimizer),
        ("loss", kept.loss, current.loss),
    ):
        if before_text != now_text:
            said.append(f"{name} {now_text} now, {before_text} then")
    if kept.device == "cpu" and kept.threads != current.threads:
        said.append(f"{current.threads} CPU threads now, {kept.threads} then")
    return tuple(said)


def compare_phases(
    baseline: Mapping[str, PhaseTiming], current: Mapping[str, PhaseTiming]
) -> dict[str, Ratio]:
    """Each phase's median over the baseline's (phases only one side has get no ratio)."""
    return {
        name: ratio(timing.median_s, baseline[name].median_s if name in baseline else None)
        for name, timing in current.items()
    }


def compare(
    baseline: Baseline,
    model: str,
    results: Sequence[BatchResult] | Sequence[TrainResult],
    blocks: Mapping[int, CostReport] | None = None,
) -> Comparison:
    """``results`` (one run of ``model``, with its block costs per batch size where measured)
    against ``baseline``: a ``BaselineError`` naming both when they can't be compared (see
    ``refusal``)."""
    if not results:
        return Comparison({}, ())
    current = conditions_of(model, results[0])
    reason = refusal(baseline, current, (result.batch for result in results))
    if reason is not None:
        raise BaselineError(reason)
    ratios = {
        result.batch: compare_phases(baseline.phases[result.batch], phases_of(result))
        for result in results
    }
    block_ratios = {
        batch: compare_blocks(baseline.blocks[batch], report)
        for batch, report in (blocks or {}).items()
        if batch in baseline.blocks
    }
    return Comparison(ratios, notes(baseline, current), block_ratios)


def block_key(cost: BlockCost) -> str:
    """Blocks are matched by module path (the same across designs that share a structure),
    else by block id (an expression block has no module)."""
    return cost.module_path or cost.block_id


def compare_blocks(baseline: CostReport, current: CostReport) -> list[BlockRatio]:
    """Each block's cost in ``current`` over ``baseline``'s, in ``current``'s order, then the
    blocks only the baseline has."""
    before = {block_key(cost): cost for cost in baseline.blocks.values()}
    now = {block_key(cost): cost for cost in current.blocks.values()}
    compared = [
        _block_ratio(key, before.get(key), cost, "both" if key in before else "added")
        for key, cost in now.items()
    ]
    compared += [
        _block_ratio(key, cost, None, "removed") for key, cost in before.items() if key not in now
    ]
    return compared


def _block_ratio(
    key: str, before: BlockCost | None, now: BlockCost | None, status: str
) -> BlockRatio:
    def of(figure: str) -> Ratio:
        if before is None or now is None:
            return Ratio(None)
        return ratio(_figure(now, figure), _figure(before, figure))

    return BlockRatio(
        key,
        forward=of("forward_s"),
        backward=of("backward_s"),
        flops=of("flops"),
        parameters=of("parameters"),
        activation=of("activation_bytes"),
        status=status,
        time=of("time"),
    )


def _figure(cost: BlockCost, figure: str) -> float | None:
    if figure == "flops":
        return float(cost.flops_forward + cost.flops_backward)
    if figure == "time":
        if cost.forward_s is None and cost.backward_s is None:
            return None
        return (cost.forward_s or 0.0) + (cost.backward_s or 0.0)
    value = getattr(cost, figure)
    return None if value is None else float(value)


# --- per-block runs -------------------------------------------------------------------------


def costs_conditions(
    model: str,
    report: CostReport,
    *,
    channels_last: bool = False,
    optimizer: str | None = None,
    loss: str | None = None,
) -> Conditions:
    """The conditions of a per-block run (eager; the report doesn't know the device's name or
    the CPU threads, so neither is compared)."""
    return Conditions(
        model=model,
        mode="train" if report.training else "forward",
        device=report.device,
        device_name=report.device,
        dtype=report.dtype,
        channels_last=channels_last,
        compiled=False,
        threads=0,
        optimizer=optimizer if report.training else None,
        loss=loss if report.training else None,
    )


def costs_baseline_of(conditions: Conditions, report: CostReport) -> Baseline:
    """Keep a per-block run (``conditions`` from ``costs_conditions``) as a baseline."""
    return Baseline(conditions, {}, {report.batch: report})


def compare_costs(baseline: Baseline, conditions: Conditions, report: CostReport) -> Comparison:
    """A per-block run against ``baseline``: each block's ratios and ``COST_TOTALS``' (under
    the run's batch size); a ``BaselineError`` naming both when they can't be compared."""
    reason = refusal(baseline, conditions, (report.batch,), per_block=True)
    if reason is not None:
        raise BaselineError(reason)
    kept = baseline.blocks[report.batch]
    totals = {
        COST_TOTALS[0]: ratio(report.measured_total_s, kept.measured_total_s),
        COST_TOTALS[1]: ratio(_time_sum(report), _time_sum(kept)),
    }
    return Comparison(
        {report.batch: totals},
        notes(baseline, conditions),
        {report.batch: compare_blocks(kept, report)},
    )


def _time_sum(report: CostReport) -> float:
    return sum(cost.value(CostMeasure.TIME) for cost in report.blocks.values())


# --- files ----------------------------------------------------------------------------------


def baseline_json(baseline: Baseline) -> dict[str, Any]:
    """The baseline as JSON: its conditions, each batch size's phases (seconds) and block
    costs."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "conditions": asdict(baseline.conditions),
        "batches": {
            str(batch): {
                "phases": {
                    name: asdict(timing) for name, timing in baseline.phases.get(batch, {}).items()
                },
                "blocks": _report_json(baseline.blocks.get(batch)),
            }
            for batch in baseline.batches()
        },
    }


def _report_json(report: CostReport | None) -> dict[str, Any] | None:
    return None if report is None else asdict(report)


def baseline_from_json(document: object) -> Baseline:
    """A baseline from ``baseline_json``'s form; a ``BaselineError`` saying what's wrong."""
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BaselineError("it is not a Torch Designer baseline")
        if document.get("version") != VERSION:
            raise BaselineError(f"baseline version {document.get('version')} is not {VERSION}")
        conditions = Conditions(**_known(Conditions, document["conditions"]))
        phases: dict[int, dict[str, PhaseTiming]] = {}
        blocks: dict[int, CostReport] = {}
        for batch_text, entry in document["batches"].items():
            batch = int(batch_text)
            if entry["phases"]:  # none in a per-block run's
                phases[batch] = {
                    name: PhaseTiming(**_known(PhaseTiming, timing))
                    for name, timing in entry["phases"].items()
                }
            if entry.get("blocks") is not None:
                blocks[batch] = _report_from_json(entry["blocks"])
    except BaselineError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BaselineError(f"the baseline is damaged ({type(error).__name__}: {error})") from error
    if not phases and not blocks:
        raise BaselineError("the baseline holds no batch size")
    return Baseline(conditions, phases, blocks)


def _report_from_json(document: dict[str, Any]) -> CostReport:
    report = dict(_known(CostReport, document))
    report["blocks"] = {
        block_id: BlockCost(**_known(BlockCost, cost))
        for block_id, cost in document["blocks"].items()
    }
    return CostReport(**report)


def _known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """The values ``cls`` has fields for: a file from a newer version may carry more."""
    names = {item.name for item in fields(cls)}
    return {name: value for name, value in values.items() if name in names}


def write_baseline(baseline: Baseline, path: Path) -> None:
    try:
        path.write_text(json.dumps(baseline_json(baseline), indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise BaselineError(
            f"{path}: can't write the baseline ({error.strerror or error})"
        ) from error


def read_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BaselineError(
            f"{path}: can't read the baseline ({error.strerror or error})"
        ) from error
    try:
        document = json.loads(text)
    except ValueError as error:
        raise BaselineError(f"{path}: not JSON ({error})") from error
    try:
        return baseline_from_json(document)
    except BaselineError as error:
        raise BaselineError(f"{path}: {error}") from error
