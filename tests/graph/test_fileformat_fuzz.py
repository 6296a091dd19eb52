"""Fuzz the design-file loader: every bad file gets a ``DesignFileError`` that says where and what.

``loads_design`` must answer any input with either a design (which then saves and reloads to the
same text) or a ``DesignFileError`` whose ``field`` locates the problem and whose message shows
the offending value. It must never raise anything else, never hang and never execute anything.

The generated files are mutations of the shipped examples (a node replaced, a key deleted or
added, a duplicated id, a dangling or cycle-closing edge, looping or over-deep groups), random
bytes, text and JSON, and hand-picked hostile inputs (deep nesting, huge numbers, NaN, duplicate
keys, invalid UTF-8, newer versions, oversized lists).
"""

from __future__ import annotations

import builtins
import copy
import json
import keyword
import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from designer.graph import (
    CATALOGUE,
    Design,
    DesignFileError,
    block_kind,
    dumps_design,
    fileformat,
    load_design,
    loads_design,
)
from designer.graph.design import MAX_GROUP_DEPTH
from designer.graph.fileformat import FORMAT_NAME, FORMAT_VERSION, MAX_BLOCKS, MAX_EDGES, MAX_GROUPS
from designer.graph.names import NN_MODULE_ATTRIBUTES
from designer.graph.params import ParamType, describe_value
from tests.profiles import examples

Json = Any
"""A JSON value as ``json.loads`` returns it."""
Document = dict[str, Json]
NodePath = tuple[str | int, ...]
"""Where a node sits in a document: keys and list indices from the top."""

EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "resources" / "examples"
EXAMPLE_TEXTS: Final[dict[str, str]] = {
    path.stem: path.read_text(encoding="utf-8") for path in sorted(EXAMPLES_DIR.glob("*.json"))
}
EXAMPLES: Final[dict[str, Document]] = {
    name: json.loads(text) for name, text in EXAMPLE_TEXTS.items()
}
EXAMPLE_NAMES: Final = sorted(EXAMPLES)
EXAMPLES_WITH_GROUPS: Final = sorted(name for name, doc in EXAMPLES.items() if doc["groups"])
EXAMPLES_WITH_TWO_GROUPS: Final = sorted(
    name for name, doc in EXAMPLES.items() if len(doc["groups"]) >= 2
)

TOP_FIELDS: Final = frozenset({"format", "version", "model", "blocks", "edges", "groups"})
MODEL_FIELDS: Final = frozenset({"class_name"})
BLOCK_FIELDS: Final = frozenset({"id", "kind", "name", "params", "position", "group"})
EDGE_FIELDS: Final = frozenset({"source", "source_port", "target", "target_port"})
GROUP_FIELDS: Final = frozenset({"id", "name", "class_name", "parent"})
REQUIRED_FIELDS: Final[dict[str, frozenset[str]]] = {
    "top level": TOP_FIELDS,
    "model": MODEL_FIELDS,
    "blocks": frozenset({"id", "kind", "name"}),
    "edges": frozenset({"source", "target"}),
    "groups": frozenset({"id", "name"}),
}
KNOWN_FIELDS: Final[dict[str, frozenset[str]]] = {
    "top level": TOP_FIELDS,
    "model": MODEL_FIELDS,
    "blocks": BLOCK_FIELDS,
    "edges": EDGE_FIELDS,
    "groups": GROUP_FIELDS,
}

MAX_NUMBER_DIGITS: Final = 24
"""The loader refuses integer literals longer than this while parsing."""
MAX_MESSAGE_LENGTH: Final = 1000
"""An error message is read by a person in a dialog; it must not echo megabytes of input."""
LOAD_TIME_BUDGET_S: Final = 5.0
CHAIN_LENGTH: Final = 20_000
"""Blocks in the timing tests: a fifth of ``MAX_BLOCKS``, loaded in well under a second by a
loader that is linear in the file, but in minutes by one that is quadratic."""

_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_NAME_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
_GROUP_CLASS_PATTERN: Final = re.compile(r"(?=.{1,64}\Z)_?[A-Za-z][A-Za-z0-9_]*\Z")
"""A group's class may keep one private name's leading underscore (``_DenseLayer``)."""
_FIELD_PATTERN: Final = re.compile(
    r"(?P<section>top level|format|version|model|groups|blocks|edges)(?:\[(?P<index>\d+)\])?"
)
_SECTION_ORDER: Final = {
    "top level": 0,
    "format": 0,
    "version": 0,
    "model": 1,
    "groups": 2,
    "blocks": 3,
    "edges": 4,
}
"""The order the loader reads a document in; groups are read parents first, in any order."""

CODE_SMUGGLING_NAMES: Final = (
    "x\nimport os",
    "__import__('os')",
    "__import__('os').system('true')",
    "a; b",
    "a.b",
    "a b",
    "a-b",
    "os.system",
    "lambda: 0",
    "exec('x')",
    "print(1)",
    "x#",
    "${HOME}",
    "{{x}}",
    "\u0000",
    "\ud800",
    "éclair",
    "\uff46\uff4f\uff52\uff57\uff41\uff52\uff44",  # fullwidth 'forward': NFKC makes it forward
    "__init__",
    "__class__",
    "_private",
    "1abc",
    "",
    " ",
    "x" * 65,
    "x" * 5000,
)
KEYWORD_NAMES: Final = ("class", "def", "None", "True", "import", "lambda", "return", "async")
MODULE_ATTRIBUTE_NAMES: Final = ("forward", "training", "to", "eval", "parameters", "state_dict")
HOSTILE_STRINGS: Final = (
    *CODE_SMUGGLING_NAMES,
    *KEYWORD_NAMES,
    *MODULE_ATTRIBUTE_NAMES,
    "b1",
    "g1",
    "in",
    "out",
    "in0",
    "in1",
    "relu",
    "torch-designer",
)
EXTREME_NUMBERS: Final = (
    0,
    -1,
    1,
    2,
    3,
    16,
    4096,
    4097,
    2**24,
    2**24 + 1,
    2**31,
    2**63,
    10**23,
    -(10**23),
    10**30,
    -(10**30),
    0.0,
    -0.0,
    0.5,
    1.0,
    -1.5,
    1e-300,
    5e-324,
    2.0**53,
    1e308,
    -1e308,
)


