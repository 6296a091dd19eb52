"""Time the desktop app: first window, opening a 1000-block design, edit to labels, frames.

A 1000-block design from ``bench/designs.py`` (laid out by ``layout_plan``, as the app lays out a
file without positions) is saved to a temporary .json file. Then this prints:

1. the time to the first window: in a fresh interpreter, from its launch to the ``MainWindow``
   shown and painted, and whether torch had been imported by then (the app shows its window
   first and imports torch in the background); the peer: ``import torch`` alone, also from a
   fresh interpreter's launch;
2. the time to open the design and render its first frame: ``FileController.load`` (parse, shape
   check, scene rebuild, fit), ``view.fit()`` and a forced repaint of the canvas; the peers: the
   same for a 10-block design, and ``load_design`` alone (the file parsing) so that the GUI's
   share shows;
3. the time from a parameter edit (``out_channels`` of a conv block in the middle) to the
   changed label of the edge it feeds: ``document.edit`` then ``check_now()``, and end to end
   through the event loop, with the debounce of the shape check;
4. frame times while panning, at full size (text drawn) and at fit-to-view zoom;
5. Auto-Layout (Ctrl+L) of the design after its blocks were scattered: the layout alone
   (``layered_positions``, no Qt) and end to end (the undoable move, every edge rerouted and
   every label placed, events processed).

Times use one clock (``perf_counter`` is ``CLOCK_MONOTONIC`` on Linux, shared by processes), the
garbage collector runs as in the app (start-up objects frozen). The machine may be shared and
noisy: the peers, measured in the same run, put the figures in proportion. Run from the
repository root (``QT_QPA_PLATFORM`` defaults to ``offscreen``)::

    python bench/gui.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from designs import build_design, make_spec
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, QObject, QPointF, QSettings, QTimer, qVersion
from PySide6.QtWidgets import QApplication
from timing import verdict

from designer.graph import Design, load_design, save_design
from designer.graph.edit_plans import layout_plan
from designer.graph.edits import MoveBlock, SetParam, apply_all
from designer.graph.layout import lacks_positions, layered_positions
from designer.gui.app import make_application
from designer.gui.main_window import MainWindow
from designer.text_table import text_table

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = 1000
SMALL = 10
WINDOW_RUNS = 5
OPEN_ROUNDS = 7
EDIT_REPEATS = 21
FRAMES = 60
PAN_STEP = 40
FULL_SCALE = 1.0

# The targets.
TARGET_OPEN_S = 1.5
TARGET_EDIT_MS = 50.0
TARGET_FRAME_MS = 16.0
TARGET_LAYOUT_S = 1.0
LAYOUT_RUNS = 5


# --- a workaround for the Qt bindings ----------------------------------------------------------

_none_ballast: list[None] = []


def none_refs_lost_per_call() -> float:
    """References to ``None`` a void Qt method loses per call (0 with sound bindings).

    PySide6 6.12.0 on Python 3.11 drops one on every call that returns nothing (and on every
    Python override Qt calls, ``paint`` say); ``None`` isn't immortal before 3.12, so a process
    dies ("deallocating None") after some tens of thousands of such calls. pyproject.toml
    excludes that release; this keeps the benchmark running should it be installed anyway.
    """
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("probe")
    return (before - sys.getrefcount(None)) / 1000


def keep_none_alive(floor: int = 2_000_000) -> None:
    """Top up the references to ``None`` (untimed, between steps) while the bindings leak."""
    missing = floor - sys.getrefcount(None)
    if missing > 0:
        _none_ballast.extend([None] * (missing + floor))


# --- helpers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def ms(self, digits: int = 1) -> str:
        return f"{self.median * 1e3:.{digits}f}"

    def span(self, digits: int = 1) -> str:
        return f"{min(self.values) * 1e3:.{digits}f}..{max(self.values) * 1e3:.{digits}f}"


def stats(values: Sequence[float]) -> Stats:
    return Stats(tuple(values))


def show(header: Sequence[str], rows: Sequence[Sequence[str]], right_aligned: int) -> None:
    print("\n".join(text_table(header, rows, right_aligned)))


def write_design_file(blocks: int, folder: Path) -> tuple[Path, str, tuple[int, int], Design]:
    """The design saved with positions; its edited block id, that block's two values."""
    built = build_design(make_spec(blocks))
    design = built.design
    if lacks_positions(design):
        apply_all(design, layout_plan(design))
    path = folder / f"bench_{blocks}.json"
    save_design(design, path)
    return path, built.edit_id, built.edit_values, design


