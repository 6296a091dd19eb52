"""Design files: versioned JSON of literal values, sorted and indented for clean diffs.

Loading never executes anything. It parses strictly (no NaN, no duplicate keys, no absurd
numbers), checks every field's type, and builds the design through the same edit methods the
app uses, so a file can't hold anything an edit would refuse. Each error names the field and
the value (``blocks[3].params.kernel_size: expected a positive integer, got -1``). Saving is
atomic: a crash mid-save leaves the old file whole.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from designer.graph.design import MAX_GROUP_DEPTH, Design, check_id
from designer.graph.errors import DesignError, DesignFileError
from designer.graph.file_access import read_design_bytes
from designer.graph.model import OUTPUT_PORT, Block, Edge, Group
from designer.graph.params import describe_value

FORMAT_NAME: Final = "torch-designer"
FORMAT_VERSION: Final = 2
"""Version 2 added named ports (an LSTM's ``h_n``, attention's ``key``): a version-1 reader
would refuse them with a less helpful word than "saved by a newer Torch Designer"."""
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
MAX_BLOCKS: Final = 100_000
MAX_EDGES: Final = 400_000
MAX_GROUPS: Final = 10_000
_MAX_NUMBER_DIGITS: Final = 24

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _from_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 knew only ``out`` and ``in``/``inN`` ports, which version 2 reads as they are."""
    return document


MIGRATIONS: dict[int, Migration] = {1: _from_version_1}
"""``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n + 1`` one."""

_BLOCK_FIELDS = {"id", "kind", "name", "params", "position", "group"}
_EDGE_FIELDS = {"source", "source_port", "target", "target_port"}
_GROUP_FIELDS = {"id", "name", "class_name", "parent", "sequential"}
_TOP_FIELDS = {"format", "version", "model", "blocks", "edges", "groups"}


# --- writing -------------------------------------------------------------------------------


def natural_key(identifier: str) -> tuple[object, ...]:
    """Sort ``b2`` before ``b10``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", identifier))


def design_to_dict(design: Design) -> dict[str, Any]:
    blocks = sorted(design.blocks.values(), key=lambda block: natural_key(block.id))
    groups = sorted(design.groups.values(), key=lambda group: natural_key(group.id))
    edges = sorted(
        design.edges(),
        key=lambda edge: (natural_key(edge.target), edge.target_port, natural_key(edge.source)),
    )
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "model": {"class_name": design.class_name},
        "blocks": [_block_to_dict(block) for block in blocks],
        "edges": [_edge_to_dict(edge) for edge in edges],
        "groups": [_group_to_dict(group) for group in groups],
    }


def model_content(design: Design) -> str:
    """The design as compact JSON without block positions: what the model is, not where its
    blocks sit on the canvas. Two designs with the same content compile to the same code."""
    content = design_to_dict(design)
    for block in content["blocks"]:
        del block["position"]
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def dumps_design(design: Design) -> str:
    return json.dumps(design_to_dict(design), indent=2, sort_keys=True, allow_nan=False) + "\n"


def save_design(design: Design, path: str | os.PathLike[str]) -> None:
    """Write ``design`` to ``path`` atomically: the old file stays whole until the new is."""
    write_atomically(Path(path), dumps_design(design).encode())


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all, keeping an existing file's permissions."""
    mode = _mode_for(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)  # mkstemp makes 0600 files
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _block_to_dict(block: Block) -> dict[str, Any]:
    return {
        "id": block.id,
        "kind": block.kind,
        "name": block.name,
        "params": {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in block.params.items()
        },
        "position": list(block.position),
        "group": block.group,
    }


def _edge_to_dict(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source,
        "source_port": edge.source_port,
        "target": edge.target,
        "target_port": edge.target_port,
    }


def _group_to_dict(group: Group) -> dict[str, Any]:
    record = {
        "id": group.id,
        "name": group.name,
        "class_name": group.class_name,
        "parent": group.parent,
    }
    if group.sequential is not None:  # files of designs drawn by hand stay as they were
        record["sequential"] = group.sequential
    return record


# --- reading -------------------------------------------------------------------------------


def load_design(path: str | os.PathLike[str]) -> Design:
    """Read a design file; ``DesignFileError`` says what is wrong and where (its subclass
    ``FileAccessError`` when the file can't be read at all, naming the file)."""
    return loads_design(read_design_bytes(path, MAX_FILE_BYTES))


