"""``torch-designer kinds``: every catalogue kind, its ports and parameters, as text or JSON.

The JSON document is stable for scripts: ``{"format": "torch-designer kinds", "version": 1,
"categories": [...], "kinds": [...]}``, the kinds in palette order, each with its category,
label, help, input ports, output ports and parameters (name, type, default, help, and where
they apply its range, its choices and how many items a list takes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from designer.graph import CATALOGUE, CATEGORIES, BlockKind
from designer.graph.params import ParamSpec, ParamType, ParamValue
from designer.text_table import text_table

LISTING_FORMAT = "torch-designer kinds"
LISTING_VERSION = 1
_RANGED = frozenset({ParamType.INT, ParamType.OPTIONAL_INT, ParamType.FLOAT, ParamType.INT_LIST})
_WIDEST_RANGE = 40
"""A longer range or list of choices goes on a line of its own under the table."""
_INTEGER = frozenset({ParamType.INT, ParamType.OPTIONAL_INT, ParamType.INT_LIST})


def kinds_json() -> dict[str, Any]:
    return {
        "format": LISTING_FORMAT,
        "version": LISTING_VERSION,
        "categories": list(CATEGORIES),
        "kinds": [_kind_json(kind) for kind in _in_palette_order()],
    }


def kinds_text() -> str:
    lines: list[str] = []
    for category in CATEGORIES:
        lines += [category, "=" * len(category), ""]
        for kind in _in_palette_order():
            if kind.category == category:
                lines += [*_kind_lines(kind), ""]
    return "\n".join(lines).rstrip("\n")


def _in_palette_order() -> Iterator[BlockKind]:
    for category in CATEGORIES:
        yield from (kind for kind in CATALOGUE.values() if kind.category == category)


# --- JSON -------------------------------------------------------------------------------------


def _kind_json(kind: BlockKind) -> dict[str, Any]:
    return {
        "name": kind.name,
        "label": kind.label,
        "category": kind.category,
        "help": kind.help,
        "inputs": _inputs_json(kind),
        "variadic_inputs": _variadic_json(kind),
        "outputs": [{"name": port.name, "help": port.help} for port in _outputs(kind)],
        "params": [_param_json(spec) for spec in kind.params],
    }


def _inputs_json(kind: BlockKind) -> list[dict[str, Any]]:
    ports = []
    for name in kind.input_ports(kind.defaults()):
        declared = next((port for port in kind.named_inputs if port.name == name), None)
        ports.append(
            {
                "name": name,
                "help": declared.help if declared is not None else "one of the tensors merged",
                "defaults_to": kind.input_default(name),
            }
        )
    return ports


def _variadic_json(kind: BlockKind) -> dict[str, Any] | None:
    """For merges: the parameter that sets the number of input ports, and its range."""
    if not kind.variadic_inputs:
        return None
    spec = kind.param("inputs")
    return {
        "count_param": spec.name,
        "minimum": _bound(spec, spec.minimum),
        "maximum": _bound(spec, spec.maximum),
    }


def _outputs(kind: BlockKind) -> tuple[Any, ...]:
    return kind.named_outputs if kind.has_output else ()


def _param_json(spec: ParamSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": spec.name,
        "type": spec.type.value,
        "default": _json_value(spec.default),
        "help": spec.help,
    }
    if spec.type in _RANGED:
        entry["minimum"] = _bound(spec, spec.minimum)
        entry["maximum"] = _bound(spec, spec.maximum)
    if spec.type is ParamType.CHOICE:
        entry["choices"] = list(spec.choices)
    if spec.type is ParamType.INT_LIST:
        entry["min_items"] = spec.min_items
        entry["max_items"] = spec.max_items
    if spec.pins_in_size:
        entry["pins_in_size"] = True
    return entry


def _bound(spec: ParamSpec, bound: float | None) -> float | int | None:
    if bound is None:
        return None
    return int(bound) if spec.type in _INTEGER else float(bound)


def _json_value(value: ParamValue) -> Any:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]  # type: ignore[arg-type]
    return value


# --- text -------------------------------------------------------------------------------------


def _kind_lines(kind: BlockKind) -> list[str]:
    lines = [f"{kind.name} ({kind.label})", f"  {kind.help}"]
    lines.append(f"  inputs:  {_inputs_text(kind)}")
    outputs = ", ".join(port.name for port in _outputs(kind)) or "none (a model output)"
    lines.append(f"  outputs: {outputs}")
    if not kind.params:
        lines.append("  parameters: none")
        return lines
    lines.append("  parameters:")
    rows, notes = [], []
    for spec in kind.params:
        allowed = _range_text(spec)
        if len(allowed) > _WIDEST_RANGE:
            notes.append(f"    {spec.name}: {allowed}")
            allowed = "(below)"
        rows.append((spec.name, spec.type.value, _default_text(spec), allowed, spec.help))
    table = text_table(("name", "type", "default", "range", "help"), rows, right_aligned=0)
    return lines + [f"    {line}" for line in table] + notes


def _inputs_text(kind: BlockKind) -> str:
    if not kind.has_input:
        return "none (a model input)"
    if kind.variadic_inputs:
        spec = kind.param("inputs")
        ports = kind.input_ports(kind.defaults())
        return (
            f"{', '.join(ports)} (variadic: in0 .. in<n-1>, n set by '{spec.name}', "
            f"{_number(spec, spec.minimum)} to {_number(spec, spec.maximum)})"
        )
    names = []
    for port in kind.input_ports(kind.defaults()):
        default = kind.input_default(port)
        names.append(port if default is None else f"{port} (defaults to {default})")
    return ", ".join(names)


def _default_text(spec: ParamSpec) -> str:
    if spec.type is ParamType.KEYWORDS:
        pairs = spec.default
        assert isinstance(pairs, tuple)
        return ", ".join(f"{name}={value!r}" for name, value in pairs) or "none"  # type: ignore[misc]
    return _value_text(spec.default)


def _value_text(value: ParamValue) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_text(item) for item in value) + "]"  # type: ignore[arg-type]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _number(spec: ParamSpec, bound: float | None) -> str:
    value = _bound(spec, bound)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range_text(spec: ParamSpec) -> str:
    if spec.type is ParamType.CHOICE:
        return "one of " + " | ".join(spec.choices)
    if spec.type not in _RANGED or spec.minimum is None or spec.maximum is None:
        return ""
    span = f"{_number(spec, spec.minimum)} to {_number(spec, spec.maximum)}"
    if spec.type is ParamType.INT_LIST:
        return f"{spec.min_items} to {spec.max_items} items, each {span}"
    return span
