"""One editor widget per parameter type, each refusing invalid input with the reason.

An editor shows a value (``show``) and calls ``commit(value)`` only with a value the
parameter's own validation accepts; text that fails is kept in the editor (so nothing typed is
lost), marked red, and its reason goes to ``refuse``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, QSize
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from designer.graph import ACTIVATIONS_BY_KEY, DesignError
from designer.graph.params import ParamSpec, ParamType, ParamValue

Commit = Callable[[ParamValue], None]
Refuse = Callable[[str], None]
INVALID_STYLE = "border: 2px solid #e74c3c;"
# a styled frame makes Qt draw a spin box's buttons itself, too narrow for their arrows
INVALID_SPIN_STYLE = (
    "QAbstractSpinBox { border: 2px solid #e74c3c; } "
    "QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { width: 16px; }"
)
_INT_MAX = 2**31 - 1
MAX_KEYWORDS_TEXT = 4000
"""Longer keyword text is refused before it is parsed (a deep nesting would exhaust the
parser)."""


class ParamEditor:
    """Base: a widget plus ``show(value)``; subclasses call ``self.commit`` on a valid edit."""

    widget: QWidget

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        self.spec, self.commit, self.refuse = spec, commit, refuse

    def show(self, value: ParamValue) -> None:
        raise NotImplementedError

    def set_inferred(self, value: int | None) -> None:
        """The in-size the checker infers (only in-size editors show it)."""

    def commit_checked(self, field: QWidget, value: object) -> None:
        """Commit ``value`` if the parameter accepts it; else mark ``field`` and say why."""
        try:
            checked = self.spec.validate(value)
        except DesignError as error:
            spin = isinstance(field, QAbstractSpinBox)
            field.setStyleSheet(INVALID_SPIN_STYLE if spin else INVALID_STYLE)
            self.refuse(f"{self.spec.name}: {error.message}")
            return
        field.setStyleSheet("")
        self.commit(checked)


class RangeSpinBox(QSpinBox):
    """A spin box that takes any whole number typed, so its editor can refuse one outside the
    parameter's range with the reason. A QSpinBox limited to that range would change such a
    number silently: its validator drops a '-' when the minimum is >= 0 and the digit that
    passes the maximum, and a value under the minimum is reset on Enter. The arrows, the wheel
    and Page Up/Down stay within the range."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__()
        self.low = max(int(spec.minimum), -_INT_MAX) if spec.minimum is not None else -_INT_MAX
        self.high = min(int(spec.maximum), _INT_MAX) if spec.maximum is not None else _INT_MAX
        # sized for the range, not for the ten digits and sign it takes
        probe = QSpinBox()
        probe.setRange(self.low, self.high)
        self._hints = probe.sizeHint(), probe.minimumSizeHint()
        self.setRange(-_INT_MAX, _INT_MAX)
        self.setKeyboardTracking(False)  # commit on Enter, focus out or a step, not per key
        self.setToolTip(spec.help)
        self.lineEdit().textEdited.connect(lambda _text: self.setStyleSheet(""))

    def show_value(self, value: int) -> None:
        """Show a value from the design, unless a refused one is still being corrected."""
        if self.hasFocus() and self.styleSheet() == INVALID_SPIN_STYLE:
            return
        with QSignalBlocker(self):
            self.setValue(value)
        self.setStyleSheet("")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._hints[0]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._hints[1]

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        self.interpretText()  # a number typed but not yet entered is where the step starts
        value = self.value()
        super().stepBy(min(max(value + steps * self.singleStep(), self.low), self.high) - value)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802 (Qt's name)
        if self.isReadOnly():
            return QAbstractSpinBox.StepEnabledFlag.StepNone
        value = self.value()
        enabled = QAbstractSpinBox.StepEnabledFlag.StepNone
        if value < self.high:
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if value > self.low:
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return enabled


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.spin = RangeSpinBox(spec)
        self.spin.valueChanged.connect(lambda value: self.commit_checked(self.spin, int(value)))
        self.widget = self.spin

    def show(self, value: ParamValue) -> None:
        self.spin.show_value(int(value) if isinstance(value, int) else 0)


class OptionalIntEditor(ParamEditor):
    """An in-size: inferred unless pinned (or a value that defaults to another, like a pool's
    stride); the check box pins it, the spin box sets the pinned value."""

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.widget = QWidget()
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pin = QCheckBox("pin" if spec.pins_in_size else "set")
        self.pin.setToolTip(spec.help)
        self.spin = RangeSpinBox(spec)
        self.inferred = QLabel()
        layout.addWidget(self.inferred, 1)
        layout.addWidget(self.pin)
        layout.addWidget(self.spin)
        self._inferred: int | None = None
        self.pin.toggled.connect(self._pinned)
        self.spin.valueChanged.connect(lambda value: self.commit_checked(self.spin, int(value)))

    def show(self, value: ParamValue) -> None:
        with QSignalBlocker(self.pin):
            self.pin.setChecked(value is not None)
        self.spin.setEnabled(value is not None)
        if isinstance(value, int):
            self.spin.show_value(value)
        elif self._inferred is not None:
            self.spin.show_value(self._inferred)

    def set_inferred(self, value: int | None) -> None:
        self._inferred = value
        if self.spec.pins_in_size:
            self.inferred.setText(f"inferred: {value}" if value is not None else "inferred: ?")
        else:
            self.inferred.setText("default")

    def _pinned(self, pinned: bool) -> None:
        if not pinned:
            self.commit(None)
            return
        value = self._inferred if self._inferred is not None else self.spin.value()
        self.commit(min(max(value, self.spin.low), self.spin.high))


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.box = QCheckBox()
        self.box.setToolTip(spec.help)
        self.box.toggled.connect(lambda checked: self.commit(bool(checked)))
        self.widget = self.box

    def show(self, value: ParamValue) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    """A combo box; activations show their module class beside the ModuleDict key."""

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.combo = QComboBox()
        self.combo.setToolTip(spec.help)
        for choice in spec.choices:
            entry = ACTIVATIONS_BY_KEY.get(choice) if spec.name == "activation" else None
            self.combo.addItem(f"{choice}  ({entry.module})" if entry else choice, choice)
        self.combo.currentIndexChanged.connect(
            lambda index: self.commit(self.combo.itemData(index))
        )
        self.widget = self.combo

    def show(self, value: ParamValue) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(max(0, self.combo.findData(value)))


class TextEditor(ParamEditor):
    """Numbers and size lists typed as text ("32, 64, 128"), checked when the edit ends."""

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.line = QLineEdit()
        self.line.setToolTip(spec.help)
        if spec.type is ParamType.INT_LIST:
            self.line.setPlaceholderText("sizes, e.g. 32, 64, 128")
        self.line.editingFinished.connect(self.finish)
        self.line.textEdited.connect(lambda _text: self.line.setStyleSheet(""))
        self.widget = self.line
        self._shown = ""

    def text_of(self, value: ParamValue) -> str:
        if isinstance(value, tuple):
            return ", ".join(str(item) for item in value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def show(self, value: ParamValue) -> None:
        text = self.text_of(value)
        self._shown = text
        if not self.line.hasFocus() or self.line.styleSheet() == "":
            self.line.setText(text)
            self.line.setStyleSheet("")

    def finish(self) -> None:
        text = self.line.text()
        if text == self._shown:
            self.line.setStyleSheet("")
            return
        try:
            value = parse_text(self.spec, text)
        except DesignError as error:
            self.line.setStyleSheet(INVALID_STYLE)
            self.refuse(f"{self.spec.name}: {error.message}")
            return
        self.commit_checked(self.line, value)


class KeywordsEditor(TextEditor):
    """Keyword arguments typed as in a call: ``negative_slope=0.2, inplace=True``."""

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.line.setPlaceholderText("e.g. negative_slope=0.2, inplace=True")

    def text_of(self, value: ParamValue) -> str:
        assert isinstance(value, tuple)
        return ", ".join(f"{name}={item!r}" for name, item in value)  # type: ignore[misc]


def parse_keywords(text: str) -> list[list[object]]:
    """``name=value, ...`` as [name, value] pairs, each value read by ``ast.literal_eval``:
    nothing typed is ever run. Raises ``DesignError`` naming what can't be read."""
    if not text:
        return []
    if len(text) > MAX_KEYWORDS_TEXT:
        raise DesignError(f"expected at most {MAX_KEYWORDS_TEXT} characters, got {len(text)}")
    expected = "expected name=value pairs separated by commas, e.g. negative_slope=0.2"
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise DesignError(f"{expected}, got {text[:20]!r}") from None
    if not isinstance(call, ast.Call) or call.args or not isinstance(call.func, ast.Name):
        raise DesignError(f"{expected}, got {text[:20]!r}")
    pairs: list[list[object]] = []
    for index, keyword in enumerate(call.keywords):
        if keyword.arg is None:
            raise DesignError(f"item {index}: expected name=value, got **")
        try:
            value = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            source = ast.get_source_segment(f"f({text})", keyword.value) or "?"
            raise DesignError(
                f"item {index}: {keyword.arg}: expected a literal (a number, True, False, a "
                f"string, None or a list of integers), got {source[:20]!r}"
            ) from None
        pairs.append([keyword.arg, list(value) if isinstance(value, tuple) else value])
    return pairs


def parse_text(spec: ParamSpec, text: str) -> object:
    """What the user typed, as the value validation expects; raises ``DesignError``."""
    text = text.strip()
    if spec.type is ParamType.KEYWORDS:
        return parse_keywords(text)
    if spec.type is ParamType.CLASS_NAME:
        return text
    if spec.type is ParamType.INT_LIST:
        parts = [part for part in re.split(r"[,\s]+", text.strip("[]() ")) if part]
        if not parts:
            raise DesignError("type at least one size, e.g. 32, 64")
        values: list[int] = []
        for index, part in enumerate(parts):
            try:
                values.append(int(part))
            except ValueError:
                raise DesignError(
                    f"item {index}: expected a whole number, got {part[:20]!r}"
                ) from None
        return values
    try:
        return float(text)
    except ValueError:
        raise DesignError(f"expected a number, got {text[:20]!r}") from None


def make_editor(spec: ParamSpec, commit: Commit, refuse: Refuse) -> ParamEditor:
    editors: dict[ParamType, type[ParamEditor]] = {
        ParamType.INT: IntEditor,
        ParamType.OPTIONAL_INT: OptionalIntEditor,
        ParamType.BOOL: BoolEditor,
        ParamType.CHOICE: ChoiceEditor,
        ParamType.FLOAT: TextEditor,
        ParamType.INT_LIST: TextEditor,
        ParamType.CLASS_NAME: TextEditor,
        ParamType.KEYWORDS: KeywordsEditor,
    }
    return editors[spec.type](spec, commit, refuse)
