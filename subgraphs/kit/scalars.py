"""Shared custom scalars. Every subgraph uses these definitions so the supergraph sees one
``Money`` scalar with one behaviour.

``Money`` is a decimal amount carried as a string (``"19.99"``): JSON numbers are floats in
most clients, and a float cannot hold 0.1 exactly. It is read from strings, integers and
literal numbers in a query; the literal's text is parsed, never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

Money = NewType("Money", Decimal)


def _to_decimal(text: str) -> Money:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"Money must be a decimal number, got {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"Money must be a finite decimal number, got {text!r}")
    return Money(value)


def serialize_money(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"Money cannot represent {type(value).__name__}: {value!r}")
    return format(_to_decimal(str(value)), "f")


def parse_money_value(value: Any) -> Money:
    if isinstance(value, bool):
        raise ValueError("Money must be a decimal number, got a boolean")
    if isinstance(value, float):
        # repr() is the shortest text that round-trips, so 19.99 stays 19.99.
        return _to_decimal(repr(value))
    if isinstance(value, Decimal | int | str):
        return _to_decimal(str(value))
    raise ValueError(f"Money must be a decimal string, got {type(value).__name__}")


def parse_money_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Money:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _to_decimal(node.value)
    raise ValueError("Money must be a decimal string or number literal")


MONEY_SCALAR = strawberry.scalar(
    name="Money",
    description='A decimal amount of money as a string, e.g. "19.99"; never a float.',
    serialize=serialize_money,
    parse_value=parse_money_value,
    parse_literal=parse_money_literal,
)

SCALAR_MAP: Mapping[object, ScalarDefinition] = {Money: MONEY_SCALAR}
