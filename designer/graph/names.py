"""Rules for the names a person gives blocks, groups and the model.

A block or group name becomes an attribute of a generated ``nn.Module`` and a class name becomes
a ``class`` statement, so both must be plain Python identifiers that can't shadow ``nn.Module``'s
own attributes. Names that break a rule are refused here, at the edit, with the reason.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Container

from designer.graph.errors import BadNameError
from designer.graph.params import describe_value

MAX_NAME_LENGTH = 64

NN_MODULE_ATTRIBUTES = frozenset(
    {
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
        "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
        "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
        "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
        "named_modules", "named_parameters", "parameters", "register_backward_hook",
        "register_buffer", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
        "register_module", "register_parameter", "register_state_dict_post_hook",
        "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
        "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
        "zero_grad",
    }
)  # fmt: skip
"""Public attributes of ``torch.nn.Module``; a test keeps this in step with installed torch."""

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_CLASS_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_]*\Z")
_MODULE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
"""What a named ``nn.Sequential`` may call a member beyond identifiers (regnet's ``block1-0``):
it is written as a string key, never as an attribute."""


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name)


def check_class_name(name: object, what: str, field: str = "class_name") -> str:
    """A class name: an identifier, or one private name's single leading underscore
    (torchvision's ``_DenseLayer``)."""
    if isinstance(name, str) and _CLASS_NAME.match(name) and not keyword.iskeyword(name):
        if len(name) > MAX_NAME_LENGTH:
            raise BadNameError(
                f"{what} {describe_value(name)} is longer than {MAX_NAME_LENGTH}", field
            )
        return name
    return check_identifier(name, what, field)


def check_identifier(name: object, what: str, field: str = "name") -> str:
    """``name`` if it can be a Python attribute or class name, else ``BadNameError``.

    ``field`` is where the error says the name was found.
    """
    if not isinstance(name, str):
        raise BadNameError(f"{what} must be a string, got {describe_value(name)}", field)
    if not name:
        raise BadNameError(f"{what} must not be empty", field)
    if len(name) > MAX_NAME_LENGTH:
        raise BadNameError(f"{what} {describe_value(name)} is longer than {MAX_NAME_LENGTH}", field)
    if not _IDENTIFIER.match(name):
        raise BadNameError(
            f"{what} {describe_value(name)} is not an identifier: use letters, digits and _, "
            "starting with a letter",
            field,
        )
    if keyword.iskeyword(name):
        raise BadNameError(f"{what} {describe_value(name)} is a Python keyword", field)
    return name


def check_attribute_name(
    name: object, what: str, taken: Container[str], field: str = "name", *, key: bool = False
) -> str:
    """``name`` if it can be a sub-module attribute not yet ``taken``, else ``BadNameError``.

    With ``key``, for a member of a named ``nn.Sequential``, a module key such as ``block1-0``
    passes too.
    """
    if not (key and isinstance(name, str) and _MODULE_KEY.match(name)):
        name = check_identifier(name, what, field)
    elif len(name) > MAX_NAME_LENGTH:
        raise BadNameError(f"{what} {describe_value(name)} is longer than {MAX_NAME_LENGTH}", field)
    if name == "self":
        raise BadNameError(
            f"{what} 'self' would read as the module itself in forward() (and torch.fx "
            "traces it as such); choose another",
            field,
        )
    if name in NN_MODULE_ATTRIBUTES:
        raise BadNameError(
            f"{what} {describe_value(name)} would clash with nn.Module.{name}; choose another",
            field,
        )
    if name in taken:
        raise BadNameError(f"{what} {describe_value(name)} is already used at this level", field)
    return name


def unique_name(base: str, taken: Container[str]) -> str:
    """The first of ``base1``, ``base2``, ... that is not ``taken``."""
    stem = base.rstrip("0123456789") or "block"
    number = 1
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"
