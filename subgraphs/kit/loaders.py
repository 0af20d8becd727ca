"""DataLoader builders: each batch of keys costs one SQL statement, whatever the nesting.

``rows_by_key`` answers "the row for each key" (entity references, parents) and
``rows_grouped_by`` answers "the rows for each parent key" (children, images, discounts).
Both take the statement as a function of the key list, so callers add their own filters
and ordering; the ``by_column``/``grouped_by_column`` shortcuts cover the plain cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Gives exclusive use of the request's session, e.g. ``ServiceContext.db``."""

MAX_BATCH = 1000  # keeps IN lists far below PostgreSQL's 32767-parameter limit


def rows_by_key(
    db: SessionScope,
    query: Callable[[list[K]], Select[R]],
    key: Callable[[R], K],
) -> DataLoader[K, R | None]:
    """One row (or None) per key, in the order the keys were asked for."""

    async def load(keys: list[K]) -> list[R | None]:
        async with db() as session:
            rows = (await session.scalars(query(keys))).all()
        found = {key(row): row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def rows_grouped_by(
    db: SessionScope,
    query: Callable[[list[K]], Select[R]],
    key: Callable[[R], K],
) -> DataLoader[K, list[R]]:
    """All rows per key (possibly none), keeping the statement's ORDER BY inside each group."""

    async def load(keys: list[K]) -> list[list[R]]:
        async with db() as session:
            rows = (await session.scalars(query(keys))).all()
        groups: defaultdict[K, list[R]] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def by_column(
    db: SessionScope,
    model: type[R],
    column: InstrumentedAttribute[Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
) -> DataLoader[Any, R | None]:
    """Rows of ``model`` whose ``column`` (usually the primary key) equals each key."""

    def query(keys: list[Any]) -> Select[R]:
        return select(model).where(column.in_(keys), *where)

    return rows_by_key(db, query, _getter(column))


def grouped_by_column(
    db: SessionScope,
    model: type[R],
    column: InstrumentedAttribute[Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
) -> DataLoader[Any, list[R]]:
    """Rows of ``model`` grouped by a foreign-key ``column`` (children of each parent)."""

    def query(keys: list[Any]) -> Select[R]:
        return select(model).where(column.in_(keys), *where).order_by(*order_by)

    return rows_grouped_by(db, query, _getter(column))


def _getter(column: InstrumentedAttribute[Any]) -> Callable[[Any], Any]:
    name = column.key
    return lambda row: getattr(row, name)