# --- 1. the first window, in fresh interpreters ------------------------------------------------

_WINDOW_CHILD = """
import time
first = time.perf_counter()
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QSettings
from designer.gui.app import make_application
from designer.gui.main_window import MainWindow
imported = time.perf_counter()
app = make_application()
made_app = time.perf_counter()
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat), None)
built = time.perf_counter()

class Paints(QObject):
    count = 0
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            Paints.count += 1
        return False

paints = Paints()
window.view.viewport().installEventFilter(paints)
window.show()
shown = time.perf_counter()
while Paints.count == 0 and time.perf_counter() - shown < 10:
    app.processEvents()
painted = time.perf_counter()
print(json.dumps({
    "first": first, "imported": imported, "made_app": made_app, "built": built,
    "shown": shown, "painted": painted, "canvas_paints": Paints.count,
    "torch": "torch" in sys.modules, "numpy": "numpy" in sys.modules,
}), flush=True)
os._exit(0)  # skip the teardown: untimed, and leaking bindings can die in it
"""

_TORCH_CHILD = """
import time
first = time.perf_counter()
import json
import torch
print(json.dumps({"first": first, "imported": time.perf_counter()}))
"""


def run_child(code: str, *args: str) -> tuple[float, dict[str, float]]:
    """Launch a fresh interpreter on ``code``; its launch time and the stamps it printed."""
    launched = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=ROOT,
    )
    stamps: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return launched, stamps


@dataclass(frozen=True, slots=True)
class StartResult:
    python: Stats
    imports: Stats
    window: Stats
    painted: Stats
    torch_python: Stats
    torch_import: Stats
    torch_total: Stats
    torch_loaded: bool
    numpy_loaded: bool


def measure_start(folder: Path) -> StartResult:
    settings = str(folder / "settings.ini")
    keys = ("python", "imports", "window", "painted", "tpython", "timport", "ttotal")
    times: dict[str, list[float]] = {key: [] for key in keys}
    torch_loaded = numpy_loaded = False
    for _ in range(WINDOW_RUNS):
        launched, s = run_child(_WINDOW_CHILD, settings)
        assert s["canvas_paints"] > 0, "the canvas was never painted"
        times["python"].append(s["first"] - launched)
        times["imports"].append(s["imported"] - s["first"])
        times["window"].append(s["shown"] - s["imported"])
        times["painted"].append(s["painted"] - launched)
        torch_loaded |= bool(s["torch"])
        numpy_loaded |= bool(s["numpy"])
        launched, s = run_child(_TORCH_CHILD)
        times["tpython"].append(s["first"] - launched)
        times["timport"].append(s["imported"] - s["first"])
        times["ttotal"].append(s["imported"] - launched)
    return StartResult(
        python=stats(times["python"]),
        imports=stats(times["imports"]),
        window=stats(times["window"]),
        painted=stats(times["painted"]),
        torch_python=stats(times["tpython"]),
        torch_import=stats(times["timport"]),
        torch_total=stats(times["ttotal"]),
        torch_loaded=torch_loaded,
        numpy_loaded=numpy_loaded,
    )


# --- the app in this process -------------------------------------------------------------------


def settle(app: QApplication) -> None:
    app.processEvents()
    keep_none_alive()


def make_window(folder: Path) -> tuple[QApplication, MainWindow]:
    app = make_application()
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), None)
    window.show()
    settle(app)
    return app, window


def empty(app: QApplication, window: MainWindow) -> None:
    """Open a new, empty design: each timed open starts from an empty canvas, as at start."""
    window.document.replace(Design(), None)
    settle(app)
    gc.collect()


# --- 2. open and first frame -------------------------------------------------------------------

PHASES = ("parse", "load", "fit", "frame", "total")


@dataclass(frozen=True, slots=True)
class OpenResult:
    blocks: int
    phases: dict[str, Stats]
    items: int
    scale: float


