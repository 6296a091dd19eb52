"""Declared parameters of block kinds: their type, default, range and one-line help.

A parameter value is always a JSON literal: int, float, bool, str, a tuple of ints, None (an
in-size left to inference), or keyword arguments for a ``torch.nn`` class: a tuple of
(name, value) pairs sorted by name, each value one of the others. Validation turns anything
else into a ``BadParameterError`` whose message says what was expected and what was given.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from designer.graph.errors import BadParameterError

KeywordValue = int | float | bool | str | tuple[int, ...] | None
Keywords = tuple[tuple[str, KeywordValue], ...]
"""Keyword arguments in canonical form: (name, value) pairs sorted by name."""
ParamValue = int | float | bool | str | tuple[int, ...] | Keywords | None

MAX_DIM = 2**24
"""Largest channel count, feature count or input dimension a design may declare."""
MAX_KERNEL = 2**12
MAX_LIST_ITEMS = 256
MAX_KEYWORDS = 32
MAX_TEXT = 256
"""Longest class name, keyword name or string value a design may hold."""
CONTAINERS = frozenset(
    {"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container"}
)
NOT_LAYERS = CONTAINERS | {"Module", "DataParallel"}
"""``torch.nn`` classes that are no layer: the base class, containers (a design builds those
from blocks and groups) and a wrapper that queries devices as it is built."""
RUNTIME_KEYWORDS = frozenset({"device", "dtype"})
"""Chosen by the runtime for the whole model, never by one layer's keywords."""


