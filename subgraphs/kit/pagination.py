"""Relay-style cursor connections over keyset pagination.

A cursor holds the sort values of its row plus the unique tie-breaker (the primary key), so
"the rows after this one" is a row comparison ``(sort, id) > (v, k)``: pages neither repeat
nor skip rows when rows are inserted between two requests, and deep pages cost the same as
the first. Cursors are opaque (base64url JSON) and name their ordering; a cursor from one
ordering is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.federation.schema_directives import ListSize

from subgraphs.kit.errors import BadUserInput

R = TypeVar("R")
N = TypeVar("N")

CursorValue = int | str | Decimal | datetime | bool | None


@strawberry.federation.type(
    shareable=True,  # every service's connections use it; composition needs it shareable
    description="Where a page sits in the whole list.",
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="Number of items matching the filter (one more query).")
    async def total_count(self) -> int | None:
        return None if self.count_total is None else await self.count_total()


@dataclass(frozen=True, slots=True)
class SortKey:
    """An ordering: ``columns`` must end with a unique, non-null column (the tie-breaker)."""

    name: str
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False

    def order_by(self) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def values(self, row: object) -> tuple[CursorValue, ...]:
        return tuple(getattr(row, c.key) for c in self.columns)

    def after(self, values: Sequence[CursorValue]) -> Any:
        """The filter keeping rows strictly after a cursor in this ordering."""
        left, right = tuple_(*self.columns), tuple_(*values)
        return left < right if self.descending else left > right


def encode_cursor(sort: SortKey, values: Sequence[CursorValue]) -> str:
    payload = json.dumps({"o": sort.name, "v": [_tag(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(sort: SortKey, cursor: str) -> tuple[CursorValue, ...]:
    """The sort values of a cursor; `BadUserInput` when it is not ours or not this ordering."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        order, raw = payload["o"], payload["v"]
        values = tuple(_untag(item) for item in raw)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadUserInput("The cursor is not valid", argument="after") from None
    if order != sort.name or len(values) != len(sort.columns):
        raise BadUserInput(
            f"The cursor belongs to another ordering ({order}), not {sort.name}",
            argument="after",
        )
    return values


def _tag(value: CursorValue) -> list[Any]:
    if value is None:
        return ["n", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    return ["s", str(value)]


def _untag(item: list[Any]) -> CursorValue:
    tag, raw = item
    decoders: dict[str, Callable[[Any], CursorValue]] = {
        "n": lambda _: None,
        "b": bool,
        "i": int,
        "d": Decimal,
        "t": datetime.fromisoformat,
        "s": str,
    }
    return decoders[tag](raw)


def page_size(default: int, *, argument: str = "first", connection: bool = True) -> ListSize:
    """``@listSize`` of a paginated field, for the router's demand control: the list holds as
    many items as ``argument`` asks for (``default`` when it is omitted or null); on a
    connection, the sized list is ``edges``. The service still refuses sizes above its
    maximum (`check_page_size`); the router refuses operations whose cost is too high."""
    return ListSize(
        assumed_size=default,
        slicing_arguments=[argument],
        sized_fields=["edges"] if connection else strawberry.UNSET,  # UNSET: not printed
        require_one_slicing_argument=False,
    )


def check_page_size(first: int | None, *, default: int, maximum: int) -> int:
    size = default if first is None else first
    if size < 0 or size > maximum:
        raise BadUserInput(f"`first` must be between 0 and {maximum}", argument="first")
    return size


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    rows: list[R]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool

    def to_connection(
        self,
        convert: Callable[[R], N],
        count_total: Callable[[], Awaitable[int]] | None = None,
    ) -> Connection[N]:
        pairs = zip(self.rows, self.cursors, strict=True)
        edges = [Edge(cursor=cursor, node=convert(row)) for row, cursor in pairs]
        info = PageInfo(
            has_next_page=self.has_next_page,
            has_previous_page=self.has_previous_page,
            start_cursor=self.cursors[0] if self.cursors else None,
            end_cursor=self.cursors[-1] if self.cursors else None,
        )
        return Connection(edges=edges, page_info=info, count_total=count_total)


async def paginate(
    session: AsyncSession,
    statement: Select[R],
    sort: SortKey,
    *,
    first: int,
    after: str | None = None,
) -> Page[R]:
    """One page of ``statement`` (already filtered) in ``sort`` order: one SQL statement."""
    if after is not None:
        statement = statement.where(sort.after(decode_cursor(sort, after)))
    statement = statement.order_by(*sort.order_by()).limit(first + 1)
    rows = list((await session.scalars(statement)).all())
    has_next = len(rows) > first
    rows = rows[:first]
    cursors = [encode_cursor(sort, sort.values(row)) for row in rows]
    return Page(rows, cursors, has_next_page=has_next, has_previous_page=after is not None)