def open_once(app: QApplication, window: MainWindow, path: Path) -> dict[str, float]:
    """One timed open of ``path``, from an empty canvas: each phase in seconds."""
    gc.collect()
    start = time.perf_counter()
    load_design(path)
    parse = time.perf_counter() - start
    empty(app, window)
    view = window.view
    start = time.perf_counter()
    assert window.files.load(path)
    loaded = time.perf_counter()
    view.fit()
    fitted = time.perf_counter()
    view.viewport().repaint()
    app.processEvents()
    framed = time.perf_counter()
    keep_none_alive()
    return {
        "parse": parse,
        "load": loaded - start,
        "fit": fitted - loaded,
        "frame": framed - fitted,
        "total": framed - start,
    }


def measure_open(
    app: QApplication, window: MainWindow, paths: dict[int, Path]
) -> dict[int, OpenResult]:
    """Each design opened in turn once per round (after one warm-up round); the last stays."""
    runs: dict[int, dict[str, list[float]]] = {b: {key: [] for key in PHASES} for b in paths}
    shown: dict[int, tuple[int, float]] = {}
    for round_number in range(1 + OPEN_ROUNDS):
        for blocks, path in paths.items():
            phases = open_once(app, window, path)
            shown[blocks] = (len(window.scene.items()), window.view.transform().m11())
            if round_number:
                for key, value in phases.items():
                    runs[blocks][key].append(value)
    return {
        blocks: OpenResult(
            blocks,
            {key: stats(values) for key, values in runs[blocks].items()},
            *shown[blocks],
        )
        for blocks in paths
    }


# --- 3. edit to labels -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditResult:
    what: str
    labels: str
    edit: Stats
    check: Stats
    explicit: Stats
    through_loop: Stats
    repaint: Stats
    recomputed: int
    in_view: bool


def measure_edit(
    app: QApplication, window: MainWindow, block_id: str, values: tuple[int, int]
) -> EditResult:
    """Edit ``out_channels`` of ``block_id`` back and forth; time until the label it feeds
    changed: with ``check_now()`` called at once, and through the event loop (the debounce)."""
    document, scene, view = window.document, window.scene, window.view
    design = document.design
    edge_item = scene.edges[design.outbound(block_id)[0]]
    name = design.qualified_name(block_id)
    view.resetTransform()
    view.centerOn(scene.blocks[block_id].sceneBoundingRect().center())
    settle(app)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    in_view = shown.contains(edge_item.sceneBoundingRect())
    loop = QEventLoop()
    document.shapes_checked.connect(lambda _report: loop.quit())
    times: dict[str, list[float]] = {
        key: [] for key in ("edit", "check", "explicit", "loop", "repaint")
    }
    labels: set[str] = set()
    recomputed: set[int] = set()

    def edit(number: int) -> None:
        value = values[(number + 1) % 2]
        document.edit(f"Set out_channels of {name}", [SetParam(block_id, "out_channels", value)])

    for number in range(1 + EDIT_REPEATS):
        before = edge_item.label
        start = time.perf_counter()
        edit(number)
        edited = time.perf_counter()
        report = document.check_now()
        checked = time.perf_counter()
        assert edge_item.label != before, "the edge label did not change"
        labels.add(edge_item.label)
        recomputed.add(len(report.recomputed))
        if number:
            times["edit"].append(edited - start)
            times["check"].append(checked - edited)
            times["explicit"].append(checked - start)
        settle(app)
    for number in range(1 + EDIT_REPEATS):
        before = edge_item.label
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        guard.start(5_000)
        start = time.perf_counter()
        edit(number)
        loop.exec()
        done = time.perf_counter()
        view.viewport().repaint()
        painted = time.perf_counter()
        guard.stop()
        assert edge_item.label != before, "the edge label did not change in the event loop"
        if number:
            times["loop"].append(done - start)
            times["repaint"].append(painted - done)
        settle(app)
    assert len(recomputed) == 1, recomputed
    return EditResult(
        what=f"out_channels of '{name}' {values[0]} <-> {values[1]}",
        labels=" <-> ".join(sorted(labels)),
        edit=stats(times["edit"]),
        check=stats(times["check"]),
        explicit=stats(times["explicit"]),
        through_loop=stats(times["loop"]),
        repaint=stats(times["repaint"]),
        recomputed=recomputed.pop(),
        in_view=in_view,
    )


# --- 4. frames while panning -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PanResult:
    zoom: str
    scale: float
    items: int
    scroll_range: int
    moved: int
    frames: Stats
    cpu: Stats
    """The main thread's CPU time of each frame: what a shared machine's noise leaves out."""


