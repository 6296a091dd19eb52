"""``Design.add_group``'s ``parent`` with members: honoured when it is theirs, else refused."""

from __future__ import annotations

import pytest

from designer.graph import Design, GroupError, UnknownIdError, dumps_design
from designer.graph.edits import AddGroup


def nested() -> tuple[Design, dict[str, str]]:
    """x -> a -> b -> c -> out, with a and b in group 'outer' (g1)."""
    design = Design()
    ids = {}
    previous = design.add_block("input", name="x", params={"shape": [1, 4]}).id
    for name in ("a", "b", "c"):
        ids[name] = design.add_block("linear", name=name, params={"out_features": 4}).id
        design.connect(previous, ids[name])
        previous = ids[name]
    design.connect(previous, design.add_block("output", name="out").id)
    ids["outer"] = design.add_group("outer", [ids["a"], ids["b"]], group_id="g1").id
    return design, ids


def test_the_members_parent_given_is_honoured() -> None:
    design, ids = nested()
    inner = design.add_group("inner", [ids["a"]], parent=ids["outer"])
    assert inner.parent == ids["outer"]
    assert design.block(ids["a"]).group == inner.id
    top = design.add_group("tail", [ids["c"]], parent=None)
    assert top.parent is None


def test_without_a_parent_the_group_goes_where_its_members_are() -> None:
    design, ids = nested()
    assert design.add_group("inner", [ids["b"]]).parent == ids["outer"]
    assert design.add_group("empty").parent is None


@pytest.mark.parametrize(
    ("members", "parent", "message"),
    [
        (
            ["a"],
            None,
            "parent: the parent given is the top level, but the members sit in group "
            "'outer' (g1); a group takes its members' place",
        ),
        (
            ["c"],
            "g1",
            "parent: the parent given is group 'outer' (g1), but the members sit in the top "
            "level; a group takes its members' place",
        ),
    ],
)
def test_a_parent_that_is_not_the_members_is_refused_naming_both(
    members: list[str], parent: str | None, message: str
) -> None:
    design, ids = nested()
    before = dumps_design(design)
    with pytest.raises(GroupError) as refusal:
        design.add_group("wrong", [ids[name] for name in members], parent=parent)
    assert str(refusal.value) == message
    assert dumps_design(design) == before


def test_an_unknown_parent_is_refused() -> None:
    design, ids = nested()
    with pytest.raises(UnknownIdError, match="no group with id 'g9'"):
        design.add_group("wrong", [ids["c"]], parent="g9")


def test_the_edit_honours_and_refuses_the_same_way() -> None:
    design, ids = nested()
    AddGroup("inner", [ids["a"]], parent=ids["outer"]).apply(design)
    with pytest.raises(GroupError, match="members sit in group 'outer'"):
        AddGroup("wrong", [ids["b"]], parent=None).apply(design)
    edit = AddGroup("fine", [ids["b"]])  # no parent: the members' scope
    edit.apply(design)
    assert edit.group_id is not None
    assert design.group(edit.group_id).parent == ids["outer"]
