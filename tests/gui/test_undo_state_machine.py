"""The document's undo stack under random edits of every kind.

A hypothesis state machine opens a shipped example in a ``DesignDocument`` and edits it the
way the app does (``document.edit`` with reversible edits and compound plans), undoing and
redoing in between. Every state the stack can return to is remembered as file text, so each
undo and redo is checked byte for byte, and at the end undo all must give back the example's
file exactly and redo all the final design.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PySide6.QtWidgets import QApplication

from designer.graph import (
    CATALOGUE,
    Design,
    DesignError,
    block_kind,
    check_design,
    dumps_design,
    load_design,
    loads_design,
)
from designer.graph.delete_reconnect import delete_reconnect_plan
from designer.graph.edit_plans import (
    add_plan,
    copy_fragment,
    delete_plan,
    group_plan,
    layout_plan,
    paste_plan,
)
from designer.graph.edits import (
    AddBlock,
    AddGroup,
    Connect,
    Disconnect,
    Edit,
    MoveBlock,
    RemoveBlock,
    RenameBlock,
    RenameGroup,
    SetClassName,
    SetGroupClass,
    SetParam,
    Ungroup,
)
from designer.graph.fileformat import natural_key
from designer.graph.params import ParamSpec, ParamType
from designer.gui.commands import EditCommand
from designer.gui.document import DesignDocument
from tests.paths import EXAMPLES
from tests.profiles import examples

KINDS = (
    "linear",
    "conv_block",
    "conv_stack",
    "dropout",
    "activation",
    "flatten",
    "batch_norm2d",
    "max_pool2d",
    "add",
    "concat",
    "input",
    "output",
)
NAMES = ("fc", "conv1", "residual", "encoder", "layer1", "head", "x", "block9")
"""Valid names that often clash with names already in use."""
BAD_NAMES = ("self", "forward", "9lives", "with space", "")
CLASS_NAMES = ("Net", "MyEncoder", "ResidualBlock", "Block2")
POSITIONS = st.tuples(
    st.floats(-5000, 5000, allow_nan=False), st.floats(-5000, 5000, allow_nan=False)
)
MACHINE_SETTINGS = settings(
    max_examples=examples(40),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def param_values(spec: ParamSpec) -> st.SearchStrategy[object]:
    """Values the catalogue's ``spec`` accepts: small ones, and its bounds."""
    low = int(spec.minimum) if spec.minimum is not None else -8
    high = int(spec.maximum) if spec.maximum is not None else 1024
    integers = st.integers(low, min(high, low + 64)) | st.sampled_from([low, high])
    if spec.type is ParamType.INT:
        return integers
    if spec.type is ParamType.OPTIONAL_INT:
        return st.none() | integers
    if spec.type is ParamType.FLOAT:
        assert spec.minimum is not None and spec.maximum is not None
        return st.floats(spec.minimum, spec.maximum, allow_nan=False)
    if spec.type is ParamType.BOOL:
        return st.booleans()
    if spec.type is ParamType.CHOICE:
        return st.sampled_from(spec.choices)
    assert spec.type is ParamType.INT_LIST
    items = st.lists(
        st.integers(low, min(high, low + 512)),
        min_size=spec.min_items,
        max_size=min(spec.max_items, 4),
    )
    return items | items.map(tuple)


def names() -> st.SearchStrategy[str]:
    """Mostly valid names, often taken already; a quarter of them refused outright."""
    fresh = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)
    return st.sampled_from(NAMES) | fresh | fresh | st.sampled_from(BAD_NAMES)