def measure_pan(
    app: QApplication, window: MainWindow, zoom: str, set_zoom: Callable[[], None]
) -> PanResult:
    """``FRAMES`` frames (after 5 warm-up frames) of a ``PAN_STEP`` pan by the horizontal
    scroll bar, each a forced repaint of the canvas and the events it leaves."""
    view = window.view
    set_zoom()
    settle(app)
    bar = view.horizontalScrollBar()
    in_view = view.mapToScene(view.viewport().rect()).boundingRect()
    items = len(window.scene.items(in_view))
    first, direction = bar.value(), 1
    times: list[float] = []
    cpu: list[float] = []
    for frame in range(5 + FRAMES):
        if not bar.minimum() <= bar.value() + direction * PAN_STEP <= bar.maximum():
            direction = -direction
        start, start_cpu = time.perf_counter(), time.thread_time()
        view.pan_by(direction * PAN_STEP, 0)
        view.viewport().repaint()
        app.processEvents()
        elapsed, elapsed_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        if frame >= 5:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
        keep_none_alive()
    return PanResult(
        zoom,
        view.transform().m11(),
        items,
        bar.maximum() - bar.minimum(),
        abs(bar.value() - first),
        stats(times),
        stats(cpu),
    )


@dataclass(frozen=True, slots=True)
class LayoutResult:
    compute: Stats
    end_to_end: Stats


def measure_layout(app: QApplication, window: MainWindow) -> LayoutResult:
    """Scatter the blocks (one undoable move), then Ctrl+L; ``LAYOUT_RUNS`` times."""
    document = window.document
    compute: list[float] = []
    end_to_end: list[float] = []
    for run in range(LAYOUT_RUNS):
        design = document.design
        scatter = [
            MoveBlock(block_id, (float((n * 7919 + run) % 97) * 50.0, float(n % 13) * 90.0))
            for n, block_id in enumerate(sorted(design.blocks))
        ]
        document.edit("Scatter", scatter)
        settle(app)
        start = time.perf_counter()
        layered_positions(design)
        compute.append(time.perf_counter() - start)
        start = time.perf_counter()
        window.auto_layout()
        window.view.viewport().repaint()
        app.processEvents()
        end_to_end.append(time.perf_counter() - start)
        keep_none_alive()
    return LayoutResult(stats(compute), stats(end_to_end))


def full_size(window: MainWindow, centre: QPointF) -> Callable[[], None]:
    def apply() -> None:
        window.view.resetTransform()
        window.view.scale(FULL_SCALE, FULL_SCALE)
        window.view.centerOn(centre)

    return apply


# --- profile -----------------------------------------------------------------------------------


