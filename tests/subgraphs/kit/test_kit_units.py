"""Pure pieces of the kit: the Money scalar, cursors, database error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from graphql import FloatValueNode, IntValueNode, StringValueNode
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.errors import BadUserInput, map_database_error
from subgraphs.kit.pagination import SortKey, check_page_size, decode_cursor, encode_cursor
from subgraphs.kit.scalars import parse_money_literal, parse_money_value, serialize_money


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String)


def test_money_serializes_as_exact_strings() -> None:
    assert serialize_money(Decimal("19.99")) == "19.99"
    assert serialize_money(Decimal("0E-2")) == "0.00"
    assert serialize_money(Decimal("1E+3")) == "1000"
    assert serialize_money(5) == "5"
    with pytest.raises(TypeError):
        serialize_money(19.99)


def test_money_parses_strings_ints_and_literals_without_floats() -> None:
    assert parse_money_value("19.99") == Decimal("19.99")
    assert parse_money_value(7) == Decimal(7)
    assert parse_money_value(0.1) == Decimal("0.1")  # shortest repr, not 0.1000000000000000055
    assert parse_money_literal(FloatValueNode(value="0.30")) == Decimal("0.30")
    assert parse_money_literal(IntValueNode(value="12")) == Decimal(12)
    assert parse_money_literal(StringValueNode(value="2.675")) == Decimal("2.675")
    for bad in ("abc", "NaN", "Infinity", True, None):
        with pytest.raises(ValueError, match="Money"):
            parse_money_value(bad)


def test_cursor_round_trip_and_refusals() -> None:
    by_name = SortKey("NAME_ASC", (_Row.name, _Row.id))
    by_other = SortKey("OTHER", (_Row.name, _Row.id))
    when = datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    values = ("Ünïcode name", 42)
    cursor = encode_cursor(by_name, values)
    assert "=" not in cursor
    assert decode_cursor(by_name, cursor) == values
    mixed = SortKey("MIXED", (_Row.name, _Row.name, _Row.name, _Row.id))
    assert decode_cursor(mixed, encode_cursor(mixed, (Decimal("9.90"), when, None, 7))) == (
        Decimal("9.90"),
        when,
        None,
        7,
    )
    for bad in ("", "%%%", cursor[:-3], encode_cursor(by_other, values)):
        with pytest.raises(BadUserInput):
            decode_cursor(by_name, bad)


def test_page_size_limits() -> None:
    assert check_page_size(None, default=20, maximum=100) == 20
    assert check_page_size(0, default=20, maximum=100) == 0
    with pytest.raises(BadUserInput):
        check_page_size(101, default=20, maximum=100)


def test_non_database_errors_are_not_mapped() -> None:
    assert map_database_error(RuntimeError("boom")) is None