class UndoMachine(RuleBasedStateMachine):
    example: ClassVar[str] = "seed_final"
    """The shipped example the document opens."""

    def __init__(self) -> None:
        super().__init__()
        path = EXAMPLES / f"{self.example}.json"
        self.document = DesignDocument(load_design(path))
        self.original = path.read_text()
        assert self.text() == self.original
        self.texts: dict[int, str] = {0: self.original}
        """The file text at each index of the undo stack."""
        self.last_param: tuple[str, str, object] | None = None
        """The block, parameter and old value of the latest ``set_param``."""

    # --- helpers ---------------------------------------------------------------------------

    @property
    def design(self) -> Design:
        return self.document.design

    def text(self) -> str:
        return dumps_design(self.document.design)

    def edit(self, text: str, build: Callable[[], Sequence[Edit]]) -> None:
        """One undoable step; a refused one must leave the design and the stack as they were."""
        stack = self.document.undo_stack
        before, index, count = self.text(), stack.index(), stack.count()
        top = stack.command(index - 1) if index > 0 else None
        top_edits = [type(edit) for edit in top.edits] if isinstance(top, EditCommand) else []
        try:
            self.document.edit(text, build())
        except DesignError:
            event(f"{text}: refused")
            assert self.text() == before
            assert (stack.index(), stack.count()) == (index, count)
            return
        event(f"{text}: done")
        now = self.text()
        if stack.index() <= index:  # merged into the step before (and dropped if undone)
            assert top_edits == [SetParam]
            if stack.index() < index:
                assert now == self.texts[stack.index()]
        else:
            assert stack.index() == index + 1
        for later in [key for key in self.texts if key > stack.index()]:
            del self.texts[later]
        self.texts[stack.index()] = now
        assert stack.count() == stack.index()  # a new step drops what was undone
        assert dumps_design(loads_design(now)) == now  # every state can be saved and opened

    def blocks(self, data: st.DataObject, *, min_size: int = 0, ends: bool = True) -> list[str]:
        """A selection; without ``ends`` mostly one without input and output blocks."""
        choices = sorted(self.design.blocks, key=natural_key)
        inner = [key for key in choices if self.design.block(key).kind not in ("input", "output")]
        if not ends and inner and data.draw(st.integers(0, 4)):
            choices = inner
        return data.draw(
            st.lists(st.sampled_from(choices), min_size=min_size, max_size=4, unique=True)
        )

    def block(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.design.blocks, key=natural_key)))

    def group(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.design.groups, key=natural_key)))

    def scope(self, data: st.DataObject) -> str | None:
        return data.draw(st.sampled_from([None, *sorted(self.design.groups, key=natural_key)]))

    def has_blocks(self) -> bool:
        return bool(self.design.blocks)

    def has_groups(self) -> bool:
        return bool(self.design.groups)

    def has_edges(self) -> bool:
        return any(True for _ in self.design.edges())

    # --- single edits ----------------------------------------------------------------------

    @rule(data=st.data(), kind=st.sampled_from(KINDS), position=POSITIONS)
    def add_block(self, data: st.DataObject, kind: str, position: tuple[float, float]) -> None:
        name = data.draw(st.none() | names())
        group = self.scope(data)
        self.edit("Add", lambda: [AddBlock(kind, position, name=name, group=group)])

    @precondition(has_blocks)
    @rule(data=st.data())
    def remove_block(self, data: st.DataObject) -> None:
        self.edit("Remove", lambda: [RemoveBlock(self.block(data))])

    @precondition(has_blocks)
    @rule(data=st.data())
    def connect(self, data: st.DataObject) -> None:
        """Mostly into a free port (from a block with an output); now and then anywhere."""
        design = self.design
        free = {
            key: [
                port for port in kind.input_ports(block.params) if port not in design.inbound(key)
            ]
            for key, block in design.blocks.items()
            for kind in [block_kind(block.kind)]
        }
        targets = sorted((key for key, ports in free.items() if ports), key=natural_key)
        sources = sorted(
            (key for key in design.blocks if design.kind(key).has_output), key=natural_key
        )
        anywhere = data.draw(st.integers(0, 4)) == 0
        if targets and sources and not anywhere:
            target = data.draw(st.sampled_from(targets))
            port = data.draw(st.sampled_from(free[target]))
            source = data.draw(st.sampled_from(sources))
        else:
            source, target = self.block(data), self.block(data)
            port = data.draw(st.sampled_from(["in", "in0", "in1", "in9"]))
        self.edit("Connect", lambda: [Connect(source, target, port)])

    @precondition(has_edges)
    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        edge = data.draw(st.sampled_from(sorted(self.design.edges())))
        self.edit("Disconnect", lambda: [Disconnect(edge)])

    @precondition(has_blocks)
    @rule(data=st.data())
    def set_param(self, data: st.DataObject) -> None:
        block = self.design.block(self.block(data))
        specs = block_kind(block.kind).params
        if not specs:
            return
        spec = data.draw(st.sampled_from(specs))
        value = data.draw(param_values(spec))
        self.last_param = (block.id, spec.name, block.params[spec.name])
        self.edit("Set", lambda: [SetParam(block.id, spec.name, value)])

    @precondition(lambda self: self.last_param is not None)
    @rule(data=st.data())
    def set_the_same_param_again(self, data: st.DataObject) -> None:
        """A spin box's next step: consecutive steps merge into one undo entry."""
        assert self.last_param is not None
        block_id, name, first = self.last_param
        if block_id not in self.design.blocks:
            return
        spec = self.design.kind(block_id).param(name)
        value = data.draw(st.just(first) | param_values(spec))  # back to the start: no entry
        self.edit("Set again", lambda: [SetParam(block_id, name, value)])

    @precondition(has_blocks)
    @rule(data=st.data(), name=names())
    def rename_block(self, data: st.DataObject, name: str) -> None:
        self.edit("Rename", lambda: [RenameBlock(self.block(data), name)])

    @precondition(has_blocks)
    @rule(data=st.data(), position=POSITIONS)
    def move_block(self, data: st.DataObject, position: tuple[float, float]) -> None:
        self.edit("Move", lambda: [MoveBlock(self.block(data), position)])

    @rule(data=st.data(), name=names())
    def add_group(self, data: st.DataObject, name: str) -> None:
        scope = self.scope(data)
        in_scope = sorted(
            (key for key, block in self.design.blocks.items() if block.group == scope),
            key=natural_key,
        )
        groups_in_scope = sorted(
            (key for key, group in self.design.groups.items() if group.parent == scope),
            key=natural_key,
        )
        blocks = (
            data.draw(st.lists(st.sampled_from(in_scope), max_size=3, unique=True))
            if in_scope
            else []
        )
        groups = (
            data.draw(st.lists(st.sampled_from(groups_in_scope), max_size=2, unique=True))
            if groups_in_scope
            else []
        )
        class_name = data.draw(st.none() | st.sampled_from(CLASS_NAMES))
        self.edit(
            "Group",
            lambda: [AddGroup(name, blocks, groups, class_name=class_name, parent=scope)],
        )

    @precondition(has_groups)
    @rule(data=st.data())
    def ungroup(self, data: st.DataObject) -> None:
        self.edit("Ungroup", lambda: [Ungroup(self.group(data))])

    @precondition(has_groups)
    @rule(data=st.data(), name=names())
    def rename_group(self, data: st.DataObject, name: str) -> None:
        self.edit("Rename group", lambda: [RenameGroup(self.group(data), name)])

    @precondition(has_groups)
    @rule(data=st.data(), class_name=st.none() | st.sampled_from(CLASS_NAMES) | names())
    def set_group_class(self, data: st.DataObject, class_name: str | None) -> None:
        self.edit("Group class", lambda: [SetGroupClass(self.group(data), class_name)])

    @rule(class_name=st.sampled_from(CLASS_NAMES) | names())
    def set_class_name(self, class_name: str) -> None:
        self.edit("Model class", lambda: [SetClassName(class_name)])

    # --- compound plans --------------------------------------------------------------------

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        blocks = self.blocks(data) if self.design.blocks else []
        edges = (
            data.draw(st.lists(st.sampled_from(sorted(self.design.edges())), max_size=3))
            if self.has_edges()
            else []
        )
        groups = (
            data.draw(st.lists(st.sampled_from(sorted(self.design.groups)), max_size=2))
            if self.design.groups
            else []
        )
        self.edit("Delete", lambda: delete_plan(self.design, blocks, edges, groups))

    @precondition(has_blocks)
    @rule(data=st.data())
    def delete_and_reconnect(self, data: st.DataObject) -> None:
        blocks = self.blocks(data, min_size=1)
        self.edit(
            "Delete and reconnect",
            lambda: delete_reconnect_plan(self.design, blocks).edits,
        )

    @precondition(has_edges)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), position=POSITIONS)
    def splice(self, data: st.DataObject, kind: str, position: tuple[float, float]) -> None:
        edge = data.draw(st.sampled_from(sorted(self.design.edges())))
        self.edit("Splice", lambda: add_plan(self.design, kind, position, splice_into=edge))

    @precondition(has_blocks)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), position=POSITIONS)
    def add_after(self, data: st.DataObject, kind: str, position: tuple[float, float]) -> None:
        after = self.block(data)
        self.edit("Add after", lambda: add_plan(self.design, kind, position, after=after))

    @precondition(has_blocks)
    @rule(data=st.data(), offset=POSITIONS)
    def copy_paste(self, data: st.DataObject, offset: tuple[float, float]) -> None:
        text = copy_fragment(self.design, self.blocks(data, min_size=1))
        self.edit("Paste", lambda: paste_plan(self.design, text, offset))

    @precondition(has_blocks)
    @rule(data=st.data(), name=names())
    def group_selection(self, data: st.DataObject, name: str) -> None:
        blocks = self.blocks(data, ends=False)
        self.edit("Group selection", lambda: group_plan(self.design, name, blocks))

    @rule()
    def layout(self) -> None:
        plan = layout_plan(self.design)
        if plan:
            self.edit("Layout", lambda: plan)

    # --- undo and redo ---------------------------------------------------------------------

    @precondition(lambda self: self.document.undo_stack.canUndo())
    @rule(steps=st.integers(1, 3))
    def undo(self, steps: int) -> None:
        stack = self.document.undo_stack
        for _ in range(steps):
            if stack.canUndo():
                stack.undo()
                assert self.text() == self.texts[stack.index()]

    @precondition(lambda self: self.document.undo_stack.canRedo())
    @rule(steps=st.integers(1, 3))
    def redo(self, steps: int) -> None:
        stack = self.document.undo_stack
        for _ in range(steps):
            if stack.canRedo():
                stack.redo()
                assert self.text() == self.texts[stack.index()]

    @invariant()
    def clean_only_at_the_start(self) -> None:
        stack = self.document.undo_stack
        assert stack.isClean() == (stack.index() == 0)
        assert self.text() == self.texts[stack.index()]

    # --- at the end ------------------------------------------------------------------------

    def check_shapes(self) -> None:
        """The document's checker followed every change: it agrees with a fresh check, down to
        the order of the problems (data-flow order, ties by block id)."""
        report, fresh = self.document.check_now(), check_design(loads_design(self.text()))
        assert dict(report.results) == dict(fresh.results)
        assert report.problems == fresh.problems

    def teardown(self) -> None:
        stack = self.document.undo_stack
        final, index = self.text(), stack.index()
        self.check_shapes()
        while stack.canUndo():
            stack.undo()
            assert self.text() == self.texts[stack.index()]
        assert self.text() == self.original
        assert stack.isClean()
        self.check_shapes()
        while stack.canRedo():
            stack.redo()
        assert stack.index() == stack.count()
        assert self.text() == self.texts[stack.count()]
        stack.setIndex(index)
        assert self.text() == final


