"""File > Import Model...: the command line's ``import`` fields, checked as they are typed, and
the import run in a worker process with a busy bar, the seconds it has taken, and Cancel.

The dialog says plainly that importing runs the model file's own code. On success it emits
``imported`` and stays open until the window says the design was opened (``finish``); on
failure it shows the one line that says why and keeps every field as it was.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.gui.import_runner import ImportRunner, ImportWorkers
from designer.importer.loading import (
    DEFAULT_TIMEOUT,
    DTYPES,
    ImportRequest,
    parse_input_shape,
    parse_kwargs,
)
from designer.importer.report import ImportFailedError

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #c0392b;"
MAX_TIME_LIMIT_S = 3600
FAILURE_SHOWN = 400
"""Characters of a failure shown in the dialog; the whole line is its tooltip."""
CODE_RUNS_WARNING = (
    "Importing runs the model file's own code (its module, the constructor and forward), in a "
    "separate process that Cancel or the time limit stops. Import only code you trust."
)


def source_problem(text: str) -> str | None:
    """What is wrong with a SOURCE as typed, without running anything; None when it may do."""
    target, separator, name = text.strip().rpartition(":")
    if not separator or not target or not name:
        return "write path/to/file.py:Name or package.module:name"
    path_like = target.endswith(".py") or "/" in target or "\\" in target
    if path_like and not Path(target).is_file():
        return f"{target}: no such file"
    return None


def model_names(path: Path) -> list[str]:
    """Top-level classes and functions of a Python file, read without running it; classes that
    derive from something named ``Module`` first."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as error:
        log.info("can't read names from %s: %s", path, error)
        return []
    modules: list[str] = []
    others: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            derived = any(base.rpartition(".")[2] == "Module" for base in bases)
            (modules if derived else others).append(node.name)
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            others.append(node.name)
    # a model built from blocks is defined after them: its class comes last in the file
    return [*reversed(modules), *others]


def _problem(parse: Callable[[], object], flag: str, label: str) -> str | None:
    """The command line's message for a value ``parse`` refuses, naming the dialog's field
    instead of the flag; None when it parses."""
    try:
        parse()
    except ImportFailedError as failure:
        return failure.message.replace(flag, label, 1)
    return None


