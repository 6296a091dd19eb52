"""The command line's choice between the desktop app and a command, and the no-screen case."""

from __future__ import annotations

import pytest

from designer.cli import _wants_app, main
from tests.paths import EXAMPLES


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        ([], True),
        (["design.json"], True),
        (["-v"], True),
        (["--verbose", "design.json"], True),
        (["design.json", "-v"], True),
        (["check", "design.json"], False),
        (["check"], False),
        (["a.json", "b.json"], False),
        (["--help"], False),
        (["-h"], False),
        (["--version"], False),
        (["frobnicate"], False),
        (["chek"], False),
        (["Design.JSON"], True),
    ],
)
def test_wants_app(argv: list[str], wanted: bool) -> None:
    assert _wants_app(argv) is wanted


@pytest.fixture
def no_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")


@pytest.mark.usefixtures("no_screen")
def test_design_without_screen_is_checked_instead(capsys: pytest.CaptureFixture[str]) -> None:
    design = EXAMPLES / "seed_final.json"
    assert main([str(design)]) == 0
    captured = capsys.readouterr()
    assert "no screen to open the app on" in captured.err
    assert str(design) in captured.err
    assert captured.out.rstrip().endswith("shapes OK")  # the check's own report


@pytest.mark.usefixtures("no_screen")
def test_no_arguments_without_screen_checks_the_default_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    captured = capsys.readouterr()
    assert "no screen to open the app on" in captured.err
    assert "seed_final.json" in captured.err


@pytest.mark.usefixtures("no_screen")
def test_missing_design_without_screen_fails_the_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["-v", str(EXAMPLES / "no_such_design.json")]) != 0
    assert "no screen" in capsys.readouterr().err
