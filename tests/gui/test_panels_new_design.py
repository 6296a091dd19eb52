"""File > New (and any other design replacing the open one) clears the model and code panels
at once: they never show the previous design's model."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from designer.graph import load_design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import open_design
from tests.gui.test_model_panels import MODEL_TIMEOUT_MS, check_panels_show, start, wait_for_model
from tests.paths import EXAMPLES

SHOT = "/tmp/shots/new_design_panels.png"


def shows_no_model(window: MainWindow) -> bool:
    docks = window.model_docks
    model, code = docks.model_panel, docks.code_panel
    return (
        model.tree.topLevelItemCount() == 0
        and not model.items
        and model.printed.toPlainText() == ""
        and code.editor.toPlainText() == ""
        and not code.copy_button.isEnabled()
        and not code.export_button.isEnabled()
    )


def test_new_clears_the_old_model_and_says_what_to_add(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, load_design(EXAMPLES / "seed_final.json"))
    start(window, qtbot)
    docks = window.model_docks
    assert docks.model_panel.tree.topLevelItemCount() == 1
    window.actions_by_name["new"].trigger()
    assert shows_no_model(window)  # at once, not after the next analysis
    assert docks.live.analysis is None
    for status in (docks.model_panel.totals, docks.code_panel.status):
        assert "add an input block" in status.text()
        assert "add an output block" in status.text()
    qtbot.wait(500)  # past the analysis delay: nothing brings the old model back
    assert shows_no_model(window)
    window.model_docks.docks["model"].raise_()
    window.grab().save(SHOT)


def test_reopening_the_same_design_shows_its_model_again(window: MainWindow, qtbot: QtBot) -> None:
    design = load_design(EXAMPLES / "lenet5.json")
    open_design(window, design)
    start(window, qtbot)
    open_design(window, load_design(EXAMPLES / "lenet5.json"))  # the same model content
    assert shows_no_model(window)
    wait_for_model(window, qtbot)
    qtbot.waitUntil(lambda: not shows_no_model(window), timeout=MODEL_TIMEOUT_MS)
    check_panels_show(window, design)


def test_new_before_torch_is_ready_still_clears(window: MainWindow) -> None:
    docks = window.model_docks  # never started: the panels wait for the model
    docks.model_panel.printed.setPlainText("OldModel(...)")
    docks.code_panel.show_source("class OldModel: ...", "OldModel")
    window.actions_by_name["new"].trigger()
    assert shows_no_model(window)
    assert docks.model_panel.totals.text() == "Waiting for the model…"
    assert docks.code_panel.status.text() == "Waiting for the model…"
