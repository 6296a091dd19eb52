"""A view that fails to follow an edit is shown to the user, and the design is kept."""

from __future__ import annotations

from designer.graph.edits import SetParam
from designer.graph.events import Change, ListenerFailure
from designer.gui.listener_alert import ADVICE
from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, dump, open_design, small_design


def test_a_raising_listener_is_shown_and_the_edit_kept(
    window: MainWindow, listener_failures: list[ListenerFailure]
) -> None:
    open_design(window, small_design())
    design = window.document.design

    def broken_view(change: Change) -> None:
        raise ValueError("the view lost its item")

    design.subscribe(broken_view)
    conv = block_id(window, "conv")
    window.document.edit("Set out_channels", [SetParam(conv, "out_channels", 24)])
    box = window.listener_alert.box
    assert box is not None and box.isVisible()
    assert "broken_view failed on BlockChanged" in box.text()
    assert "ValueError: the view lost its item" in box.text()
    assert box.informativeText() == ADVICE
    assert design.blocks[conv].params["out_channels"] == 24  # the edit itself stands
    assert '"out_channels": 24' in dump(window)
    assert len(listener_failures) == 1
    listener_failures.clear()
    design.unsubscribe(broken_view)
    box.close()


def test_a_closed_window_stops_listening(
    window: MainWindow, listener_failures: list[ListenerFailure]
) -> None:
    window.listener_alert.stop()
    design = window.document.design

    def broken_view(change: Change) -> None:
        raise ValueError("late")

    design.subscribe(broken_view)
    design.add_block("linear")
    assert window.listener_alert.box is None
    assert len(listener_failures) == 1
    listener_failures.clear()
    design.unsubscribe(broken_view)
