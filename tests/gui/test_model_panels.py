"""The live model beside the canvas: the model, code and benchmark panels, selection shared with
the canvas, exports, and benchmark runs in a worker that may be cancelled or die (CPU only)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from designer.compiler import build_model, compile_design
from designer.compiler.analysis import ModelAnalysis
from designer.compiler.compile import design_digest
from designer.compiler.inputs import example_inputs
from designer.compiler.summary import MODEL_ROW_NAME, module_rows
from designer.graph import Design, load_design
from designer.graph.edits import SetGroupClass, SetParam
from designer.gui.main_window import MainWindow
from designer.gui.panels.bench_panel import BenchPanel
from tests.exported import check_pt2_export, check_py_export
from tests.gui.helpers import block_id, open_design, small_design
from tests.paths import DATA, EXAMPLES
from tests.runtime.compile_spy import spy_on_compiles

MODEL_TIMEOUT_MS = 60_000
"""The first analysis starts a worker, which imports torch."""
RUN_TIMEOUT_MS = 120_000
NAME_ROLE = Qt.ItemDataRole.UserRole


def up_to_date(window: MainWindow) -> bool:
    analysis = window.model_docks.live.analysis
    if analysis is None or not window.document.report.ok:
        return False
    return analysis.design_digest == design_digest(window.document.design)


def wait_for_model(window: MainWindow, qtbot: QtBot) -> ModelAnalysis:
    """The analysis of the design as it is now, once the panels show it."""
    qtbot.waitUntil(lambda: window.model_docks.live.analysis is not None, timeout=MODEL_TIMEOUT_MS)
    qtbot.waitUntil(lambda: up_to_date(window), timeout=MODEL_TIMEOUT_MS)
    analysis = window.model_docks.live.analysis
    assert analysis is not None
    return analysis


def start(window: MainWindow, qtbot: QtBot) -> ModelAnalysis:
    window.model_docks.start()
    return wait_for_model(window, qtbot)


def open_example(window: MainWindow, name: str) -> Design:
    design = load_design(EXAMPLES / f"{name}.json")
    open_design(window, design)
    return design


def check_panels_show(window: MainWindow, design: Design) -> None:
    """The model panel is ``print(model)``, a row per module and the totals; the code panel
    is the compiled source."""
    docks = window.model_docks
    panel = docks.model_panel
    compiled = compile_design(design)
    model = build_model(compiled)
    assert panel.printed.toPlainText() == str(model)
    rows = module_rows(model, example_inputs(design, device="meta"))
    names = ["" if row.name == MODEL_ROW_NAME else row.name for row in rows]
    assert sorted(panel.items) == sorted(names)
    assert panel.tree.topLevelItemCount() == 1
    for name, row in zip(names, rows, strict=True):
        item = panel.items[name]
        label = name.rpartition(".")[2] if name else compiled.class_name
        assert [item.text(column) for column in range(4)] == [
            label,
            row.type,
            row.output_shape,
            f"{row.parameters:,}",
        ]
        assert item.data(0, NAME_ROLE) == name
        if name:
            parent = item.parent()
            assert parent is not None and parent.data(0, NAME_ROLE) == name.rpartition(".")[0]
    total = sum(parameter.numel() for parameter in model.parameters())
    assert f"{total:,} parameters" in panel.totals.text()
    assert compiled.class_name in panel.totals.text()
    assert panel.tree.isEnabled() and panel.printed.isEnabled()
    assert docks.code_panel.editor.toPlainText() == compiled.source
    assert docks.code_panel.editor.isEnabled()
    assert compiled.class_name in docks.code_panel.status.text()


def selected_modules(window: MainWindow) -> list[str]:
    tree = window.model_docks.model_panel.tree
    return [str(item.data(0, NAME_ROLE)) for item in tree.selectedItems()]


def marked_text(window: MainWindow) -> list[str]:
    code = window.model_docks.code_panel
    lines = code.editor.toPlainText().splitlines()
    return [lines[number - 1] for number in code.marked]


# --- the model panel ---------------------------------------------------------------------------


def test_the_panels_show_the_model(window: MainWindow, qtbot: QtBot) -> None:
    design = open_example(window, "seed_final")
    start(window, qtbot)
    check_panels_show(window, design)
    assert window.model_docks.model_panel.items["encoder.conv_blocks"].text(1) == "Sequential"
    design = open_example(window, "resnet_small")  # another design replaces it
    wait_for_model(window, qtbot)
    check_panels_show(window, design)
    assert {"layer1.conv1", "layer3.project_bn"} <= set(window.model_docks.model_panel.items)
    code = window.model_docks.code_panel
    code.copy_button.click()
    assert QGuiApplication.clipboard().text() == code.editor.toPlainText()
    assert window.model_docks.docks["model"].windowTitle() == "Model"


def test_an_edit_in_the_inspector_updates_the_panels(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    start(window, qtbot)
    panel, code = window.model_docks.model_panel, window.model_docks.code_panel
    assert panel.items["conv"].text(2) == "1x32x28x28"
    assert "conv_block(1, 32," in code.editor.toPlainText()
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    spin = window.inspector.editors["out_channels"].widget
    assert isinstance(spin, QSpinBox)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "48")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.document.design.block(conv).params["out_channels"] == 48
    (edge,) = window.document.design.outbound(conv)
    qtbot.waitUntil(lambda: window.scene.edges[edge].label == "1x48x28x28", timeout=2000)
    wait_for_model(window, qtbot)
    check_panels_show(window, window.document.design)
    assert panel.items["conv"].text(2) == "1x48x28x28"
    assert "conv_block(1, 48," in code.editor.toPlainText()
    assert "nn.Linear(37632, 10)" in code.editor.toPlainText()  # 48 * 28 * 28
    window.document.edit("Set out_channels", [SetParam(conv, "out_channels", 16)])
    wait_for_model(window, qtbot)
    assert panel.items["conv"].text(2) == "1x16x28x28"
    assert panel.items["fc"].text(3) == f"{16 * 28 * 28 * 10 + 10:,}"
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    wait_for_model(window, qtbot)
    assert panel.items["conv"].text(2) == "1x32x28x28"
    check_panels_show(window, window.document.design)


def test_selection_is_shared_between_canvas_tree_and_code(window: MainWindow, qtbot: QtBot) -> None:
    open_example(window, "seed_final")
    analysis = start(window, qtbot)
    design = window.document.design
    ids = {design.qualified_name(b): b for b in design.blocks}
    window.scene.select_blocks([ids["decoder.last"]])
    assert selected_modules(window) == ["decoder.last"]
    assert window.model_docks.code_panel.marked == analysis.block_lines[ids["decoder.last"]]
    assert any("self.last" in line for line in marked_text(window))
    assert all("last" in line for line in marked_text(window))
    window.scene.select_blocks([ids["encoder.conv_blocks"]])
    assert selected_modules(window) == ["encoder.conv_blocks"]
    assert any("self.conv_blocks" in line for line in marked_text(window))
    window.scene.select_blocks([ids["decoder.last"], ids["encoder.conv_blocks"]])
    assert selected_modules(window) == []  # two blocks: no one module
    assert window.model_docks.code_panel.marked == ()
    # the other way: a module picked in the tree selects its block
    tree = window.model_docks.model_panel.tree
    tree.setCurrentItem(window.model_docks.model_panel.items["decoder.dec_blocks"])
    assert window.scene.selected_block_ids() == [ids["decoder.dec_blocks"]]
    assert window.inspector.block_id == ids["decoder.dec_blocks"]
    assert any("self.dec_blocks" in line for line in marked_text(window))
    assert selected_modules(window) == ["decoder.dec_blocks"]
    tree.setCurrentItem(window.model_docks.model_panel.items["decoder.last"])
    assert window.scene.selected_block_ids() == [ids["decoder.last"]]
    assert any("self.last" in line for line in marked_text(window))
    tree.setCurrentItem(window.model_docks.model_panel.items["encoder.conv_blocks.0.0"])
    assert window.scene.selected_block_ids() == []  # a module no block became on its own


def test_a_class_less_sequential_member_selects_its_position(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_example(window, "seed_sequential")
    start(window, qtbot)
    fc2 = block_id(window, "fc2")
    window.scene.select_blocks([fc2])
    assert selected_modules(window) == ["decoder.2"]
    tree = window.model_docks.model_panel.tree
    tree.setCurrentItem(window.model_docks.model_panel.items["decoder.1"])
    assert window.scene.selected_block_ids() == [block_id(window, "sigmoid")]


def test_shape_errors_show_instead_of_the_model(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, load_design(DATA / "seed_final_buggy.json"))
    docks = window.model_docks
    panel, code = docks.model_panel, docks.code_panel
    docks.start()
    message = "expects 32*28*28 = 25088 input features"
    qtbot.waitUntil(lambda: message in panel.totals.text(), timeout=MODEL_TIMEOUT_MS)
    assert "shape error" in panel.totals.text()
    assert message in code.status.text()
    for text in (panel.totals.text(), code.status.text()):
        assert "Traceback" not in text
    assert not panel.tree.isEnabled() and not code.editor.isEnabled()
    assert not code.export_button.isEnabled()
    assert docks.live.analysis is None
    dec_blocks = block_id(window, "dec_blocks")
    window.document.edit("Fix", [SetParam(dec_blocks, "in_features", None)])
    wait_for_model(window, qtbot)
    check_panels_show(window, window.document.design)
    assert message not in code.status.text()
    window.actions_by_name["undo"].trigger()  # broken again: the errors come back
    qtbot.waitUntil(lambda: message in panel.totals.text(), timeout=MODEL_TIMEOUT_MS)
    assert message in code.status.text()
    assert docks.live.analysis is None
    assert not code.editor.isEnabled()
    assert not docks.ask_export("py", False)
    assert "fix the shape errors" in window.statusBar().currentMessage()


def test_a_compile_error_shows_and_undo_brings_the_model_back(
    window: MainWindow, qtbot: QtBot
) -> None:
    """An error only the compiler finds (two different groups of one class) comes back from
    the worker; going back to the last model that built shows that model again."""
    design = open_example(window, "seed_final")
    docks = window.model_docks
    panel, code = docks.model_panel, docks.code_panel
    start(window, qtbot)
    decoder = next(g for g in design.groups.values() if g.name == "decoder")
    window.document.edit("Set class", [SetGroupClass(decoder.id, "MyEncoder")])
    message = "sub-modules of class MyEncoder are built differently"
    qtbot.waitUntil(lambda: message in panel.totals.text(), timeout=MODEL_TIMEOUT_MS)
    assert message in code.status.text() and "Traceback" not in code.status.text()
    assert docks.live.analysis is None
    assert not panel.tree.isEnabled() and not code.editor.isEnabled()
    window.actions_by_name["undo"].trigger()
    wait_for_model(window, qtbot)
    check_panels_show(window, window.document.design)
    assert message not in panel.totals.text()


def test_an_answer_for_an_edit_since_undone_is_dropped(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_design(window, small_design())
    docks = window.model_docks
    service = docks.service
    start(window, qtbot)
    analyse_job = service._analyse_job

    def slow_analysis(job: object) -> None:  # the answer comes after the undo
        time.sleep(1.0)
        analyse_job(job)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_analyse_job", slow_analysis)
    conv = block_id(window, "conv")
    window.document.edit("Set out_channels", [SetParam(conv, "out_channels", 8)])
    qtbot.waitUntil(lambda: service._running is not None, timeout=5000)  # asked about 8
    assert docks.docks["model"].windowTitle() == "Model (updating…)"
    window.actions_by_name["undo"].trigger()  # back to 32, the model shown
    qtbot.wait(500)  # the undo's refresh has run: nothing new to ask
    qtbot.waitUntil(lambda: service._running is None, timeout=MODEL_TIMEOUT_MS)
    qtbot.wait(300)
    assert docks.docks["model"].windowTitle() == "Model"
    assert docks.model_panel.items["conv"].text(2) == "1x32x28x28"
    assert "conv_block(1, 32," in docks.code_panel.editor.toPlainText()
    assert up_to_date(window)
    check_panels_show(window, window.document.design)


def test_closing_the_window_while_the_worker_starts_leaves_no_worker(
    window: MainWindow, qtbot: QtBot
) -> None:
    """The analysis and the device query both wait on the one worker: closing the window
    stops the one starting, and the other, still waiting its turn, must not start another."""
    before = set(multiprocessing.active_children())
    open_design(window, small_design())
    window.model_docks.start()
    qtbot.waitUntil(lambda: window.model_docks.service._worker is not None, timeout=5000)
    assert window.close()

    def requests_done() -> bool:
        return not any(t.name == "torch-worker-request" for t in threading.enumerate())

    qtbot.waitUntil(requests_done, timeout=MODEL_TIMEOUT_MS)
    assert set(multiprocessing.active_children()) <= before
    assert window.model_docks.live.analysis is None


# --- exports -----------------------------------------------------------------------------------


def wait_for_export(window: MainWindow, qtbot: QtBot, suffix: str) -> list[Path]:
    bar = window.statusBar()
    qtbot.waitUntil(
        lambda: bar.currentMessage().startswith(("Exported", "Export failed")),
        timeout=RUN_TIMEOUT_MS,
    )
    message = bar.currentMessage()
    assert message.startswith("Exported "), message
    paths = [Path(path) for path in message.removeprefix("Exported ").split(", ")]
    assert paths[0].suffix == suffix
    return paths


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_exports_from_the_window_import_and_run(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window_compiles = spy_on_compiles(monkeypatch)
    design = open_example(window, "seed_final")
    asked: list[tuple[str, str, str]] = []

    def ask_path(title: str, file_filter: str, suggestion: str) -> Path:
        asked.append((title, file_filter, suggestion))
        return tmp_path / "exported"  # no suffix: the format's is added

    monkeypatch.setattr(window.model_docks, "ask_path", ask_path)
    assert window.model_docks.ask_export("py", True)
    assert window.statusBar().currentMessage() == "Exporting exported.py…"
    paths = wait_for_export(window, qtbot, ".py")
    assert paths == [tmp_path / "exported.py", tmp_path / "exported.pt"]
    assert window_compiles == []  # the worker compiled it (the checks below compile here)
    check_py_export(design, paths[0], paths[1])
    window.statusBar().clearMessage()
    (action,) = [a for a in window.model_docks.export_menu.actions() if ".pt2" in a.text()]
    assert action in window.model_docks.code_panel.export_button.menu().actions()
    action.trigger()  # as the File menu and the code panel's Export button do
    (pt2,) = wait_for_export(window, qtbot, ".pt2")
    assert pt2 == tmp_path / "exported.pt2"
    check_pt2_export(design, pt2)
    assert [entry[1] for entry in asked] == ["Python (*.py)", "PyTorch programs (*.pt2)"]
    assert sorted(p.name for p in tmp_path.glob("exported*")) == [
        "exported.pt",
        "exported.pt2",
        "exported.py",
    ]


def test_a_cancelled_or_refused_export_writes_nothing(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_example(window, "lenet5")
    monkeypatch.setattr(window.model_docks, "ask_path", lambda *_args: None)
    assert not window.model_docks.ask_export("py", False)
    assert not any(tmp_path.glob("*.py"))
    # weights beside a module whose own name ends in .pt: refused, and said so
    monkeypatch.setattr(window.model_docks, "ask_path", lambda *_args: tmp_path / "model.pt")
    assert window.model_docks.ask_export("py", True)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Export failed"), timeout=60_000)
    assert "another suffix" in bar.currentMessage()
    assert not any(tmp_path.glob("model.*"))


# --- benchmarks --------------------------------------------------------------------------------

RESULT_COLUMNS = ("batch", "median ms", "p10 ms", "p90 ms", "samples/s", "GFLOP")


def wait_for_run_end(panel: BenchPanel, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=RUN_TIMEOUT_MS)
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.progress.isHidden()


def wait_for_timing(panel: BenchPanel, qtbot: QtBot) -> None:
    """Until the worker reports progress: it is up and timing."""
    qtbot.waitUntil(lambda: panel.status.text().startswith("timing"), timeout=RUN_TIMEOUT_MS)


def headers(panel: BenchPanel) -> list[str]:
    table = panel.table
    items = [table.horizontalHeaderItem(column) for column in range(table.columnCount())]
    return [item.text() if item is not None else "" for item in items]


def cell(panel: BenchPanel, row: int, title: str) -> str:
    item = panel.table.item(row, headers(panel).index(title))
    return item.text() if item is not None else ""


def test_a_benchmark_on_the_cpu_fills_table_and_chart(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window_compiles = spy_on_compiles(monkeypatch)  # this process is the window's
    open_design(window, small_design())
    docks = window.model_docks
    panel = docks.bench_panel
    docks.start()
    qtbot.waitUntil(lambda: panel.device.findData("cpu") >= 0, timeout=MODEL_TIMEOUT_MS)
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    panel.batches.setText("1, 2")
    assert panel.start()
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    assert not panel.start()  # one run at a time
    assert "already going" in panel.status.text()
    wait_for_run_end(panel, qtbot)
    assert panel.status.text().startswith("Done on CPU (cpu), fp32"), panel.status.text()
    assert [result.batch for result in panel.results] == [1, 2]
    assert panel.table.rowCount() == 2
    assert set(RESULT_COLUMNS) <= set(headers(panel))
    for row in range(2):
        for title in RESULT_COLUMNS:
            assert cell(panel, row, title), (row, title)
        assert cell(panel, row, "batch") == str(row + 1)
        assert float(cell(panel, row, "p10 ms")) <= float(cell(panel, row, "median ms"))
        assert float(cell(panel, row, "median ms")) <= float(cell(panel, row, "p90 ms"))
    assert panel.chart.latency.count() == 2
    assert panel.chart.throughput.count() == 2
    assert [panel.chart.latency.at(i).x() for i in range(2)] == [1.0, 2.0]
    assert panel.table.isEnabled()
    # an edit makes the results stale
    conv = block_id(window, "conv")
    window.document.edit("Set out_channels", [SetParam(conv, "out_channels", 8)])
    qtbot.waitUntil(lambda: "earlier version" in panel.status.text(), timeout=2000)
    assert not panel.table.isEnabled()
    assert "stale" in panel.chart.chart().title()
    window.actions_by_name["undo"].trigger()  # back to the design that was timed
    qtbot.waitUntil(panel.table.isEnabled, timeout=2000)
    assert "stale" not in panel.chart.chart().title()
    # a long sweep, cancelled once it is timing
    panel.batches.setText("1, 2, 4, 8, 16, 32, 64")
    assert panel.start()
    wait_for_timing(panel, qtbot)
    panel.cancel_button.click()
    wait_for_run_end(panel, qtbot)
    assert "cancelled" in panel.status.text()
    assert panel.results and len(panel.results) == 2  # the last results stay
    # analyses and runs went to the workers as design text: the window compiled nothing
    wait_for_model(window, qtbot)
    assert window_compiles == []


def test_bad_batch_sizes_are_refused(window: MainWindow) -> None:
    open_design(window, small_design())
    panel = window.model_docks.bench_panel
    for text, reason in (("", "type a batch size"), ("1, 0", "'0'"), ("2, x", "'x'")):
        panel.batches.setText(text)
        assert not panel.start()
        assert reason in panel.status.text()
    assert not panel.runner.running
    panel.batches.setText(", ".join(str(n) for n in range(1, 18)))
    assert not panel.start()
    assert "at most 16" in panel.status.text()
    open_design(window, load_design(DATA / "seed_final_buggy.json"))
    panel.batches.setText("1")
    assert not panel.start()
    assert "shape errors" in panel.status.text()


def test_a_worker_that_dies_mid_run_is_reported_and_replaced(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, small_design())
    panel = window.model_docks.bench_panel
    runner = window.model_docks.runner
    assert panel.device.currentData() == "auto"  # the CPU here
    panel.batches.setText("1, 2, 4, 8, 16, 32, 64")
    assert panel.start()
    wait_for_timing(panel, qtbot)
    assert runner._worker is not None
    pid = runner._worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for_run_end(panel, qtbot)
    text = panel.status.text()
    assert "worker process died" in text and "SIGKILL" in text, text
    assert "color" in panel.status.styleSheet()  # shown as an error
    assert panel.results == []
    panel.batches.setText("2")
    assert panel.start()
    wait_for_run_end(panel, qtbot)
    assert panel.status.text().startswith("Done on CPU"), panel.status.text()
    assert [result.batch for result in panel.results] == [2]
    assert runner._worker is not None and runner._worker.pid not in (None, pid)