def profile(
    app: QApplication, window: MainWindow, path: Path, block_id: str, values: tuple[int, int]
) -> None:
    """cProfile each measured action of the 1000-block design; the top functions of each."""

    def open_design() -> None:
        open_once(app, window, path)

    def edits() -> None:
        for number in range(EDIT_REPEATS):
            window.document.edit(
                "edit", [SetParam(block_id, "out_channels", values[(number + 1) % 2])]
            )
            window.document.check_now()

    def frames(set_zoom: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            set_zoom()
            for _ in range(FRAMES):
                window.view.pan_by(PAN_STEP, 0)
                window.view.viewport().repaint()
                app.processEvents()

        return run

    open_design()
    centre = window.scene.blocks[block_id].sceneBoundingRect().center()
    for title, action in (
        ("open + first frame (1 run)", open_design),
        (f"edit + check_now ({EDIT_REPEATS} runs)", edits),
        (f"pan at scale {FULL_SCALE:g} ({FRAMES} frames)", frames(full_size(window, centre))),
        (f"pan at fit-to-view zoom ({FRAMES} frames)", frames(window.view.fit)),
    ):
        keep_none_alive()
        profiler = cProfile.Profile()
        profiler.enable()
        action()
        profiler.disable()
        print(f"\n=== {BLOCKS} blocks: {title} ===")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# --- report ------------------------------------------------------------------------------------


def ms(seconds: float, digits: int = 1) -> str:
    return f"{seconds * 1e3:.{digits}f}"


def print_header(big: Design, big_path: Path, lost: float) -> None:
    xs = [block.position[0] for block in big.blocks.values()]
    ys = [block.position[1] for block in big.blocks.values()]
    print("GUI benchmark")
    print(
        f"python {sys.version.split()[0]}, PySide6 {pyside_version} (Qt {qVersion()}), "
        f"platform {os.environ['QT_QPA_PLATFORM']}, {os.cpu_count()} CPUs"
    )
    print(
        f"design: {BLOCKS} blocks, {len(big.groups)} groups, {sum(1 for _ in big.edges())} "
        f"edges from bench/designs.py, laid out by layout_plan: x {min(xs):,.0f}.."
        f"{max(xs):,.0f}, y {min(ys):,.0f}..{max(ys):,.0f}; "
        f"file {big_path.stat().st_size / 1024:.0f} KiB"
    )
    if lost > 0.5:
        print(
            f"WARNING: these bindings lose {lost:.2f} reference to None per void call (a "
            "PySide6 bug on Python < 3.12): the app dies with 'deallocating None' after "
            "some tens of thousands of calls; this run tops the count up between steps"
        )


def print_report(
    start: StartResult,
    opens: dict[int, OpenResult],
    edit: EditResult,
    pans: list[PanResult],
    layout: LayoutResult,
) -> None:
    print(
        f"\n1. First window, fresh interpreters ({WINDOW_RUNS} runs each, in turn), from launch "
        "(python -c): interpreter start, imports, QApplication + MainWindow + show, then events "
        "until the canvas is painted"
    )
    show(
        ["process", "python start", "imports", "window", "launch to painted window",
         "torch loaded"],
        [
            ["app: MainWindow shown", start.python.ms(), start.imports.ms(), start.window.ms(),
             start.painted.ms(), "yes" if start.torch_loaded else "no"],
            ["peer: import torch alone", start.torch_python.ms(), start.torch_import.ms(), "",
             start.torch_total.ms(), "yes"],
        ],
        right_aligned=5,
    )  # fmt: skip
    print(
        f"numpy loaded at the first window: {'yes' if start.numpy_loaded else 'no'}; "
        f"launch to painted window, min..max: {start.painted.span()} ms; import torch alone "
        f"{start.torch_total.span()} ms"
    )

    print(
        f"\n2. Open and first frame ({OPEN_ROUNDS} rounds after a warm-up, the two designs in "
        "turn, each from an empty canvas): load = FileController.load (parse, shape check, "
        "scene rebuild, fit); fit = view.fit(); frame = viewport().repaint() + processEvents()"
    )
    show(
        ["blocks", "items", "scale", "load_design (parse)", "files.load", "fit", "first frame",
         "open + frame", "min..max", "GUI share"],
        [
            [
                str(o.blocks), str(o.items), f"{o.scale:.4f}", o.phases["parse"].ms(),
                o.phases["load"].ms(), o.phases["fit"].ms(), o.phases["frame"].ms(),
                o.phases["total"].ms(), o.phases["total"].span(),
                f"{1 - o.phases['parse'].median / o.phases['total'].median:.0%}",
            ]
            for o in opens.values()
        ],
        right_aligned=8,
    )  # fmt: skip
    big_open, small_open = opens[BLOCKS], opens[SMALL]
    print(
        f"{BLOCKS} blocks over {SMALL}: open + frame "
        f"{big_open.phases['total'].median / small_open.phases['total'].median:.0f}x, "
        f"parse {big_open.phases['parse'].median / small_open.phases['parse'].median:.0f}x"
    )

    print(
        f"\n3. Edit to labels, {BLOCKS} blocks ({EDIT_REPEATS} repeats after a warm-up, "
        f"alternating values; canvas at scale {FULL_SCALE:g} on the edited block): "
        f"{edit.what}; the edge it feeds reads {edit.labels}"
    )
    show(
        ["how", "edit", "check + labels", "edit to labels", "min..max", "then a repaint"],
        [
            ["document.edit, then check_now()", edit.edit.ms(2), edit.check.ms(2),
             edit.explicit.ms(2), edit.explicit.span(2), ""],
            ["document.edit, event loop to shapes_checked", "", "",
             edit.through_loop.ms(2), edit.through_loop.span(2), edit.repaint.ms(2)],
        ],
        right_aligned=5,
    )  # fmt: skip
    print(
        f"the check recomputed {edit.recomputed} blocks; the event loop includes the shape "
        f"check's debounce (document.SHAPE_CHECK_DELAY_MS); the edge is in view: "
        f"{'yes' if edit.in_view else 'no'}"
    )

    print(
        f"\n4. Panning, {BLOCKS} blocks: {FRAMES} frames after 5 warm-up frames, each "
        f"view.pan_by({PAN_STEP}, 0) + viewport().repaint() + processEvents()"
    )
    show(
        ["zoom", "scale", "items in view", "scroll range (px)", "moved (px)", "median", "p90",
         "min..max", "CPU median"],
        [
            [p.zoom, f"{p.scale:.4f}", str(p.items), str(p.scroll_range), str(p.moved),
             p.frames.ms(2), ms(p.frames.quantile(0.9), 2), p.frames.span(2), p.cpu.ms(2)]
            for p in pans
        ],
        right_aligned=8,
    )  # fmt: skip

    open_s = big_open.phases["total"].median
    rows = [
        [
            "first window painted",
            "before torch is imported",
            f"{start.painted.median * 1e3:.0f} ms, torch "
            f"{'loaded' if start.torch_loaded else 'not loaded'} "
            f"(import torch alone {start.torch_total.median * 1e3:.0f} ms)",
            verdict(not start.torch_loaded),
        ],
        [
            f"open + first frame, {BLOCKS} blocks",
            f"< {TARGET_OPEN_S:g} s",
            f"{open_s:.3f} s",
            verdict(open_s < TARGET_OPEN_S),
        ],
        *[
            [
                f"edit to labels, {BLOCKS} blocks ({how})",
                f"< {TARGET_EDIT_MS:g} ms",
                f"{timing.median * 1e3:.2f} ms",
                verdict(timing.median * 1e3 < TARGET_EDIT_MS),
            ]
            for how, timing in (
                ("check_now", edit.explicit),
                ("event loop, debounce included", edit.through_loop),
            )
        ],
        *[
            [
                f"frame while panning, {BLOCKS} blocks, {p.zoom} ({stat})",
                f"< {TARGET_FRAME_MS:g} ms",
                f"{value * 1e3:.2f} ms",
                verdict(value * 1e3 < TARGET_FRAME_MS),
            ]
            for p in pans
            for stat, value in (("median", p.frames.median), ("p90", p.frames.quantile(0.9)))
        ],
        [
            f"Auto-Layout (Ctrl+L) end to end, {BLOCKS} blocks",
            f"< {TARGET_LAYOUT_S:g} s",
            f"{layout.end_to_end.median:.3f} s (layout alone "
            f"{layout.compute.median * 1e3:.0f} ms; min..max {layout.end_to_end.span(0)} ms)",
            verdict(layout.end_to_end.median < TARGET_LAYOUT_S),
        ],
    ]
    print("\nTargets (absolute times depend on this machine; the peers above are measured here)")
    show(["target", "goal", "measured", "verdict"], rows, right_aligned=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the 1000-block actions instead"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    lost = none_refs_lost_per_call()
    if lost > 0.5:
        keep_none_alive()

    with tempfile.TemporaryDirectory(prefix="bench-gui-") as tmp:
        folder = Path(tmp)
        big_path, edit_id, values, big = write_design_file(BLOCKS, folder)
        small_path, *_ = write_design_file(SMALL, folder)
        if args.profile:
            app, window = make_window(folder)
            gc.freeze()
            profile(app, window, big_path, edit_id, values)
            return 0

        print_header(big, big_path, lost)
        start = measure_start(folder)
        app, window = make_window(folder)
        gc.freeze()  # as run_app does after start-up
        viewport = window.view.viewport().size()
        print(
            f"window {window.width()}x{window.height()}, canvas {viewport.width()}x"
            f"{viewport.height()} px; times in ms, medians; gc on, start-up objects frozen"
        )

        opens = measure_open(app, window, {SMALL: small_path, BLOCKS: big_path})
        edit = measure_edit(app, window, edit_id, values)
        centre = window.scene.blocks[edit_id].sceneBoundingRect().center()
        pans = [
            measure_pan(app, window, "full size (text drawn)", full_size(window, centre)),
            measure_pan(app, window, "fit to view", window.view.fit),
        ]
        layout = measure_layout(app, window)

    print_report(start, opens, edit, pans, layout)
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