def has_oversized_number(value: Json) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return len(str(abs(value))) > MAX_NUMBER_DIGITS
    if isinstance(value, list):
        return any(has_oversized_number(item) for item in value)
    if isinstance(value, dict):
        return any(has_oversized_number(item) for item in value.values())
    return False


# --- strategies ----------------------------------------------------------------------------

json_scalars: st.SearchStrategy[Json] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(EXTREME_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_STRINGS),
)
json_values: st.SearchStrategy[Json] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=10), children, max_size=5),
    ),
    max_leaves=12,
)
unknown_keys: st.SearchStrategy[str] = st.text(max_size=30) | st.sampled_from(HOSTILE_STRINGS)
sized_json_values: st.SearchStrategy[Json] = json_values.filter(
    lambda value: not has_oversized_number(value)
)
"""JSON values that parse: no integer literal is too long for the loader's parser."""
example_names: st.SearchStrategy[str] = st.sampled_from(EXAMPLE_NAMES)

FUZZ: Final = settings(
    deadline=None,
    max_examples=examples(200),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_MORE: Final = settings(FUZZ, max_examples=examples(400))
FUZZ_FEWER: Final = settings(FUZZ, max_examples=examples(80))


# --- helpers -------------------------------------------------------------------------------


def text_outcome(text: str | bytes) -> Design | DesignFileError:
    """Load a file's text and return the design or the ``DesignFileError``.

    Any other exception propagates and fails the test: that is a loader bug.
    """
    try:
        return loads_design(text)
    except DesignFileError as error:
        return error


def load_outcome(document: Json) -> Design | DesignFileError:
    return text_outcome(json.dumps(document))


def text_refusal(text: str | bytes) -> DesignFileError:
    """The ``DesignFileError`` loading ``text`` must raise, checked for form."""
    outcome = text_outcome(text)
    assert isinstance(outcome, DesignFileError), "the loader accepted a bad file"
    assert_well_formed(outcome)
    return outcome


def refusal(document: Json) -> DesignFileError:
    return text_refusal(json.dumps(document))


def assert_well_formed(error: DesignFileError) -> None:
    assert error.message.strip(), "an empty error message"
    assert str(error) == (f"{error.field}: {error.message}" if error.field else error.message)
    assert "Traceback" not in error.message


def assert_round_trips(design: Design) -> None:
    text = dumps_design(design)
    assert dumps_design(loads_design(text)) == text


def assert_shows_value(error: DesignFileError, value: Json) -> None:
    """The message quotes ``value`` (``describe_value``'s rendering, maybe cut short)."""
    if value == "" and "must not be empty" in error.message:
        return
    shown = describe_value(value).removesuffix("...")
    assert shown in error.message, f"{shown!r} is not shown in {error.message!r}"


def place(path: NodePath) -> str:
    """``("blocks", 3, "params")`` -> ``blocks[3].params``; the top is ``top level``."""
    if not path:
        return "top level"
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def read_position(section: str, index: int | None) -> tuple[int, int]:
    """Where a place comes in the loader's reading order (groups count as one place)."""
    if section not in {"blocks", "edges"}:
        return (_SECTION_ORDER[section], 0)
    return (_SECTION_ORDER[section], -1 if index is None else index)


def error_position(error: DesignFileError) -> tuple[int, int]:
    match = _FIELD_PATTERN.match(error.field)
    assert match, f"the error names no known field: {error}"
    index = match.group("index")
    return read_position(match.group("section"), None if index is None else int(index))


def mutation_position(path: NodePath) -> tuple[int, int]:
    if not path:
        return (0, 0)
    section = str(path[0])
    if section not in _SECTION_ORDER:
        return (0, 0)
    index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
    return read_position(section, index)


def assert_located_at_or_after(error: DesignFileError, path: NodePath, value: Json) -> None:
    """A valid document broken at ``path`` can't fail at a place the loader read before it."""
    if has_oversized_number(value) and not error.field:
        assert "digits; no value in a design needs that many" in error.message
        return
    assert error_position(error) >= mutation_position(path), (
        f"mutating {place(path)} was reported at {error.field!r}: {error}"
    )


def all_paths(node: Json, prefix: NodePath = ()) -> Iterator[NodePath]:
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from all_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from all_paths(child, (*prefix, index))


def get_at(document: Json, path: NodePath) -> Json:
    node = document
    for part in path:
        node = node[part]
    return node


def replaced(document: Document, path: NodePath, value: Json) -> Json:
    if not path:
        return copy.deepcopy(value)
    result = copy.deepcopy(document)
    get_at(result, path[:-1])[path[-1]] = copy.deepcopy(value)
    return result


def record_places(document: Document) -> list[tuple[NodePath, str]]:
    """Every object the loader checks fields of, with the kind of record it is."""
    places: list[tuple[NodePath, str]] = [((), "top level"), (("model",), "model")]
    for section in ("blocks", "edges", "groups"):
        places += [((section, index), section) for index in range(len(document[section]))]
    return places


def is_acceptable_name(value: Json) -> bool:
    return (
        isinstance(value, str)
        and _NAME_PATTERN.match(value) is not None
        and not keyword.iskeyword(value)
        and value not in NN_MODULE_ATTRIBUTES
    )


def is_acceptable_id(value: Json) -> bool:
    return isinstance(value, str) and _ID_PATTERN.match(value) is not None


def nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def document_text_with(name: str, path: NodePath, raw: str) -> str:
    """The example's JSON text with the value at ``path`` replaced by the raw JSON ``raw``."""
    marker = "__FUZZ_MARKER__"
    return json.dumps(replaced(EXAMPLES[name], path, marker)).replace(f'"{marker}"', raw)


@st.composite
def example_nodes(draw: st.DrawFn) -> tuple[str, NodePath]:
    name = draw(example_names)
    return name, draw(st.sampled_from(list(all_paths(EXAMPLES[name]))))


@st.composite
def example_records(draw: st.DrawFn, sections: tuple[str, ...]) -> tuple[str, NodePath, str]:
    """An example and one of its records from ``sections`` (``top level``, ``blocks``, ...)."""
    candidates = [
        (name, path, kind)
        for name in EXAMPLE_NAMES
        for path, kind in record_places(EXAMPLES[name])
        if kind in sections
    ]
    return draw(st.sampled_from(candidates))


class LoadTookTooLongError(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the code inside after ``seconds`` of wall time (main thread, POSIX only)."""

    def interrupt(signum: int, frame: object) -> None:
        raise LoadTookTooLongError(f"still loading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def chain_document(length: int, *, reverse_edges: bool = False, null_names: bool = False) -> str:
    blocks = [
        {"id": f"b{index}", "kind": "activation", "name": None if null_names else f"act{index}"}
        for index in range(length)
    ]
    edges = [{"source": f"b{index}", "target": f"b{index + 1}"} for index in range(length - 1)]
    if reverse_edges:
        edges.reverse()
    return json.dumps(
        {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "model": {"class_name": "Chain"},
            "blocks": blocks,
            "edges": edges,
            "groups": [],
        }
    )


# --- the examples themselves -----------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_load_and_save_to_the_same_text(name: str) -> None:
    assert dumps_design(loads_design(EXAMPLE_TEXTS[name])) == EXAMPLE_TEXTS[name]


@FUZZ_FEWER
@given(data=st.data(), name=example_names)
def test_the_order_of_blocks_edges_and_groups_in_a_file_does_not_matter(
    data: st.DataObject, name: str
) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    for section in ("blocks", "edges", "groups"):
        document[section] = data.draw(st.permutations(document[section]), label=section)
    outcome = load_outcome(document)
    assert isinstance(outcome, Design), str(outcome)
    assert dumps_design(outcome) == EXAMPLE_TEXTS[name]


# --- mutations of the examples ---------------------------------------------------------------


@FUZZ_MORE
@given(site=example_nodes(), value=json_values)
def test_replacing_any_node_is_refused_where_it_was_made_or_round_trips(
    site: tuple[str, NodePath], value: Json
) -> None:
    name, path = site
    outcome = load_outcome(replaced(EXAMPLES[name], path, value))
    if isinstance(outcome, Design):
        assert_round_trips(outcome)
    else:
        assert_well_formed(outcome)
        assert_located_at_or_after(outcome, path, value)


@FUZZ
@given(site=example_nodes(), data=st.data())
def test_deleting_any_key_is_refused_by_name_or_round_trips(
    site: tuple[str, NodePath], data: st.DataObject
) -> None:
    name, path = site
    document = copy.deepcopy(EXAMPLES[name])
    node = get_at(document, path)
    assume(isinstance(node, dict) and node)
    key = data.draw(st.sampled_from(sorted(node)), label="key")
    del node[key]
    outcome = load_outcome(document)
    record_kind = dict(record_places(EXAMPLES[name])).get(path)
    if record_kind is not None and key in REQUIRED_FIELDS[record_kind]:
        assert isinstance(outcome, DesignFileError), f"{place(path)} without {key!r} loaded"
        assert_well_formed(outcome)
        assert outcome.field == place(path)
        assert outcome.message == f"missing field {key!r}"
    elif isinstance(outcome, Design):
        assert_round_trips(outcome)
    else:
        assert_well_formed(outcome)
        assert_located_at_or_after(outcome, path, None)


@FUZZ
@given(
    record=example_records(("top level", "model", "blocks", "edges", "groups")),
    key=unknown_keys,
    value=sized_json_values,
)
def test_an_unknown_field_is_refused_by_name(
    record: tuple[str, NodePath, str], key: str, value: Json
) -> None:
    name, path, record_kind = record
    assume(key not in KNOWN_FIELDS[record_kind])
    document = copy.deepcopy(EXAMPLES[name])
    get_at(document, path)[key] = value
    error = refusal(document)
    assert error.field == place(path)
    assert error.message.startswith("unknown field ")
    assert_shows_value(error, key)


@FUZZ
@given(record=example_records(("blocks",)), key=unknown_keys, value=sized_json_values)
def test_an_unknown_parameter_is_refused_by_name(
    record: tuple[str, NodePath, str], key: str, value: Json
) -> None:
    name, path, _ = record
    block = get_at(EXAMPLES[name], path)
    assume(key not in {spec.name for spec in block_kind(block["kind"]).params})
    document = copy.deepcopy(EXAMPLES[name])
    get_at(document, path).setdefault("params", {})[key] = value
    error = refusal(document)
    assert error.field.startswith(f"{place(path)}.params.")
    if len(key) <= 50:
        assert error.field == f"{place(path)}.params.{key}"
    assert "no parameter" in error.message
    assert_shows_value(error, key)


@FUZZ
@given(name=example_names, data=st.data())
def test_a_duplicated_block_id_is_refused_at_the_second_use(name: str, data: st.DataObject) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    blocks = document["blocks"]
    first = data.draw(st.integers(0, len(blocks) - 1), label="first")
    if data.draw(st.booleans(), label="append a copy"):
        blocks.append(copy.deepcopy(blocks[first]))
        second = len(blocks) - 1
    else:
        second = data.draw(st.integers(0, len(blocks) - 1).filter(lambda i: i != first))
        blocks[second]["id"] = blocks[first]["id"]
    error = refusal(document)
    assert error.field == f"blocks[{max(first, second)}].id"
    assert f"{blocks[first]['id']!r} is used twice" in error.message


@FUZZ_FEWER
@given(name=st.sampled_from(EXAMPLES_WITH_TWO_GROUPS), data=st.data())
def test_a_duplicated_group_id_is_refused_at_the_second_use(name: str, data: st.DataObject) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    groups = document["groups"]
    first, second = sorted(data.draw(st.permutations(range(len(groups))), label="pair")[:2])
    groups[second]["id"] = groups[first]["id"]
    error = refusal(document)
    assert error.field == f"groups[{second}].id"
    assert f"{groups[first]['id']!r} is used twice" in error.message


@FUZZ
@given(
    record=example_records(("edges",)),
    end=st.sampled_from(["source", "target"]),
    missing=st.from_regex(_ID_PATTERN, fullmatch=True) | st.sampled_from(HOSTILE_STRINGS),
)
def test_an_edge_to_a_missing_block_is_refused_at_that_end(
    record: tuple[str, NodePath, str], end: str, missing: str
) -> None:
    name, path, _ = record
    assume(missing not in {block["id"] for block in EXAMPLES[name]["blocks"]})
    error = refusal(replaced(EXAMPLES[name], (*path, end), missing))
    assert error.field == f"{place(path)}.{end}"
    assert_shows_value(error, missing)


@FUZZ
@given(
    record=example_records(("edges",)),
    port=st.sampled_from(["source_port", "target_port"]),
    value=sized_json_values,
)
def test_an_edge_to_a_missing_port_is_refused_at_that_edge(
    record: tuple[str, NodePath, str], port: str, value: Json
) -> None:
    name, path, _ = record
    edge = get_at(EXAMPLES[name], path)
    design = loads_design(EXAMPLE_TEXTS[name])
    target = design.blocks[edge["target"]]
    existing = (
        {"out"} if port == "source_port" else set(design.kind(target.id).input_ports(target.params))
    )
    assume(not (isinstance(value, str) and value in existing))
    error = refusal(replaced(EXAMPLES[name], (*path, port), value))
    assert error.field in {place(path), f"{place(path)}.{port}"}
    assert_shows_value(error, value)
    if isinstance(value, str):
        direction = "output" if port == "source_port" else "input"
        assert f"no {direction} port" in error.message


@FUZZ
@given(name=example_names, data=st.data())
def test_an_edge_closing_a_cycle_is_refused(name: str, data: st.DataObject) -> None:
    design = loads_design(EXAMPLE_TEXTS[name])
    document = copy.deepcopy(EXAMPLES[name])
    index = data.draw(st.integers(0, len(document["edges"]) - 1), label="edge")
    edge = document["edges"].pop(index)
    downstream = sorted(
        block_id
        for block_id in {edge["target"], *nx.descendants(design.graph, edge["target"])}
        if design.kind(block_id).has_output
    )
    assume(downstream)
    edge["source"] = data.draw(st.sampled_from(downstream), label="new source")
    document["edges"].append(edge)
    error = refusal(document)
    assert error.field == f"edges[{len(document['edges']) - 1}]"
    assert "cycle" in error.message
    assert design.blocks[edge["target"]].name in error.message


@FUZZ_FEWER
@given(name=st.sampled_from(EXAMPLES_WITH_GROUPS), data=st.data())
def test_a_group_inside_itself_is_refused(name: str, data: st.DataObject) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    index = data.draw(st.integers(0, len(document["groups"]) - 1), label="group")
    group = document["groups"][index]
    group["parent"] = group["id"]
    error = refusal(document)
    assert error.field == f"groups[{index}].parent"
    assert "contain each other" in error.message
    assert group["id"] in error.message


@FUZZ
@given(name=example_names, loop_length=st.integers(2, 45), data=st.data())
def test_groups_containing_each_other_are_refused(
    name: str, loop_length: int, data: st.DataObject
) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    loop = [
        {"id": f"loop{index}", "name": f"loop{index}", "parent": f"loop{index - 1}"}
        for index in range(loop_length)
    ]
    loop[0]["parent"] = loop[-1]["id"]
    first = len(document["groups"])
    document["groups"] += data.draw(st.permutations(loop), label="loop order")
    error = refusal(document)
    match = re.fullmatch(r"groups\[(\d+)\]\.parent", error.field)
    assert match, str(error)
    assert int(match.group(1)) >= first
    if loop_length <= MAX_GROUP_DEPTH:
        assert "contain each other" in error.message
    else:
        assert "contain each other" in error.message or str(MAX_GROUP_DEPTH) in error.message


@FUZZ_FEWER
@given(name=example_names, depth=st.integers(MAX_GROUP_DEPTH + 1, 60), data=st.data())
def test_groups_nested_too_deep_are_refused_as_too_deep_not_as_a_loop(
    name: str, depth: int, data: st.DataObject
) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    nest = [
        {
            "id": f"nest{index}",
            "name": f"nest{index}",
            "parent": f"nest{index - 1}" if index else None,
        }
        for index in range(depth)
    ]
    first = len(document["groups"])
    document["groups"] += data.draw(st.permutations(nest), label="nest order")
    error = refusal(document)
    assert error.field.startswith("groups[")
    assert error_position(error) >= (2, 0)
    assert int(error.field[len("groups[") :].split("]")[0]) >= first
    assert "contain each other" not in error.message, f"there is no loop: {error}"
    assert str(MAX_GROUP_DEPTH) in error.message


@FUZZ_FEWER
@given(name=example_names, depth=st.integers(1, MAX_GROUP_DEPTH), data=st.data())
def test_groups_nested_up_to_the_limit_load_in_any_order(
    name: str, depth: int, data: st.DataObject
) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    nest = [
        {
            "id": f"nest{index}",
            "name": f"nest{index}",
            "parent": f"nest{index - 1}" if index else None,
        }
        for index in range(depth)
    ]
    document["groups"] += data.draw(st.permutations(nest), label="nest order")
    outcome = load_outcome(document)
    assert isinstance(outcome, Design), str(outcome)
    assert_round_trips(outcome)


# --- bad values at known fields: the field is named and the value shown ----------------------


bad_ids: st.SearchStrategy[Json] = sized_json_values.filter(
    lambda value: value is not None and not is_acceptable_id(value)
)
hostile_names: st.SearchStrategy[Json] = st.one_of(
    st.sampled_from((*CODE_SMUGGLING_NAMES, *KEYWORD_NAMES, *MODULE_ATTRIBUTE_NAMES)),
    sized_json_values,
)


@FUZZ
@given(record=example_records(("blocks", "groups")), value=bad_ids)
def test_a_malformed_id_is_refused_at_that_id(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, _ = record
    error = refusal(replaced(EXAMPLES[name], (*path, "id"), value))
    assert error.field == f"{place(path)}.id"
    assert_shows_value(error, value)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("resnet_small", ("blocks", 2, "id")),
        ("resnet_small", ("blocks", 2, "name")),
        ("resnet_small", ("blocks", 2, "kind")),
        ("resnet_small", ("groups", 1, "id")),
        ("resnet_small", ("groups", 1, "name")),
        ("resnet_small", ("edges", 2, "source")),
        ("resnet_small", ("edges", 2, "target")),
        ("resnet_small", ("model", "class_name")),
    ],
    ids=lambda value: place(value) if isinstance(value, tuple) else value,
)
def test_null_in_a_required_field_is_refused_at_that_field(name: str, path: NodePath) -> None:
    """The saver always writes these fields; a file with null there was not written by it."""
    error = refusal(replaced(EXAMPLES[name], path, None))
    assert error.field.startswith(place(path[:2]))
    assert "null" in error.message


@FUZZ
@given(
    record=example_records(("blocks", "groups")),
    value=bad_ids,
)
def test_a_malformed_group_reference_is_refused_at_that_reference(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, record_kind = record
    field = "group" if record_kind == "blocks" else "parent"
    error = refusal(replaced(EXAMPLES[name], (*path, field), value))
    assert error.field == f"{place(path)}.{field}"
    assert_shows_value(error, value)


@FUZZ
@given(record=example_records(("blocks", "groups")), value=hostile_names)
def test_a_bad_name_is_refused_at_its_record_showing_the_name(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, _ = record
    assume(value is not None)
    outcome = load_outcome(replaced(EXAMPLES[name], (*path, "name"), value))
    if isinstance(outcome, Design):
        assert is_acceptable_name(value), f"{value!r} was accepted as a name"
        assert_round_trips(outcome)
        return
    assert_well_formed(outcome)
    assert_located_at_or_after(outcome, path, value)
    assert_shows_value(outcome, value)
    assert "name" in outcome.message


@FUZZ
@given(
    record=example_records(("model", "groups")),
    value=st.one_of(
        st.sampled_from((*CODE_SMUGGLING_NAMES, *KEYWORD_NAMES)),
        sized_json_values.filter(lambda value: value is not None),
    ),
)
def test_a_bad_class_name_is_refused_at_its_record_showing_the_name(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, _ = record
    outcome = load_outcome(replaced(EXAMPLES[name], (*path, "class_name"), value))
    pattern = _NAME_PATTERN if path[0] == "model" else _GROUP_CLASS_PATTERN
    if isinstance(outcome, Design):
        assert isinstance(value, str) and pattern.match(value), f"{value!r} accepted"
        assert_round_trips(outcome)
        return
    assert_well_formed(outcome)
    assert outcome.field.startswith(place(path))
    assert_shows_value(outcome, value)


@FUZZ
@given(
    record=example_records(("blocks",)),
    value=sized_json_values.filter(lambda value: not isinstance(value, str))
    | st.sampled_from(
        (*HOSTILE_STRINGS, "Conv2d", "nn.Conv2d", "torch.nn.Linear", "__import__('os')")
    ),
)
def test_an_unknown_block_kind_is_refused_at_the_kind_showing_it(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, _ = record
    assume(not (isinstance(value, str) and value in CATALOGUE))
    error = refusal(replaced(EXAMPLES[name], (*path, "kind"), value))
    assert error.field == f"{place(path)}.kind"
    assert_shows_value(error, value)


@FUZZ
@given(record=example_records(("blocks",)), value=sized_json_values)
def test_a_bad_position_is_refused_at_the_position_showing_it(
    record: tuple[str, NodePath, str], value: Json
) -> None:
    name, path, _ = record
    outcome = load_outcome(replaced(EXAMPLES[name], (*path, "position"), value))
    if isinstance(outcome, Design):
        assert isinstance(value, list) and len(value) == 2, f"position {value!r} accepted"
        assert_round_trips(outcome)
        return
    assert_well_formed(outcome)
    assert outcome.field == f"{place(path)}.position"
    assert_shows_value(outcome, value)


@FUZZ_MORE
@given(record=example_records(("blocks",)), data=st.data(), value=sized_json_values)
def test_a_bad_parameter_is_refused_at_the_parameter_showing_it(
    record: tuple[str, NodePath, str], data: st.DataObject, value: Json
) -> None:
    name, path, _ = record
    kind = block_kind(get_at(EXAMPLES[name], path)["kind"])
    assume(kind.params)
    spec = data.draw(st.sampled_from(kind.params), label="parameter")
    document = copy.deepcopy(EXAMPLES[name])
    get_at(document, path).setdefault("params", {})[spec.name] = value
    outcome = load_outcome(document)
    if isinstance(outcome, Design):
        assert_round_trips(outcome)
        return
    assert_well_formed(outcome)
    if outcome.field.startswith("edges["):
        assert spec.name == "inputs", f"{spec.name} = {value!r} broke an edge: {outcome}"
        return
    assert outcome.field == f"{place(path)}.params.{spec.name}"
    if spec.type is ParamType.INT_LIST and isinstance(value, list) and "item " in outcome.message:
        index = int(outcome.message.split("item ")[1].split(":")[0])
        assert_shows_value(outcome, value[index])
    else:
        assert_shows_value(outcome, value)


# --- whole files of noise ----------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused(data: bytes) -> None:
    text_refusal(data)


@FUZZ
@given(text=st.text(max_size=2000))
def test_random_text_is_refused(text: str) -> None:
    text_refusal(text)


@FUZZ
@given(value=json_values)
def test_a_random_json_value_is_refused(value: Json) -> None:
    refusal(value)


record_values: st.SearchStrategy[Json] = st.one_of(
    json_values,
    st.sampled_from(
        ("b1", "b2", "g1", "in", "out", "in0", "relu", "conv_block", "activation", "add")
    ),
)


def records_of(fields: frozenset[str]) -> st.SearchStrategy[dict[str, Json]]:
    return st.dictionaries(st.sampled_from(sorted(fields)), record_values, max_size=len(fields))


@FUZZ_MORE
@given(
    blocks=st.lists(records_of(BLOCK_FIELDS), max_size=4),
    edges=st.lists(records_of(EDGE_FIELDS), max_size=3),
    groups=st.lists(records_of(GROUP_FIELDS), max_size=3),
)
def test_random_records_in_a_design_skeleton_are_refused_by_place_or_round_trip(
    blocks: list[Json], edges: list[Json], groups: list[Json]
) -> None:
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "model": {"class_name": "Fuzzed"},
        "blocks": blocks,
        "edges": edges,
        "groups": groups,
    }
    outcome = load_outcome(document)
    if isinstance(outcome, Design):
        assert_round_trips(outcome)
        return
    assert_well_formed(outcome)
    if has_oversized_number(document):
        return
    assert error_position(outcome) >= (2, 0), str(outcome)


# --- hostile inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        nested_list(100_000),
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '[{"a":' * 50_000 + "1" + "}]" * 50_000,
        "[" * 100_000,
    ],
    ids=["lists", "objects", "mixed", "unclosed"],
)
def test_very_deep_nesting_is_refused(text: str) -> None:
    error = text_refusal(text)
    assert error.field == ""
    assert "nested too deeply" in error.message or "not valid JSON" in error.message


NESTED_VALUE_SITES: Final[list[tuple[NodePath, str]]] = [
    (("format",), "format"),
    (("version",), "version"),
    (("model", "class_name"), "model"),
    (("blocks", 1, "id"), "blocks[1]"),
    (("blocks", 1, "kind"), "blocks[1]"),
    (("blocks", 1, "name"), "blocks[1]"),
    (("blocks", 1, "params", "kernel_size"), "blocks[1]"),
    (("blocks", 0, "params", "shape"), "blocks[0]"),
    (("blocks", 1, "position"), "blocks[1]"),
    (("blocks", 2, "group"), "blocks[2]"),
    (("edges", 0, "source"), "edges[0]"),
    (("edges", 0, "target_port"), "edges[0]"),
    (("groups", 0, "name"), "groups[0]"),
    (("groups", 0, "parent"), "groups[0]"),
]


@pytest.mark.parametrize("depth", [50, 200, 400, 800])
@pytest.mark.parametrize(
    ("path", "expected_place"),
    [pytest.param(path, expected, id=place(path)) for path, expected in NESTED_VALUE_SITES],
)
def test_deeply_nested_values_at_any_field_are_refused(
    path: NodePath, expected_place: str, depth: int
) -> None:
    """Nesting shallow enough to parse must still be described without running out of stack."""
    for wrapped in (nested_list(depth), '{"a":' * depth + "1" + "}" * depth):
        error = text_refusal(document_text_with("resnet_small", path, wrapped))
        if error.field:
            assert error.field.startswith(expected_place), str(error)
        else:
            assert "nested too deeply" in error.message


@pytest.mark.parametrize(
    "number",
    [
        "1" * 5000,
        "-" + "9" * 5000,
        "0." + "1" * 5000,
        "1" * 5000 + ".0",
        "1e" + "1" * 5000,
        "1" * (MAX_NUMBER_DIGITS + 1),
    ],
    ids=["int", "negative", "fraction", "float", "exponent", "just-over"],
)
@pytest.mark.parametrize(
    "path",
    [(), ("version",), ("blocks", 1, "params", "kernel_size"), ("blocks", 1, "position", 0)],
    ids=place,
)
def test_absurdly_long_numbers_are_refused_without_echoing_them(
    number: str, path: NodePath
) -> None:
    text = number if not path else document_text_with("resnet_small", path, number)
    error = text_refusal(text)
    assert "has more than" in error.message or "out of range" in error.message
    assert len(error.message) < 200


def test_a_long_but_allowed_integer_is_judged_as_a_value() -> None:
    number = "9" * MAX_NUMBER_DIGITS
    error = text_refusal(
        document_text_with("resnet_small", ("blocks", 1, "params", "kernel_size"), number)
    )
    assert error.field == "blocks[1].params.kernel_size"
    assert number in error.message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    "path",
    [(), ("version",), ("blocks", 4, "params", "eps"), ("blocks", 1, "position", 0)],
    ids=place,
)
def test_nan_and_infinity_literals_are_refused(literal: str, path: NodePath) -> None:
    text = literal if not path else document_text_with("resnet_small", path, literal)
    error = text_refusal(text)
    assert literal in error.message


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1e99999"])
@pytest.mark.parametrize(
    ("path", "expected_field"),
    [
        (("blocks", 4, "params", "eps"), "blocks[4].params.eps"),
        (("blocks", 1, "position", 0), "blocks[1].position"),
        (("version",), "version"),
    ],
)
def test_float_literals_that_overflow_are_refused(
    literal: str, path: NodePath, expected_field: str
) -> None:
    error = text_refusal(document_text_with("resnet_small", path, literal))
    assert error.field in {expected_field, ""}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"format": "torch-designer", "format": "torch-designer"}', "format"),
        ('{"a": {"b": 1, "b": 1}}', "b"),
        ('[{"": 1, "": 2}]', ""),
    ],
)
def test_duplicate_keys_are_refused(text: str, key: str) -> None:
    error = text_refusal(text)
    assert f"{key!r} appears twice" in error.message


def test_duplicate_keys_inside_a_valid_design_are_refused() -> None:
    text = EXAMPLE_TEXTS["resnet_small"].replace(
        '"kernel_size": 3,', '"kernel_size": 3, "kernel_size": 5,', 1
    )
    error = text_refusal(text)
    assert "'kernel_size' appears twice" in error.message


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"\xff", 0),
        (b'{"a": "\xff"}', 7),
        (b"\xc3\x28", 0),
        (b'{"format": "torch-designer\xed\xa0\x80"}', 26),
        (b"\xef\xbb", 0),
        (b'"\xf0\x9f\x98"', 1),
    ],
)
def test_invalid_utf8_is_refused_with_its_offset(data: bytes, offset: int) -> None:
    error = text_refusal(data)
    assert error.message == f"not UTF-8 text (byte {offset})"


def test_invalid_utf8_inside_a_valid_design_is_refused_with_its_offset() -> None:
    data = EXAMPLE_TEXTS["resnet_small"].encode()
    offset = data.index(b'"stem"') + 1
    error = text_refusal(data[:offset] + b"\x80" + data[offset:])
    assert error.message == f"not UTF-8 text (byte {offset})"


def test_a_utf8_byte_order_mark_is_refused() -> None:
    text_refusal(b"\xef\xbb\xbf" + EXAMPLE_TEXTS["resnet_small"].encode())


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 99, 10**20])
def test_a_newer_version_says_it_was_saved_by_a_newer_designer(version: int) -> None:
    error = refusal(replaced(EXAMPLES["resnet_small"], ("version",), version))
    assert error.field == "version"
    assert "newer" in error.message
    assert str(version) in error.message


@pytest.mark.parametrize("version", [0, -1, 1.0, 1.5, "1", True, None, [1], {"major": 1}, 10**30])
def test_a_malformed_version_is_refused(version: Json) -> None:
    error = refusal(replaced(EXAMPLES["resnet_small"], ("version",), version))
    if has_oversized_number(version):
        assert "has more than" in error.message
        return
    assert error.field == "version"
    assert "positive integer" in error.message
    assert_shows_value(error, version)


@pytest.mark.parametrize(
    "format_name",
    ["torch-designer2", "", "Torch-Designer", " torch-designer", "keras", None, 1, [FORMAT_NAME]],
)
def test_a_wrong_format_is_refused_as_not_a_design(format_name: Json) -> None:
    error = refusal(replaced(EXAMPLES["resnet_small"], ("format",), format_name))
    assert error.field == "format"
    assert "not a Torch Designer design" in error.message
    assert_shows_value(error, format_name)


@pytest.mark.parametrize("value", [[], "design", 1, None, True, [EXAMPLES["lenet5"]]])
def test_a_top_level_that_is_not_an_object_is_refused(value: Json) -> None:
    error = refusal(value)
    assert error.field == "top level"
    assert "expected an object" in error.message


def test_another_kind_of_json_file_is_refused_as_not_a_design() -> None:
    error = refusal({"name": "torch-designer", "version": "0.1.0", "dependencies": {}})
    assert error.field == "top level"


@pytest.mark.parametrize(
    ("section", "limit"), [("blocks", MAX_BLOCKS), ("edges", MAX_EDGES), ("groups", MAX_GROUPS)]
)
def test_a_list_longer_than_its_limit_is_refused_before_its_entries_are_read(
    section: str, limit: int
) -> None:
    over = replaced(EXAMPLES["resnet_small"], (section,), [0] * (limit + 1))
    error = refusal(over)
    assert error.field == section
    assert f"{limit + 1:,} entries" in error.message
    assert f"at most {limit:,}" in error.message
    at_limit = refusal(replaced(EXAMPLES["resnet_small"], (section,), [0] * limit))
    assert at_limit.field == f"{section}[0]"


@pytest.mark.parametrize(
    ("section", "constant"),
    [("blocks", "MAX_BLOCKS"), ("edges", "MAX_EDGES"), ("groups", "MAX_GROUPS")],
)
def test_the_list_limits_are_checked_against_real_entries(
    monkeypatch: pytest.MonkeyPatch, section: str, constant: str
) -> None:
    document = EXAMPLES["resnet_small"]
    count = len(document[section])
    monkeypatch.setattr(fileformat, constant, count - 1)
    error = refusal(document)
    assert error.field == section
    assert f"{count:,} entries" in error.message
    monkeypatch.setattr(fileformat, constant, count)
    assert isinstance(load_outcome(document), Design)


def test_text_longer_than_the_file_limit_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    limit = 1000
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", limit)
    for text in ("x" * (limit + 1), b"x" * (limit + 1)):
        error = text_refusal(text)
        assert f"{limit:,}" in error.message
        assert "JSON" not in error.message
    assert "JSON" in text_refusal("x" * limit).message
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (limit + 1))
    with pytest.raises(DesignFileError, match=f"{limit + 1:,} bytes"):
        load_design(path)


def test_a_missing_file_is_a_design_file_error(tmp_path: Path) -> None:
    with pytest.raises(DesignFileError, match="cannot read"):
        load_design(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("text", "expected_field"),
    [
        (json.dumps({"x" * 5000: 1}), "top level"),
        ('{"' + "k" * 5000 + '": 1, "' + "k" * 5000 + '": 2}', ""),
        (
            json.dumps(replaced(EXAMPLES["resnet_small"], ("edges", 0, "target_port"), "p" * 5000)),
            "edges[0]",
        ),
        (
            json.dumps(replaced(EXAMPLES["resnet_small"], ("edges", 0, "source_port"), "p" * 5000)),
            "edges[0]",
        ),
        (
            json.dumps(
                replaced(EXAMPLES["resnet_small"], ("blocks", 1, "params"), {"z" * 5000: 1})
            ),
            "blocks[1].params",
        ),
        (
            json.dumps(replaced(EXAMPLES["resnet_small"], ("blocks", 1, "kind"), "k" * 5000)),
            "blocks[1].kind",
        ),
        (
            json.dumps(replaced(EXAMPLES["resnet_small"], ("blocks", 1, "name"), "n" * 5000)),
            "blocks[1]",
        ),
    ],
    ids=[
        "unknown-key",
        "duplicate-key",
        "target-port",
        "source-port",
        "param-name",
        "kind",
        "name",
    ],
)
def test_long_input_is_cut_short_in_messages(text: str, expected_field: str) -> None:
    error = text_refusal(text)
    assert error.field.startswith(expected_field)
    assert len(str(error)) <= MAX_MESSAGE_LENGTH, f"a {len(str(error)):,}-character message"


# --- nothing is executed -----------------------------------------------------------------------


@contextmanager
def nothing_may_run() -> Iterator[list[str]]:
    """Make eval, exec, compile, os.system and subprocess.Popen record and refuse any call."""
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., object]:
        def refused(*args: object, **kwargs: object) -> object:
            calls.append(name)
            raise AssertionError(f"the loader called {name}")

        return refused

    patched = [
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (os, "system"),
        (subprocess, "Popen"),
    ]
    saved = [(owner, attribute, getattr(owner, attribute)) for owner, attribute in patched]
    for owner, attribute in patched:
        setattr(owner, attribute, refuse(attribute))
    try:
        yield calls
    finally:
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


@pytest.mark.parametrize(
    "payload", [*CODE_SMUGGLING_NAMES, *KEYWORD_NAMES, *MODULE_ATTRIBUTE_NAMES]
)
@pytest.mark.parametrize(
    "path",
    [
        ("model", "class_name"),
        ("blocks", 1, "name"),
        ("blocks", 1, "kind"),
        ("blocks", 1, "params", "activation"),
        ("groups", 0, "name"),
        ("groups", 0, "class_name"),
        ("edges", 0, "target_port"),
    ],
    ids=place,
)
def test_code_in_a_name_is_refused_and_never_run(payload: str, path: NodePath) -> None:
    document = replaced(EXAMPLES["resnet_small"], path, payload)
    with nothing_may_run() as calls:
        outcome = load_outcome(document)
    assert calls == []
    if path[-1] == "class_name" and payload in MODULE_ATTRIBUTE_NAMES:
        assert isinstance(outcome, Design), "a class may be called like a module attribute"
        assert_round_trips(outcome)
        return
    if path[:1] == ("groups",) and path[-1] == "class_name" and payload == "_private":
        assert isinstance(outcome, Design), "a group's class keeps a private class's underscore"
        assert_round_trips(outcome)
        return
    assert isinstance(outcome, DesignFileError), f"{payload!r} accepted at {place(path)}"
    assert_well_formed(outcome)
    assert outcome.field.startswith(place(path[:2]))
    assert_shows_value(outcome, payload)


# --- nothing hangs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reverse_edges", "null_names"),
    [(False, False), (True, False), (False, True)],
    ids=["edges-in-order", "edges-reversed", "names-null"],
)
def test_a_long_chain_loads_or_is_refused_quickly(reverse_edges: bool, null_names: bool) -> None:
    """A hostile but small file (~2 MB) must not take minutes: the loader must stay near-linear."""
    text = chain_document(CHAIN_LENGTH, reverse_edges=reverse_edges, null_names=null_names)
    try:
        with time_limit(LOAD_TIME_BUDGET_S):
            outcome = text_outcome(text)
    except LoadTookTooLongError:
        pytest.fail(
            f"loading a {CHAIN_LENGTH:,}-block chain (reverse_edges={reverse_edges}, "
            f"null_names={null_names}) took over {LOAD_TIME_BUDGET_S} s"
        )
    if isinstance(outcome, DesignFileError):
        assert_well_formed(outcome)
        assert null_names, str(outcome)
    else:
        assert len(outcome.blocks) == CHAIN_LENGTH
