"""The inspector: the selected block's parameters as typed editors, its inferred in-sizes and
output shape; a selected group's name and class; with nothing selected, the model's class.

Every change goes through the document as an undoable edit; refused input is marked, with the
reason shown under the form: a parameter keeps the refused text, a name field shows the real name
again once the refused one is discarded (Escape, or leaving the field). A block in error shows
no parameter count.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer.graph import BlockResult, DesignError, ShapeReport, block_kind, shape_text
from designer.graph.edits import (
    Edit,
    RenameBlock,
    RenameGroup,
    SetClassName,
    SetGroupClass,
    SetParam,
)
from designer.graph.events import Change, ModelRenamed
from designer.graph.params import ParamValue
from designer.gui.document import DesignDocument
from designer.gui.name_field import NameField
from designer.gui.param_editors import ParamEditor, make_editor

_ERROR_STYLE = "color: #c0392b;"


class Inspector(QScrollArea):
    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWidgetResizable(True)
        # the form follows the dock's width (long messages wrap) instead of scrolling sideways
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(300)
        self.block_id: str | None = None
        self.group_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.name_edit: NameField | None = None
        self.class_edit: NameField | None = None
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(_ERROR_STYLE)
        self.output = QLabel()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(_ERROR_STYLE)
        document.changed.connect(self._on_change)
        document.shapes_checked.connect(self._on_report)
        document.replaced.connect(lambda: self.show_selection([], []))
        self.show_selection([], [])

    # --- what is shown -----------------------------------------------------------------------

    def show_selection(self, block_ids: list[str], group_ids: list[str]) -> None:
        self.block_id = block_ids[0] if len(block_ids) == 1 and not group_ids else None
        self.group_id = group_ids[0] if len(group_ids) == 1 and not block_ids else None
        self.editors = {}
        self.name_edit = self.class_edit = None
        page = QWidget()
        column = QVBoxLayout(page)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        column.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(_ERROR_STYLE)
        self.output, self.problems = QLabel(), QLabel()
        self.output.setWordWrap(True)  # several outputs (an LSTM's h_n, c_n) make a long line
        self.problems.setWordWrap(True)
        self.path_note = QLabel()
        self.path_note.setWordWrap(True)
        self.problems.setStyleSheet(_ERROR_STYLE)
        if self.block_id is not None:
            self._build_block_form(form, self.block_id)
        elif self.group_id is not None:
            self._build_group_form(form, self.group_id)
        elif block_ids or group_ids:
            count = len(block_ids) + len(group_ids)
            form.addRow(QLabel(f"{count} items selected"))
        else:
            self._build_model_form(form)
        column.addWidget(self.error)
        column.addStretch(1)
        self.setWidget(page)
        self._on_report(self.document.report)

    def _build_block_form(self, form: QFormLayout, block_id: str) -> None:
        block = self.document.design.block(block_id)
        kind = block_kind(block.kind)
        title = QLabel(f"<b>{kind.label}</b><br><small>{kind.help}</small>")
        title.setWordWrap(True)
        form.addRow(title)
        self.name_edit = self._text_field(
            lambda: self.document.design.block(block_id).name, self._rename_block
        )
        form.addRow("name", self.name_edit)
        form.addRow(self.path_note)
        for spec in kind.params:
            editor = make_editor(spec, self._committer(spec.name), self.refuse)
            editor.show(block.params[spec.name])
            self.editors[spec.name] = editor
            label = QLabel(spec.name)
            label.setToolTip(spec.help)
            form.addRow(label, editor.widget)
        form.addRow("output", self.output)
        form.addRow(self.problems)

    def _numbered_note(self, block_id: str) -> str:
        """For a block in a class-less group that becomes an ``nn.Sequential``: that the group
        numbers its children, and how to keep the names."""
        design = self.document.design
        group_id = design.block(block_id).group
        if group_id is None or group_id not in design.module_paths().sequentials:
            return ""
        return (
            f"<small>In the model this block is <b>{design.module_path(block_id)}</b>: "
            f"'{design.group(group_id).name}' has no class, so it becomes an nn.Sequential, "
            "which numbers its children. Give the group a class to keep their names.</small>"
        )

    def _build_group_form(self, form: QFormLayout, group_id: str) -> None:
        blocks, groups = self.document.design.members(group_id)
        info = QLabel(
            f"<b>group</b><br><small>becomes a sub-module; {len(blocks)} blocks, "
            f"{len(groups)} groups inside</small>"
        )
        info.setWordWrap(True)
        form.addRow(info)
        self.name_edit = self._text_field(
            lambda: self.document.design.group(group_id).name, self._rename_group
        )
        form.addRow("name", self.name_edit)
        self.class_edit = self._text_field(
            lambda: self.document.design.group(group_id).class_name or "", self._set_group_class
        )
        self.class_edit.setPlaceholderText("automatic (nn.Sequential for a chain)")
        form.addRow("class", self.class_edit)

    def _build_model_form(self, form: QFormLayout) -> None:
        design = self.document.design
        info = QLabel("<b>model</b><br><small>select a block to edit it</small>")
        form.addRow(info)
        self.class_edit = self._text_field(
            lambda: self.document.design.class_name, self._set_model_class
        )
        form.addRow("class", self.class_edit)
        form.addRow("blocks", QLabel(str(len(design.blocks))))
        form.addRow("parameters", self.output)
        form.addRow(self.problems)

    def _text_field(
        self, current: Callable[[], str], apply: Callable[[str], list[Edit]]
    ) -> NameField:
        def submit(text: str) -> bool:
            edits = apply(text)
            return not edits or self._edit("Rename", edits)

        return NameField(current, submit)

    # --- edits -------------------------------------------------------------------------------

    def _committer(self, name: str) -> Callable[[ParamValue], None]:
        def commit(value: ParamValue) -> None:
            if self.block_id is None:
                return
            block = self.document.design.block(self.block_id)
            if block.params.get(name) == value:
                self.error.setText("")  # the value it has: nothing left to complain about
                return
            if self._edit(f"Set {name} of {block.name}", [SetParam(self.block_id, name, value)]):
                return
            self.editors[name].show(self.document.design.block(self.block_id).params[name])

        return commit

    def _rename_block(self, name: str) -> list[Edit]:
        assert self.block_id is not None
        if name == self.document.design.block(self.block_id).name:
            return []
        return [RenameBlock(self.block_id, name)]

    def _rename_group(self, name: str) -> list[Edit]:
        assert self.group_id is not None
        if name == self.document.design.group(self.group_id).name:
            return []
        return [RenameGroup(self.group_id, name)]

    def _set_group_class(self, name: str) -> list[Edit]:
        assert self.group_id is not None
        value = name or None
        if value == self.document.design.group(self.group_id).class_name:
            return []
        return [SetGroupClass(self.group_id, value)]

    def _set_model_class(self, name: str) -> list[Edit]:
        if name == self.document.design.class_name:
            return []
        return [SetClassName(name)]

    def _edit(self, text: str, edits: list[Edit]) -> bool:
        try:
            self.document.edit(text, edits)
        except DesignError as error:
            self.refuse(error.message)
            return False
        self.error.setText("")
        return True

    def refuse(self, reason: str) -> None:
        self.error.setText(f"Not applied: {reason}")

    # --- following the design ----------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if isinstance(change, ModelRenamed):
            showing_model = self.block_id is None and self.group_id is None
            if showing_model and self.class_edit is not None and not self.class_edit.hasFocus():
                self.class_edit.setText(change.new)
            return
        block = getattr(change, "new", None) or getattr(change, "block", None)
        if self.block_id is not None and getattr(block, "id", None) == self.block_id:
            if self.block_id not in self.document.design.blocks:
                self.show_selection([], [])
                return
            current = self.document.design.block(self.block_id)
            for name, editor in self.editors.items():
                editor.show(current.params[name])
            if self.name_edit is not None and not self.name_edit.hasFocus():
                self.name_edit.setText(current.name)
        elif self.group_id is not None and getattr(block, "id", None) == self.group_id:
            if self.group_id not in self.document.design.groups:
                self.show_selection([], [])
                return
            group = self.document.design.group(self.group_id)
            if self.name_edit is not None and not self.name_edit.hasFocus():
                self.name_edit.setText(group.name)
            if self.class_edit is not None and not self.class_edit.hasFocus():
                self.class_edit.setText(group.class_name or "")

    def _on_report(self, report: ShapeReport) -> None:
        if self.block_id is None:
            if self.group_id is None and self.class_edit is not None:
                self.output.setText(_model_parameters_text(report))
                self.problems.setText("\n".join(f"⚠ {p.message}" for p in report.problems[:8]))
            return
        result = report.results.get(self.block_id)
        if result is None:
            return
        self.output.setText(_block_output_text(result))
        self.output.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.setText("\n".join(f"⚠ {problem.message}" for problem in result.problems))
        note = self._numbered_note(self.block_id)
        self.path_note.setText(note)
        self.path_note.setVisible(bool(note))
        kind = block_kind(self.document.design.block(self.block_id).kind)
        if kind.pin is not None and kind.pin.param in self.editors:
            incoming = result.inputs[0] if result.inputs else None
            inferred = None
            if incoming is not None and len(incoming) > 1:
                inferred = incoming[kind.pin.dim]
            self.editors[kind.pin.param].set_inferred(inferred)


def _block_output_text(result: BlockResult) -> str:
    """The output shape and parameter count; a block in error has neither for sure, so the
    line says so and the problems under it say why."""
    if result.problems:
        return "— shape error, see below"
    shape = shape_text(result.shape) if result.shape is not None else "unknown"
    for port, other in result.other_outputs:  # an LSTM's h_n and c_n
        shape += f", {port} {shape_text(other)}"
    parameters = f"{result.parameters:,}" if result.parameters is not None else "?"
    return f"{shape}   ({parameters} parameters)"


def _model_parameters_text(report: ShapeReport) -> str:
    """The model's parameter count, unless blocks in error leave it out (a partial sum)."""
    if report.problems:
        count = len(report.problems)
        return f"— {count} shape error{'s' if count != 1 else ''}, see below"
    return f"{report.total_parameters:,}"