class ImportDialog(QDialog):
    imported = Signal(object)
    """An ``ImportResult``; the receiver opens it and calls ``finish``."""

    def __init__(self, parent: QWidget | None = None, workers: ImportWorkers | None = None):
        """``workers``: the window's warm import workers; None: each import starts its own."""
        super().__init__(parent)
        self.setWindowTitle("Import Model")
        self.setMinimumWidth(620)
        self.runner = ImportRunner(self, workers)
        self.runner.ticked.connect(self._show_elapsed)
        self.runner.succeeded.connect(self._succeeded)
        self.runner.failed.connect(self.show_failure)
        self.request: ImportRequest | None = None
        self._build()
        for field in (self.source, self.arguments, self.input_shape):
            field.textChanged.connect(self.validate)
        self.validate()

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form())
        warning = QLabel(CODE_RUNS_WARNING)
        warning.setWordWrap(True)
        layout.addWidget(warning)
        layout.addLayout(self._build_progress())
        self.failure = QLabel()
        self.failure.setWordWrap(True)
        self.failure.setStyleSheet(ERROR_STYLE)
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure.hide()
        layout.addWidget(self.failure)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    def _build_form(self) -> QFormLayout:
        self.source = QLineEdit()
        self.source.setPlaceholderText("path/to/model.py:MyNet  or  torchvision.models:resnet18")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self.browse_file)
        self.arguments = QLineEdit()
        self.arguments.setPlaceholderText('{"num_classes": 10}  (literal JSON; empty: none)')
        self.input_shape = QLineEdit("1,3,224,224")
        self.dtype = QComboBox()
        self.dtype.addItems(DTYPES)
        self.time_limit = QSpinBox()
        self.time_limit.setRange(1, MAX_TIME_LIMIT_S)
        self.time_limit.setValue(round(DEFAULT_TIMEOUT))
        self.time_limit.setSuffix(" s")
        self.errors = {name: self._error_label() for name in ("source", "arguments", "shape")}
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Model:", source_row)
        form.addRow("", self.errors["source"])
        form.addRow("Arguments:", self.arguments)
        form.addRow("", self.errors["arguments"])
        form.addRow("Input shape:", self.input_shape)
        form.addRow("", self.errors["shape"])
        form.addRow("Input dtype:", self.dtype)
        form.addRow("Time limit:", self.time_limit)
        self.fields: list[QWidget] = [
            self.source,
            self.browse,
            self.arguments,
            self.input_shape,
            self.dtype,
            self.time_limit,
        ]
        return form

    def _build_progress(self) -> QHBoxLayout:
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the import can't say how far it is
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.elapsed = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.elapsed)
        return row

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.hide()
        return label

    # --- the fields --------------------------------------------------------------------------

    def ask_python_file(self) -> Path | None:
        """Tests replace this."""
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Model file", "", "Python files (*.py);;All files (*)"
        )
        return Path(chosen) if chosen else None

    def browse_file(self) -> None:
        path = self.ask_python_file()
        if path is None:
            return
        names = model_names(path)
        choices = [f"{path}:{name}" for name in names]
        completer = QCompleter(choices, self.source)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.source.setCompleter(completer)
        self.source.setText(choices[0] if choices else f"{path}:")
        self.source.setFocus()
        # the name selected: typing replaces it, and the completer offers the file's others
        self.source.setSelection(len(str(path)) + 1, len(names[0]) if names else 0)

    def validate(self) -> bool:
        """Check each field as typed, each error shown under its field; Import only when all
        fit (an empty model field shows no error, but Import waits for it)."""
        source = self.source.text().strip()
        problems = {
            "source": source_problem(source) if source else None,
            "arguments": _problem(
                lambda: parse_kwargs(self.arguments.text().strip() or None), "--args", "Arguments"
            ),
            "shape": _problem(
                lambda: parse_input_shape(self.input_shape.text()), "--input-shape", "Input shape"
            ),
        }
        for name, problem in problems.items():
            self.errors[name].setText(problem or "")
            self.errors[name].setVisible(problem is not None)
        fits = bool(source) and all(problem is None for problem in problems.values())
        self.import_button.setEnabled(fits and not self.runner.running)
        return fits

    def make_request(self) -> ImportRequest:
        return ImportRequest(
            self.source.text().strip(),
            parse_kwargs(self.arguments.text().strip() or None),
            parse_input_shape(self.input_shape.text()),
            self.dtype.currentText(),
        )

    # --- importing ---------------------------------------------------------------------------

    def start(self) -> bool:
        if self.runner.running or not self.validate():
            return False
        self.request = self.make_request()
        self.failure.hide()
        try:
            self.runner.start(self.request, float(self.time_limit.value()))
        except OSError as error:  # no process could be started: out of memory, or of pids
            self.show_failure(f"The import process could not be started: {error}")
            return False
        self._set_running(True)
        self._show_elapsed(0.0)
        return True

    def _set_running(self, running: bool) -> None:
        for field in self.fields:
            field.setEnabled(not running)
        self.progress.setVisible(running)
        self.elapsed.setVisible(running)
        self.import_button.setEnabled(not running)
        self.validate()

    def _show_elapsed(self, seconds: float) -> None:
        self.elapsed.setText(f"Importing… {seconds:.0f} s")

    def _succeeded(self, result: object) -> None:
        self._set_running(False)
        self.imported.emit(result)

    def show_failure(self, message: str) -> None:
        self._set_running(False)
        shown = message if len(message) <= FAILURE_SHOWN else message[:FAILURE_SHOWN] + " …"
        self.failure.setText(shown)
        self.failure.setToolTip(message)
        self.failure.show()
        log.info("import failed: %s", message)

    def finish(self) -> None:
        """The window opened the import: close."""
        self.failure.hide()
        self.accept()

    def reject(self) -> None:
        """Cancel: while importing, kill the child and stay open; else close."""
        if self.runner.running:
            self.runner.cancel()
            self.show_failure("Import cancelled; the model's process was stopped.")
            return
        super().reject()
