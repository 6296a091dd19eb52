"""File > Import Model...: a model file imported through the dialog opens laid out with its deep
groups collapsed; bad input is named next to its field, and a model that fails, loops or
exits says why in the dialog while the window and its open design stay as they were.

Each import runs in a worker process that imports torch (2-4 s) unless one was warmed up before,
so the failing models run side by side, one dialog each."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.graph.edits import Disconnect
from designer.graph.layout import layered_positions
from designer.graph.layout.collapsed_layout import deep_groups
from designer.gui import import_controller, import_runner
from designer.gui.canvas import style
from designer.gui.canvas.group_item import COLLAPSED_MAX_WIDTH
from designer.gui.file_controller import Answer
from designer.gui.import_controller import COLLAPSE_DEPTH
from designer.gui.import_dialog import ImportDialog, model_names, source_problem
from designer.gui.main_window import MainWindow
from designer.importer.loading import ImportRequest, ImportResult, import_here
from designer.importer.report import ImportReport, Unmapped
from tests.graph.test_collapsed_layout import stages as layout_stages
from tests.gui.helpers import Calls, dump, open_design, small_design
from tests.paths import EXAMPLES

IMPORT_WAIT_MS = 60_000

MODELS = """
import sys

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.inner = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(self.conv(x))


class Net(nn.Module):
    def __init__(self, width: int = 8, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.layer1 = nn.Sequential(Block(width), Block(width))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layer1(self.stem(x)))


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        raise ValueError("this model refuses to be built")


