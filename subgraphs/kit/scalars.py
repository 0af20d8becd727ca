"""Shared custom scalars. Every subgraph uses these definitions so the supergraph sees one
``Money`` scalar with one behaviour.

``Money`` is a decimal amount carried as a string (``"19.99"``): JSON numbers are floats in
most clients, and a float cannot hold 0.1 exactly. It is read from strings, integers and
literal numbers in a query; the literal's text is parsed, never a float.

An amount a client sends is bounded by the widest money column it may be written to,
``NUMERIC(12,2)``: at most `MONEY_MAX` in magnitude and at most `MONEY_SCALE_MAX` digits after
the point (trailing zeros aside), so a value such as ``1e400`` is ``BAD_USER_INPUT`` at the edge
instead of a numeric overflow in PostgreSQL. Services narrow it further (products' prices are
``NUMERIC(10,2)`` with two decimals, see its ``validation.py``). Amounts the services
serialize are not bounded: sums in analytics may outgrow any one order.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

Money = NewType("Money", Decimal)

MONEY_MAX = Decimal("9999999999.99")  # NUMERIC(12,2): orders' totals and prices
MONEY_SCALE_MAX = 10
_TEXT_MAX = 64  # no amount within the bounds needs a longer text


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


def _bounded(value: Money) -> Money:
    if abs(value) > MONEY_MAX:
        raise ValueError(f"Money must be between -{MONEY_MAX} and {MONEY_MAX}")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_SCALE_MAX:
        raise ValueError(f"Money has at most {MONEY_SCALE_MAX} digits after the decimal point")
    return value


def _input(text: str) -> Money:
    if len(text) > _TEXT_MAX:
        raise ValueError(f"Money must be at most {_TEXT_MAX} characters long")
    return _bounded(_to_decimal(text))


def parse_money_value(value: Any) -> Money:
    if isinstance(value, bool):
        raise ValueError("Money must be a decimal number, got a boolean")
    if isinstance(value, float):
        # repr() is the shortest text that round-trips, so 19.99 stays 19.99.
        return _input(repr(value))
    if isinstance(value, int) and abs(value) > MONEY_MAX:
        raise ValueError(f"Money must be between -{MONEY_MAX} and {MONEY_MAX}")
    if isinstance(value, Decimal | int | str):
        return _input(str(value))
    raise ValueError(f"Money must be a decimal string, got {type(value).__name__}")


def parse_money_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Money:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _input(node.value)
    raise ValueError("Money must be a decimal string or number literal")


MONEY_SCALAR = strawberry.scalar(
    name="Money",
    description='A decimal amount of money as a string, e.g. "19.99"; never a float.',
    serialize=serialize_money,
    parse_value=parse_money_value,
    parse_literal=parse_money_literal,
)

SCALAR_MAP: Mapping[object, ScalarDefinition] = {Money: MONEY_SCALAR}
