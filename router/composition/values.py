"""GraphQL values from subgraph SDL, printed and compared the way Apollo composition does."""

from __future__ import annotations

import json
from collections.abc import Hashable

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)


def print_value(node: ValueNode) -> str:
    """Print a value on one line (block strings become ordinary strings)."""
    if isinstance(node, StringValueNode):
        return print_string(node.value)
    if isinstance(node, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    if isinstance(node, ObjectValueNode):
        return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields) + "}"
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, NullValueNode):
        return "null"
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return str(node.value)
    raise TypeError(f"unexpected value node {node!r}")


def print_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def value_key(node: ValueNode | None) -> Hashable:
    """A hashable form for comparing values structurally (object field order ignored)."""
    if node is None:
        return None
    if isinstance(node, ListValueNode):
        return ("list", tuple(value_key(v) for v in node.values))
    if isinstance(node, ObjectValueNode):
        return ("object", frozenset((f.name.value, value_key(f.value)) for f in node.fields))
    if isinstance(node, StringValueNode | EnumValueNode):
        return ("text", node.value)
    if isinstance(node, IntValueNode | FloatValueNode):
        return ("number", float(node.value))
    if isinstance(node, BooleanValueNode):
        return ("bool", node.value)
    if isinstance(node, NullValueNode):
        return ("null",)
    if isinstance(node, VariableNode):
        return ("var", node.name.value)
    return ("other", repr(node))