def loads_design(text: str | bytes) -> Design:
    """Build a design from the text of a design file."""
    if len(text) > MAX_FILE_BYTES:
        raise DesignFileError(f"the text is longer than {MAX_FILE_BYTES:,} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DesignFileError(f"not UTF-8 text (byte {error.start})") from None
    try:
        document = strict_json(text)
    except RecursionError:
        raise DesignFileError("not a design file: the JSON is nested too deeply") from None
    except LiteralValueError as error:
        raise DesignFileError(str(error)) from None
    except json.JSONDecodeError as error:
        raise DesignFileError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return design_from_dict(document)


def design_from_dict(document: object) -> Design:
    document = _migrate(_object(document, "top level", _TOP_FIELDS))
    model = _object(document["model"], "model", {"class_name"})
    try:
        design = Design(model["class_name"])
    except DesignError as error:
        raise _located(error, "model.class_name") from None
    groups = _list(document, "groups", MAX_GROUPS)
    blocks = _list(document, "blocks", MAX_BLOCKS)
    edges = _list(document, "edges", MAX_EDGES)
    _load_groups(design, groups)
    _load_blocks(design, blocks)
    _load_edges(design, edges)
    return design


class LiteralValueError(ValueError):
    """A JSON value no design may hold: NaN, a huge number, a key given twice."""


def strict_json(text: str | bytes) -> Any:
    """Parse JSON as design files are parsed: ``LiteralValueError`` for what no design may
    hold, ``json.JSONDecodeError`` for text that isn't JSON."""
    return json.loads(
        text,
        parse_constant=_refuse_constant,
        parse_int=_parse_int,
        parse_float=_parse_float,
        object_pairs_hook=_unique_keys,
    )


def _refuse_constant(name: str) -> float:
    raise LiteralValueError(f"{name} is not a number a design may hold")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_NUMBER_DIGITS:
        raise LiteralValueError(
            f"the number {text[:30]}... has more than {_MAX_NUMBER_DIGITS} digits; "
            "no value in a design needs that many"
        )
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text) if len(text) <= 64 else math.inf
    if not math.isfinite(number):
        raise LiteralValueError(f"the number {text[:30]} is out of range for a design")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise LiteralValueError(f"the key {describe_value(key)} appears twice in one object")
        result[key] = value
    return result


def _located(error: DesignError, place: str) -> DesignFileError:
    return DesignFileError(error.message, f"{place}.{error.field}" if error.field else place)


def _migrate(document: dict[str, Any]) -> dict[str, Any]:
    if document["format"] != FORMAT_NAME:
        raise DesignFileError(
            f"expected {FORMAT_NAME!r}, got {describe_value(document['format'])}: "
            "this is not a Torch Designer design",
            "format",
        )
    version = document["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DesignFileError(
            f"expected a positive integer, got {describe_value(version)}", "version"
        )
    if version > FORMAT_VERSION:
        raise DesignFileError(
            f"this design was saved by a newer Torch Designer (format version {version}); "
            f"this one reads up to version {FORMAT_VERSION}: please upgrade",
            "version",
        )
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise DesignFileError(f"format version {version} is no longer supported", "version")
        document = MIGRATIONS[version](document)
        version += 1
        document["version"] = version
    return document