class SeedFinalMachine(UndoMachine):
    example = "seed_final"


class ResNetMachine(UndoMachine):
    example = "resnet_small"


@pytest.mark.parametrize("machine", [SeedFinalMachine, ResNetMachine], ids=lambda m: m.example)
def test_undo_all_gives_back_the_file_and_redo_all_the_final_design(
    qapp: QApplication, machine: type[UndoMachine]
) -> None:
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)


def test_kinds_used_are_in_the_catalogue() -> None:
    assert set(KINDS) <= set(CATALOGUE)


# --- merging parameter steps -------------------------------------------------------------


def test_steps_on_one_param_merge_into_one_undo_entry(qapp: QApplication) -> None:
    path = EXAMPLES / "resnet_small.json"
    document = DesignDocument(load_design(path))
    stem = next(key for key, block in document.design.blocks.items() if block.name == "stem")
    stack = document.undo_stack
    old = document.design.block(stem).params["out_channels"]
    assert old == 16
    for value in (17, 18, 19, 20):
        document.edit("Set out_channels", [SetParam(stem, "out_channels", value)])
    assert stack.count() == 1
    assert document.design.block(stem).params["out_channels"] == 20
    stack.undo()
    assert document.design.block(stem).params["out_channels"] == old
    assert dumps_design(document.design) == path.read_text()
    assert stack.isClean()
    stack.redo()
    assert document.design.block(stem).params["out_channels"] == 20