class Quits(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        sys.exit(3)
"""

LOOPS = """
from pathlib import Path

Path(__file__).with_suffix(".started").write_text("looping")
while True:
    pass
"""


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "models.py"
    path.write_text(textwrap.dedent(MODELS))
    return path


@pytest.fixture
def loops(tmp_path: Path) -> Path:
    path = tmp_path / "loops.py"
    path.write_text(textwrap.dedent(LOOPS))
    return path


def fill(dialog: ImportDialog, source: str, shape: str = "1,3,8,8", arguments: str = "") -> None:
    dialog.source.setText(source)
    dialog.arguments.setText(arguments)
    dialog.input_shape.setText(shape)


def wait_done(qtbot: QtBot, *dialogs: ImportDialog) -> None:
    qtbot.waitUntil(lambda: not any(d.runner.running for d in dialogs), timeout=IMPORT_WAIT_MS)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# --- the fields, checked as typed (nothing runs) ----------------------------------------------


def test_each_bad_field_is_named_next_to_it_and_import_waits(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    assert not dialog.import_button.isEnabled()  # no model named yet, and no error shown
    assert not dialog.errors["source"].text()
    fill(dialog, str(tmp_path / "missing.py") + ":Net")
    assert "no such file" in dialog.errors["source"].text()
    assert not dialog.import_button.isEnabled()
    fill(dialog, "just_a_name")
    assert "path/to/file.py:Name" in dialog.errors["source"].text()
    fill(dialog, "torchvision.models:resnet18", arguments="{width: 3}")
    assert not dialog.errors["source"].text()
    assert dialog.errors["arguments"].text().startswith("Arguments is not literal JSON")
    fill(dialog, "torchvision.models:resnet18", arguments="[1, 2]")
    assert "must be a JSON object" in dialog.errors["arguments"].text()
    fill(dialog, "torchvision.models:resnet18", shape="1,x,8")
    assert dialog.errors["shape"].text().startswith("Input shape must be sizes")
    assert not dialog.import_button.isEnabled()
    assert not dialog.start(), "Import ran with a bad field"
    fill(dialog, "torchvision.models:resnet18", arguments='{"num_classes": 3}')
    assert dialog.import_button.isEnabled()
    assert not any(label.text() for label in dialog.errors.values())


def test_browse_offers_the_file_s_model_classes_without_running_it(
    qtbot: QtBot, models: Path
) -> None:
    assert model_names(models)[:3] == ["Quits", "Broken", "Net"]  # modules, the last first
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.ask_python_file = lambda: models  # type: ignore[method-assign]
    dialog.browse_file()
    assert dialog.source.text() == f"{models}:Quits"
    assert dialog.source.selectedText() == "Quits"  # typing replaces the name
    completer = dialog.source.completer()
    assert completer is not None
    assert f"{models}:Net" in completer.model().stringList()  # type: ignore[attr-defined]
    assert source_problem(f"{models}:Net") is None


def test_the_dialog_says_the_file_s_code_is_run(qtbot: QtBot) -> None:
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.failure)))
    assert "runs the model file's own code" in texts
    assert "separate process" in texts


# --- importing -------------------------------------------------------------------------------


def test_an_imported_model_opens_laid_out_with_its_deep_groups_collapsed(
    qtbot: QtBot, window: MainWindow, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.show_message("")
    dialog = window.importer.show_dialog()
    fill(dialog, f"{models}:Net", arguments='{"width": 4}')
    results, ticks = Calls(), Calls()
    dialog.imported.connect(results)
    dialog.runner.ticked.connect(ticks)
    assert dialog.start()
    assert dialog.progress.isVisible() and dialog.elapsed.text().startswith("Importing")
    assert not dialog.source.isEnabled(), "the fields stay put while importing"
    wait_done(qtbot, dialog)
    assert results.calls, dialog.failure.text()
    assert ticks.calls, "the elapsed seconds never moved: the window's loop was blocked"
    report = results.calls[0][0].report
    assert window.importer.dock.isVisible() == bool(report.unmapped or report.notes)
    design = window.document.design
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.windowTitle().startswith("Net")
    shown = [item for item in window.scene.blocks.values() if item.isVisible()]
    shown += [item for item in window.scene.groups.values() if item.isVisible()]
    for index, item in enumerate(shown):  # laid out as shown: nothing overlaps
        for other in shown[index + 1 :]:
            mine, theirs = item.sceneBoundingRect(), other.sceneBoundingRect()
            assert not mine.intersects(theirs) or mine.contains(theirs) or theirs.contains(mine)
    names = {group.name for group in design.groups.values()}
    assert {"layer1", "head"} <= names
    deep = {g for g in design.groups if len(design.group_path(g)) >= COLLAPSE_DEPTH}
    assert deep, "the test model should nest groups"
    for group_id in design.groups:
        assert window.scene.is_collapsed(group_id) == (group_id in deep)
    layer1 = next(g for g in design.groups.values() if g.name == "layer1")
    assert window.scene.groups[layer1.id].isVisible()
    conv = next(b for b in design.blocks.values() if b.group and b.name == "conv")
    assert not window.scene.blocks[conv.id].isVisible()
    assert window.document.undo_stack.isClean()

    # a design with unsaved edits: Cancel at the prompt keeps it, and the dialog says so
    window.scene.toggle_collapsed(layer1.id)
    window.scene.select_blocks([next(iter(design.blocks))])
    window.add_after_selection("dropout")  # an unsaved edit
    before = dump(window)
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: Answer.Cancel)
    dialog.show()
    result: ImportResult = results.calls[0][0]
    assert not window.importer.open_result(result)
    assert dump(window) == before
    assert dialog.isVisible() and "Not opened" in dialog.failure.text()
    assert dialog.source.text() == f"{models}:Net"
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: Answer.Discard)


def test_clicking_an_unmapped_operation_selects_its_block_in_a_collapsed_group(
    qtbot: QtBot, window: MainWindow
) -> None:
    design = small_design()
    conv = next(b.id for b in design.blocks.values() if b.name == "conv")
    deep = design.add_group("deep", [conv])
    design.add_group("outer", groups=[deep.id])
    open_design(window, design)
    window.scene.toggle_collapsed(deep.id)
    report = ImportReport(
        [Unmapped("F.grid_sample", "model.py:12", "write it as a block", block=conv)],
        ["a note"],
    )
    panel = window.importer.panel
    panel.show_report(report, "model.py:Net")
    entries = panel.entries()
    assert [e.text(0) for e in entries] == ["F.grid_sample", "note"]
    assert entries[0].text(1) == "model.py:12" and entries[1].text(2) == "a note"
    panel.tree.itemClicked.emit(entries[0], 0)
    assert window.scene.selected_block_ids() == [conv]
    assert not window.scene.is_collapsed(deep.id)
    panel.tree.itemClicked.emit(entries[1], 0)  # a note has no block: nothing changes
    assert window.scene.selected_block_ids() == [conv]


def test_models_that_fail_say_why_and_the_open_design_is_untouched(
    qtbot: QtBot, window: MainWindow, models: Path, loops: Path
) -> None:
    open_design(window, small_design())
    before = dump(window)
    opened = Calls()
    cases = {
        "bad name": (f"{models}:Nope", "1,3,8,8", "has no Nope"),
        "constructor raises": (f"{models}:Broken", "1,3,8,8", "this model refuses to be built"),
        "shape rejected": (f"{models}:Net", "1,5,8,8", "the model rejects the input"),
        "sys.exit": (f"{models}:Quits", "1,3,8,8", "called sys.exit(3)"),
        "time limit": (f"{loops}:Net", "1,3,8,8", "took longer than 1 s"),
        "cancelled": (f"{loops}:Net", "1,3,8,8", "Import cancelled"),
    }
    dialogs: dict[str, ImportDialog] = {}
    for case, (source, shape, _) in cases.items():
        dialog = ImportDialog(window)
        qtbot.addWidget(dialog)
        dialog.imported.connect(opened)
        dialog.imported.connect(window.importer.open_result)
        fill(dialog, source, shape)
        dialog.time_limit.setValue(1 if case == "time limit" else 60)
        dialog.show()
        assert dialog.start(), case
        dialogs[case] = dialog

    cancelled = dialogs["cancelled"]
    pid = cancelled.runner.pid
    assert pid is not None
    qtbot.waitUntil(loops.with_suffix(".started").exists, timeout=IMPORT_WAIT_MS)
    began = time.monotonic()
    cancelled.cancel_button.click()
    assert process_gone(pid), "Cancel left the child running"
    assert time.monotonic() - began < 3
    assert cancelled.isVisible(), "Cancel during an import stops it, and keeps the dialog"

    wait_done(qtbot, *dialogs.values())
    for case, (source, shape, expected) in cases.items():
        dialog = dialogs[case]
        assert expected in dialog.failure.text(), (case, dialog.failure.text())
        assert dialog.isVisible() and dialog.failure.isVisible(), case
        assert dialog.source.text() == source and dialog.input_shape.text() == shape, case
        assert dialog.source.isEnabled() and dialog.import_button.isEnabled(), case
        assert not dialog.progress.isVisible(), case
    assert not opened.calls
    assert dump(window) == before
    assert window.isVisible()
    cancelled.cancel_button.click()  # not importing: Cancel closes
    assert not cancelled.isVisible()


def test_the_shipped_example_model_imports_with_the_arguments_its_docstring_gives() -> None:
    path = EXAMPLES / "models" / "resnet_like.py"
    assert 'arguments ``{"num_classes": 10}``' in path.read_text()
    request = ImportRequest(f"{path}:ResNetLike", {"num_classes": 10}, (1, 3, 32, 32))
    design = import_here(request).design()  # the shipped file, run in this process
    names = {group.name for group in design.groups.values()}
    assert {"stem", "layer1", "layer2", "layer3"} <= names
    assert deep_groups(design, COLLAPSE_DEPTH), "nothing for the import to collapse"


# --- the warm worker -------------------------------------------------------------------------


def test_a_warm_worker_serves_the_next_import_and_another_takes_its_place(
    qtbot: QtBot, window: MainWindow, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_runner, "REFILL_DELAY_MS", 0)
    workers = window.importer.workers
    dialog = window.importer.show_dialog()  # opening the dialog warms a worker up
    assert workers.spare is not None
    qtbot.waitUntil(workers.ready, timeout=IMPORT_WAIT_MS)
    warm = workers.spare.pid
    fill(dialog, f"{models}:Net", arguments='{"width": 4}')
    assert dialog.start()
    assert dialog.runner.pid == warm, "the import didn't use the waiting worker"
    assert workers.spare is None
    wait_done(qtbot, dialog)
    assert window.windowTitle().startswith("Net"), dialog.failure.text()
    assert warm is not None and process_gone(warm), "one import, one process: it ends"
    qtbot.waitUntil(lambda: workers.spare is not None, timeout=5000)
    assert workers.spare is not None and workers.spare.pid != warm

    # between two collapsed groups, the edges carry their shapes as others do
    scene = window.scene
    between = [
        edge
        for edge, item in scene.edges.items()
        if item.isVisible()
        and not scene.blocks[edge.source].isVisible()
        and not scene.blocks[edge.target].isVisible()
    ]
    assert between, "the model's two blocks should be collapsed, one feeding the other"
    assert all(edge in scene.wiring.board.placements for edge in between)

    window.close()
    assert workers.spare is None, "closing the window stops the waiting worker"


def test_once_torch_is_loaded_a_worker_is_warmed_up_and_closing_stops_it(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_controller, "WARM_UP_DELAY_MS", 0)
    workers = window.importer.workers
    assert workers.spare is None, "no worker before the window has torch"
    window.importer.warm_up_soon()  # the window's own model was built
    qtbot.waitUntil(lambda: workers.spare is not None)
    spare = workers.spare
    assert spare is not None and spare.pid is not None
    window.importer.warm_up_soon()  # once is enough
    assert workers.spare is spare
    window.close()
    assert workers.spare is None and process_gone(spare.pid)


def test_a_worker_that_dies_says_so_once_and_is_replaced(
    qtbot: QtBot, window: MainWindow, models: Path, loops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_runner, "REFILL_DELAY_MS", 0)
    workers = window.importer.workers
    dialog = window.importer.show_dialog()
    assert workers.spare is not None and workers.spare.pid is not None
    os.kill(workers.spare.pid, signal.SIGKILL)  # dies while it waits: replaced unseen
    qtbot.waitUntil(lambda: workers.spare is not None and not workers.spare.alive())
    fill(dialog, f"{loops}:Net")
    assert dialog.start()
    pid = dialog.runner.pid
    assert pid is not None
    qtbot.waitUntil(loops.with_suffix(".started").exists, timeout=IMPORT_WAIT_MS)
    os.kill(pid, signal.SIGKILL)  # dies while it imports: the dialog says so
    wait_done(qtbot, dialog)
    assert "ended (exit code -9) before answering" in dialog.failure.text()
    assert dialog.isVisible() and dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: workers.spare is not None, timeout=5000)
    qtbot.waitUntil(workers.ready, timeout=IMPORT_WAIT_MS)
    fill(dialog, f"{models}:Net")
    assert dialog.start()
    wait_done(qtbot, dialog)
    assert window.windowTitle().startswith("Net"), dialog.failure.text()


# --- the canvas of an imported design ---------------------------------------------------------


def stages(count: int = 2) -> Design:
    """``test_collapsed_layout``'s stages of ConvChain blocks, laid out expanded."""
    design = layout_stages(count, per_block=3, class_name="ConvChain")
    for block_id, position in layered_positions(design).items():
        design.move_block(block_id, position)
    return design


def shown_overlaps(window: MainWindow) -> list[tuple[str, str]]:
    """Pairs of shown blocks and groups that overlap (a frame around another is no overlap)."""
    scene = window.scene
    shown = [(b, i) for b, i in scene.blocks.items() if i.isVisible()]
    shown += [(g, i) for g, i in scene.groups.items() if i.isVisible()]
    found = []
    for index, (name, item) in enumerate(shown):
        for other_name, other in shown[index + 1 :]:
            mine, theirs = item.sceneBoundingRect(), other.sceneBoundingRect()
            if mine.intersects(theirs) and not (mine.contains(theirs) or theirs.contains(mine)):
                found.append((name, other_name))
    return found


def shown_area(window: MainWindow) -> float:
    rect = QRectF()
    for item in [*window.scene.blocks.values(), *window.scene.groups.values()]:
        if item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    return rect.width() * rect.height()


def test_collapsing_many_groups_routes_the_edges_once(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_design(window, stages())
    scene = window.scene
    deep = deep_groups(window.document.design, COLLAPSE_DEPTH)
    resets = Calls()
    reset = scene.wiring.reset
    monkeypatch.setattr(scene.wiring, "reset", lambda *a: (resets(*a), reset(*a)))
    scene.set_collapsed(deep, True)
    assert len(resets.calls) == 1
    assert all(scene.is_collapsed(g) for g in deep)
    hidden = [b for b, block in window.document.design.blocks.items() if block.group in deep]
    assert not any(scene.blocks[b].isVisible() for b in hidden)
    scene.set_collapsed(deep, True)  # nothing changes: nothing routed
    assert len(resets.calls) == 1


def test_auto_layout_keeps_collapsed_groups_folded_and_expanding_makes_room(
    window: MainWindow,
) -> None:
    open_design(window, stages())
    scene = window.scene
    expanded_area = shown_area(window)
    deep = deep_groups(window.document.design, COLLAPSE_DEPTH)
    scene.set_collapsed(deep, True)
    window.auto_layout()  # Ctrl+L
    assert not shown_overlaps(window)
    assert shown_area(window) < expanded_area / 2, "the collapsed groups' gaps came back"
    assert all(scene.is_collapsed(g) for g in deep)

    window.auto_layout()
    top = window.document.undo_stack.count()
    scene.toggle_collapsed(deep[0])  # its blocks were laid out inside its small box
    assert not scene.is_collapsed(deep[0])
    assert not shown_overlaps(window), "the expanded group spreads over its neighbours"
    stack = window.document.undo_stack
    assert stack.count() == top + 1 and stack.text(top).startswith("Expand block0_0")
    stack.undo()  # the blocks go back to where the folded group had room: it folds again
    assert scene.is_collapsed(deep[0]) and not shown_overlaps(window)
    stack.redo()
    assert not scene.is_collapsed(deep[0]) and not shown_overlaps(window)
    scene.toggle_collapsed(deep[0])
    scene.toggle_collapsed(deep[0])  # room was made: expanding again moves nothing
    assert stack.count() == top + 1


def test_a_collapsed_box_is_as_wide_as_its_title(window: MainWindow) -> None:
    design = stages(1)
    long_class = "Bottleneck" * 6
    first, second = deep_groups(design, COLLAPSE_DEPTH)
    design.rename_group(first, "first_block_of_the_stage")
    design.rename_group(second, "b")
    design.set_group_class(second, long_class)
    open_design(window, design)
    scene = window.scene
    scene.set_collapsed([first, second], True)
    box = scene.groups[first]
    title_room = box.frame().width() - 28  # the toggle's left, the title's right margin
    assert style.COLLAPSED_WIDTH < box.frame().width() < COLLAPSED_MAX_WIDTH
    assert box.shown_title(title_room) == "first_block_of_the_stage: ConvChain"
    assert box.frame().size().toTuple() == box.collapsed_size()
    wide = scene.groups[second]
    assert wide.frame().width() == COLLAPSED_MAX_WIDTH
    shown = wide.shown_title(wide.frame().width() - 28)
    assert shown.startswith("Bottleneck") and not shown.startswith("b:")
    assert long_class in wide.toolTip()


# --- eval mode ---------------------------------------------------------------------------------

TRAINING_BRANCH = """
import torch
from torch import nn


class Noisy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.training:
            x = x * 2.0
        return torch.relu(x)
"""


def test_models_are_traced_in_eval_mode_and_the_report_says_so_only_when_it_matters(
    tmp_path: Path, models: Path
) -> None:
    path = tmp_path / "noisy.py"
    path.write_text(textwrap.dedent(TRAINING_BRANCH))
    result = import_here(ImportRequest(f"{path}:Noisy", {}, (1, 3, 8, 8)))
    names = sorted(block.name for block in result.design().blocks.values())
    assert len(names) == 4, f"x * 2.0 is training mode's only: {names}"  # x, conv, relu, output
    notes = [note for note in result.report.notes if "eval mode" in note]
    assert len(notes) == 1 and f"{path}:14" in notes[0], result.report.notes
    plain = import_here(ImportRequest(f"{models}:Net", {"width": 4}, (1, 3, 8, 8)))
    assert not [note for note in plain.report.notes if "eval mode" in note]


def test_of_twin_edges_into_a_collapsed_group_one_shows_with_its_label(
    qtbot: QtBot, window: MainWindow
) -> None:
    design = Design("Twins")
    x = design.add_block("input", name="x").id
    left, right = design.add_block("activation").id, design.add_block("dropout").id
    add = design.add_block("add").id
    design.connect(x, left)
    design.connect(x, right)
    design.connect(left, add, "in0")
    design.connect(right, add, "in1")
    design.connect(add, design.add_block("output").id)
    group = design.add_group("pair", [left, right, add]).id
    for block_id, position in layered_positions(design).items():
        design.move_block(block_id, position)
    open_design(window, design)
    scene = window.scene
    scene.set_collapsed([group], True)
    twins = [edge for edge in scene.edges if edge.source == x]
    shown = [edge for edge in twins if scene.edges[edge].isVisible()]
    assert len(shown) == 1, "both twins drawn on one line: no label could go there"
    assert shown[0] in scene.wiring.board.placements
    window.document.edit("Disconnect", [Disconnect(shown[0])])
    (other,) = [edge for edge in twins if edge != shown[0]]
    qtbot.waitUntil(scene.edges[other].isVisible)
    assert other in scene.wiring.board.placements
