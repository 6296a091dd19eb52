"""One editor widget per parameter type, each refusing invalid input with the reason.

An editor shows a value (``show``) and calls ``commit(value)`` only with a value the
parameter's own validation accepts; text that fails is kept in the editor (so nothing typed is
lost), marked red, and its reason goes to ``refuse``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
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
_INT_MAX = 2**31 - 1


class ParamEditor:
    """Base: a widget plus ``show(value)``; subclasses call ``self.commit`` on a valid edit."""

    widget: QWidget

    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        self.spec, self.commit, self.refuse = spec, commit, refuse

    def show(self, value: ParamValue) -> None:
        raise NotImplementedError

    def set_inferred(self, value: int | None) -> None:
        """The in-size the checker infers (only in-size editors show it)."""


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, commit: Commit, refuse: Refuse) -> None:
        super().__init__(spec, commit, refuse)
        self.spin = QSpinBox()
        self.spin.setRange(int(spec.minimum or 0), min(int(spec.maximum or _INT_MAX), _INT_MAX))
        self.spin.setKeyboardTracking(False)  # commit on Enter, focus out or a step, not per key
        self.spin.setToolTip(spec.help)
        self.spin.valueChanged.connect(lambda value: self.commit(int(value)))
        self.widget = self.spin

    def show(self, value: ParamValue) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(int(value) if isinstance(value, int) else 0)


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
        self.spin = QSpinBox()
        self.spin.setRange(int(spec.minimum or 0), min(int(spec.maximum or _INT_MAX), _INT_MAX))
        self.spin.setKeyboardTracking(False)
        self.inferred = QLabel()
        layout.addWidget(self.inferred, 1)
        layout.addWidget(self.pin)
        layout.addWidget(self.spin)
        self._inferred: int | None = None
        self.pin.toggled.connect(self._pinned)
        self.spin.valueChanged.connect(lambda value: self.commit(int(value)))

    def show(self, value: ParamValue) -> None:
        with QSignalBlocker(self.pin), QSignalBlocker(self.spin):
            self.pin.setChecked(value is not None)
            self.spin.setEnabled(value is not None)
            if isinstance(value, int):
                self.spin.setValue(value)
            elif self._inferred is not None:
                self.spin.setValue(self._inferred)

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
        self.commit(max(value, self.spin.minimum()))


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

    def show(self, value: ParamValue) -> None:
        if isinstance(value, tuple):
            text = ", ".join(str(item) for item in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
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
            value = self.spec.validate(parse_text(self.spec, text))
        except DesignError as error:
            self.line.setStyleSheet(INVALID_STYLE)
            self.refuse(f"{self.spec.name}: {error.message}")
            return
        self.line.setStyleSheet("")
        self.commit(value)


def parse_text(spec: ParamSpec, text: str) -> object:
    """What the user typed, as the value validation expects; raises ``DesignError``."""
    text = text.strip()
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
    }
    return editors[spec.type](spec, commit, refuse)