def test_steps_on_other_params_or_blocks_stay_separate(qapp: QApplication) -> None:
    document = DesignDocument(load_design(EXAMPLES / "resnet_small.json"))
    ids = {block.name: key for key, block in document.design.blocks.items() if block.group is None}
    document.edit("a", [SetParam(ids["stem"], "out_channels", 40)])
    document.edit("b", [SetParam(ids["stem"], "kernel_size", 5)])
    document.edit("c", [SetParam(ids["fc"], "out_features", 5)])
    document.edit("d", [SetParam(ids["fc"], "out_features", 6)])  # merges with c
    document.edit("e", [RenameBlock(ids["fc"], "head")])
    document.edit("f", [SetParam(ids["fc"], "out_features", 7)])  # not merged across e
    assert document.undo_stack.count() == 5
    document.undo_stack.undo()
    assert document.design.block(ids["fc"]).params["out_features"] == 6


def test_stepping_back_to_the_old_value_drops_the_entry(qapp: QApplication) -> None:
    path = EXAMPLES / "resnet_small.json"
    document = DesignDocument(load_design(path))
    stem = next(key for key, block in document.design.blocks.items() if block.name == "stem")
    stack = document.undo_stack
    document.edit("other", [MoveBlock(stem, (1.0, 1.0))])
    document.edit("step", [SetParam(stem, "out_channels", 17)])
    document.edit("step back", [SetParam(stem, "out_channels", 16)])
    assert stack.count() == 1  # only the move is left
    assert stack.index() == 1
    stack.undo()
    assert dumps_design(document.design) == path.read_text()
    assert stack.isClean()


def test_a_refused_step_leaves_the_merged_entry_alone(qapp: QApplication) -> None:
    path = EXAMPLES / "resnet_small.json"
    document = DesignDocument(load_design(path))
    stem = next(key for key, block in document.design.blocks.items() if block.name == "stem")
    document.edit("step", [SetParam(stem, "out_channels", 33)])
    with pytest.raises(DesignError):
        document.edit("bad step", [SetParam(stem, "out_channels", 0)])
    assert document.undo_stack.count() == 1
    assert document.design.block(stem).params["out_channels"] == 33
    document.undo_stack.undo()
    assert dumps_design(document.design) == path.read_text()