class ParamType(Enum):
    INT = "int"
    OPTIONAL_INT = "optional int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    INT_LIST = "int list"
    CLASS_NAME = "class name"
    KEYWORDS = "keywords"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a block kind."""

    name: str
    type: ParamType
    default: ParamValue
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    min_items: int = 1
    max_items: int = MAX_LIST_ITEMS
    pins_in_size: bool = False
    """True for an in-size (in_channels, in_features) that is inferred unless pinned."""

    def validate(self, value: object) -> ParamValue:
        """The value in its canonical form, or ``BadParameterError`` naming what is wrong."""
        try:
            return _VALIDATORS[self.type](self, value)
        except BadParameterError as error:
            raise BadParameterError(error.message, f"params.{self.name}") from None


def describe_value(value: object, limit: int = 60) -> str:
    """A short JSON-like rendering of a value for error messages, however big or deep it is."""
    text = _describe(value, nested=False, limit=limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: object, *, nested: bool, limit: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[: limit + 1])
    if isinstance(value, int):
        return str(value) if value.bit_length() < 256 else f"a {value.bit_length()}-bit integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        if nested:
            return "[...]" if value else "[]"
        items = [_describe(item, nested=True, limit=limit) for item in value[:8]]
        return "[" + ", ".join(items) + (", ...]" if len(value) > 8 else "]")
    if isinstance(value, dict):
        if nested:
            return "{...}" if value else "{}"
        pairs = [
            _describe(key, nested=True, limit=limit)
            + ": "
            + _describe(item, nested=True, limit=limit)
            for key, item in list(value.items())[:4]
        ]
        return "{" + ", ".join(pairs) + (", ...}" if len(value) > 4 else "}")
    return f"a {type(value).__name__}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_range_text(spec: ParamSpec) -> str:
    low, high = spec.minimum, spec.maximum
    if low == 1 and (high is None or high >= MAX_DIM):
        return "a positive integer"
    if low == 0 and (high is None or high >= MAX_DIM):
        return "a non-negative integer"
    if high is None:
        return f"an integer of at least {low:g}" if low is not None else "an integer"
    if low is None:
        return f"an integer no larger than {high:g}"
    return f"an integer from {low:g} to {high:g}"


def _check_int(spec: ParamSpec, value: object, what: str | None = None) -> int:
    expected = what or _int_range_text(spec)
    if not _is_int(value):
        raise BadParameterError(f"expected {expected}, got {describe_value(value)}")
    assert isinstance(value, int)
    if (spec.minimum is not None and value < spec.minimum) or (
        spec.maximum is not None and value > spec.maximum
    ):
        raise BadParameterError(f"expected {expected}, got {describe_value(value)}")
    return value


def _validate_int(spec: ParamSpec, value: object) -> int:
    return _check_int(spec, value)


def _validate_optional_int(spec: ParamSpec, value: object) -> int | None:
    if value is None:
        return None
    return _check_int(spec, value, f"null (inferred) or {_int_range_text(spec)}")


def _validate_float(spec: ParamSpec, value: object) -> float:
    if not (_is_int(value) or isinstance(value, float)):
        raise BadParameterError(f"expected a number, got {describe_value(value)}")
    assert isinstance(value, int | float)
    number = float(value)
    if not math.isfinite(number):
        raise BadParameterError(f"expected a finite number, got {describe_value(value)}")
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadParameterError(
            f"expected a number from {low:g} to {high:g}, got {describe_value(value)}"
            if low is not None and high is not None
            else f"expected a number in range, got {describe_value(value)}"
        )
    return number


def _validate_bool(spec: ParamSpec, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadParameterError(f"expected true or false, got {describe_value(value)}")
    return value


def _validate_choice(spec: ParamSpec, value: object) -> str:
    if not isinstance(value, str) or value not in spec.choices:
        options = ", ".join(repr(choice) for choice in spec.choices)
        raise BadParameterError(f"expected one of {options}; got {describe_value(value)}")
    return value


def _validate_int_list(spec: ParamSpec, value: object) -> tuple[int, ...]:
    items_text = _int_range_text(spec).removeprefix("a ").removeprefix("an ")
    expected = f"a list of {spec.min_items} to {spec.max_items} items, each {items_text}"
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise BadParameterError(f"expected {expected}, got {describe_value(value)}")
    if not spec.min_items <= len(value) <= spec.max_items:
        raise BadParameterError(
            f"expected {expected}, got {len(value)} items: {describe_value(value)}"
        )
    for index, item in enumerate(value):
        try:
            _check_int(spec, item, items_text)
        except BadParameterError:
            raise BadParameterError(
                f"item {index}: expected {items_text}, got {describe_value(item)}"
            ) from None
    return tuple(value)


def _is_public_identifier(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_TEXT
        and value.isidentifier()
        and value.isascii()
        and not keyword.iskeyword(value)
        and not value.startswith("_")
    )


def _validate_class_name(spec: ParamSpec, value: object) -> str:
    expected = "expected the name of a torch.nn layer class (Hardtanh, LPPool2d)"
    if not _is_public_identifier(value):
        raise BadParameterError(f"{expected}, got {describe_value(value)}")
    assert isinstance(value, str)
    if value in NOT_LAYERS:
        raise BadParameterError(
            f"{expected}, got {describe_value(value)}: the base class or a container, not a "
            "layer (build containers from blocks and groups)"
        )
    return value


_KEYWORD_VALUES = "a number, true or false, a string, null or a list of integers"


def _validate_keywords(spec: ParamSpec, value: object) -> Keywords:
    expected = (
        f"expected up to {MAX_KEYWORDS} keyword arguments: an object or a list of "
        "[name, value] pairs"
    )
    pairs: Sequence[object]
    if isinstance(value, Mapping):
        pairs = [list(item) for item in value.items()]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        pairs = value
    else:
        raise BadParameterError(f"{expected}, got {describe_value(value)}")
    if len(pairs) > MAX_KEYWORDS:
        raise BadParameterError(f"{expected}, got {len(pairs)}")
    found: dict[str, KeywordValue] = {}
    for index, pair in enumerate(pairs):
        name, item = _keyword_pair(index, pair)
        if name in found:
            raise BadParameterError(f"item {index}: {name} is given twice")
        found[name] = item
    return tuple(sorted(found.items()))


def _keyword_pair(index: int, pair: object) -> tuple[str, KeywordValue]:
    if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
        raise BadParameterError(
            f"item {index}: expected a [name, value] pair, got {describe_value(pair)}"
        )
    name, value = pair
    if not _is_public_identifier(name):
        raise BadParameterError(
            f"item {index}: expected a keyword name (an identifier not starting with '_'), "
            f"got {describe_value(name)}"
        )
    assert isinstance(name, str)
    if name in RUNTIME_KEYWORDS:
        raise BadParameterError(
            f"item {index}: {name} is the runtime's to choose, for the whole model"
        )
    return name, _keyword_value(index, name, value)


def _keyword_value(index: int, name: str, value: object) -> KeywordValue:
    if value is None or isinstance(value, bool) or _is_int(value):
        return value  # type: ignore[return-value]
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) <= MAX_LIST_ITEMS
        and all(_is_int(item) for item in value)
    ):
        return tuple(value)
    raise BadParameterError(
        f"item {index}: {name}: expected {_KEYWORD_VALUES}, got {describe_value(value)}"
    )


_VALIDATORS = {
    ParamType.INT: _validate_int,
    ParamType.OPTIONAL_INT: _validate_optional_int,
    ParamType.FLOAT: _validate_float,
    ParamType.BOOL: _validate_bool,
    ParamType.CHOICE: _validate_choice,
    ParamType.INT_LIST: _validate_int_list,
    ParamType.CLASS_NAME: _validate_class_name,
    ParamType.KEYWORDS: _validate_keywords,
}


def int_param(
    name: str, default: int, help: str, minimum: int = 1, maximum: int = MAX_DIM
) -> ParamSpec:
    return ParamSpec(name, ParamType.INT, default, help, minimum, maximum)


def in_size_param(name: str, help: str) -> ParamSpec:
    return ParamSpec(name, ParamType.OPTIONAL_INT, None, help, 1, MAX_DIM, pins_in_size=True)


def optional_int_param(
    name: str, help: str, minimum: int = 1, maximum: int = MAX_KERNEL
) -> ParamSpec:
    return ParamSpec(name, ParamType.OPTIONAL_INT, None, help, minimum, maximum)


def float_param(name: str, default: float, help: str, minimum: float, maximum: float) -> ParamSpec:
    return ParamSpec(name, ParamType.FLOAT, default, help, minimum, maximum)


def bool_param(name: str, default: bool, help: str) -> ParamSpec:
    return ParamSpec(name, ParamType.BOOL, default, help)


def choice_param(name: str, default: str, choices: Sequence[str], help: str) -> ParamSpec:
    return ParamSpec(name, ParamType.CHOICE, default, help, choices=tuple(choices))


def int_list_param(
    name: str,
    default: Sequence[int],
    help: str,
    minimum: int = 1,
    maximum: int = MAX_DIM,
    max_items: int = MAX_LIST_ITEMS,
) -> ParamSpec:
    return ParamSpec(
        name, ParamType.INT_LIST, tuple(default), help, minimum, maximum, max_items=max_items
    )


def class_name_param(name: str, default: str, help: str) -> ParamSpec:
    """The name of a ``torch.nn`` layer class: an identifier, neither private nor a container.
    Whether torch has such a class is the shape rule's to say (this module imports no torch)."""
    return ParamSpec(name, ParamType.CLASS_NAME, default, help)


def keywords_param(name: str, help: str) -> ParamSpec:
    """Literal keyword arguments for a constructor; none by default."""
    return ParamSpec(name, ParamType.KEYWORDS, (), help)