def _object(
    value: object, place: str, fields: set[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DesignFileError(f"expected an object, got {describe_value(value)}", place)
    unknown = sorted(set(value) - fields)
    if unknown:
        raise DesignFileError(
            f"unknown field {describe_value(unknown[0])} "
            f"(known fields: {', '.join(sorted(fields))})",
            place,
        )
    missing = sorted(fields - optional - set(value))
    if missing:
        raise DesignFileError(f"missing field {missing[0]!r}", place)
    return value


def _list(document: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = document[key]
    if not isinstance(value, list):
        raise DesignFileError(f"expected a list, got {describe_value(value)}", key)
    if len(value) > limit:
        raise DesignFileError(f"{len(value):,} entries; a design holds at most {limit:,}", key)
    return value


def _optional_id(value: object, place: str, what: str) -> str | None:
    return None if value is None else _required_id(value, place, what)


def _required_id(value: object, place: str, what: str) -> str:
    try:
        return check_id(value, what)
    except DesignError as error:
        raise _located(error, place) from None


def _name(record: Mapping[str, Any], place: str) -> str:
    """A record's name: required here, though the edit methods make one up when given None."""
    name = record["name"]
    if not isinstance(name, str):
        raise DesignFileError(f"expected a name, got {describe_value(name)}", f"{place}.name")
    return name


def _load_groups(design: Design, groups: list[Any]) -> None:
    """Add groups parents first, so each group's parent exists when it is added."""
    records: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, value in enumerate(groups):
        place = f"groups[{index}]"
        optional = frozenset({"class_name", "parent", "sequential"})
        record = _object(value, place, _GROUP_FIELDS, optional)
        group_id = _required_id(record["id"], f"{place}.id", "group id")
        if group_id in records:
            raise DesignFileError(f"the group id {group_id!r} is used twice", f"{place}.id")
        records[group_id] = (index, record)
    added: set[str] = set()

    def add(group_id: str, chain: tuple[str, ...]) -> None:
        index, record = records[group_id]
        place = f"groups[{index}]"
        parent = _optional_id(record.get("parent"), f"{place}.parent", "parent id")
        if parent is not None and parent not in added:
            if parent not in records:
                raise DesignFileError(f"no group with id {parent!r}", f"{place}.parent")
            if parent in chain:
                raise DesignFileError(
                    f"groups {' -> '.join((*chain, parent))} contain each other", f"{place}.parent"
                )
            if len(chain) >= MAX_GROUP_DEPTH:
                raise DesignFileError(
                    f"groups nest at most {MAX_GROUP_DEPTH} deep", f"{place}.parent"
                )
            add(parent, (*chain, parent))
        try:
            design.add_group(
                _name(record, place),
                class_name=record.get("class_name"),
                parent=parent,
                group_id=group_id,
                sequential=record.get("sequential"),
            )
        except DesignError as error:
            raise _located(error, place) from None
        added.add(group_id)

    for group_id in records:
        if group_id not in added:
            add(group_id, (group_id,))


def _load_blocks(design: Design, blocks: list[Any]) -> None:
    for index, value in enumerate(blocks):
        place = f"blocks[{index}]"
        record = _object(value, place, _BLOCK_FIELDS, frozenset({"params", "position", "group"}))
        params = record.get("params", {})
        if not isinstance(params, dict):
            raise DesignFileError(
                f"expected an object, got {describe_value(params)}", f"{place}.params"
            )
        block_id = _required_id(record["id"], f"{place}.id", "block id")
        group = _optional_id(record.get("group"), f"{place}.group", "group id")
        if block_id in design.blocks:
            raise DesignFileError(f"the block id {block_id!r} is used twice", f"{place}.id")
        if group is not None and group not in design.groups:
            raise DesignFileError(f"no group with id {group!r}", f"{place}.group")
        try:
            design.add_block(
                record["kind"],
                name=_name(record, place),
                params=params,
                position=record.get("position", (0.0, 0.0)),
                group=group,
                block_id=block_id,
            )
        except DesignError as error:
            raise _located(error, place) from None


def _load_edges(design: Design, edges: list[Any]) -> None:
    """Connect every edge, then look for a cycle once (a search per edge is quadratic)."""
    index_of: dict[Edge, int] = {}
    for index, value in enumerate(edges):
        place = f"edges[{index}]"
        record = _object(value, place, _EDGE_FIELDS, frozenset({"source_port", "target_port"}))
        ends = {}
        for end in ("source", "target"):
            block_id = _required_id(record[end], f"{place}.{end}", "block id")
            if block_id not in design.blocks:
                raise DesignFileError(f"no block with id {block_id!r}", f"{place}.{end}")
            ends[end] = block_id
        ports = {}
        for port, default in (("source_port", OUTPUT_PORT), ("target_port", "in")):
            name = record.get(port, default)
            if not isinstance(name, str):
                raise DesignFileError(
                    f"expected a port name, got {describe_value(name)}", f"{place}.{port}"
                )
            ports[port] = name
        try:
            edge = design.connect(
                ends["source"],
                ends["target"],
                ports["target_port"],
                ports["source_port"],
                check_cycle=False,
            )
        except DesignError as error:
            raise _located(error, place) from None
        index_of[edge] = index
    cycle = design.find_cycle()
    if cycle is not None:
        closing = max(cycle, key=index_of.__getitem__)
        start = cycle.index(closing)
        loop = cycle[start + 1 :] + cycle[: start + 1]
        names = [design.blocks[edge.source].name for edge in loop] + [
            design.blocks[closing.target].name
        ]
        raise DesignFileError(
            f"connecting would make a cycle: {' -> '.join(names)}",
            f"edges[{index_of[closing]}]",
        )
