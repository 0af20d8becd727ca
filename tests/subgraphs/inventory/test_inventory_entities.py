"""Federation: ``_entities`` on Product adds stock and inStock, a product never stocked has
0/0, and any number of representations costs one SQL statement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Product { id inStock stock { available reserved } }
  }
}"""


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def count_statements(inventory_app: FastAPI) -> Iterator[StatementCounter]:
    with StatementCounter(inventory_app.state.engine) as counter:
        yield counter


@pytest.fixture(scope="module")
async def stocked(sql: asyncpg.Connection) -> list[int]:
    """Products 1..150: even ids have (id, id % 7) units available/reserved, odd ids none."""
    await sql.executemany(
        "INSERT INTO stock (product_id, available, reserved) VALUES ($1, $2, $3)",
        [(pid, pid if pid % 2 == 0 else 0, pid % 7) for pid in range(1, 151)],
    )
    return list(range(1, 151))


async def test_entities_carry_stock_in_order(gql: Any, stocked: list[int]) -> None:
    representations = [
        {"__typename": "Product", "id": "4"},
        {"__typename": "Product", "id": "3"},
        {"__typename": "Product", "id": "99999"},
        {"__typename": "Product", "id": "not-a-number"},
    ]
    body = await gql(ENTITIES, representations=representations)
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {
            "__typename": "Product",
            "id": "4",
            "inStock": True,
            "stock": {"available": 4, "reserved": 4},
        },
        {
            "__typename": "Product",
            "id": "3",
            "inStock": False,
            "stock": {"available": 0, "reserved": 3},
        },
        {
            "__typename": "Product",
            "id": "99999",
            "inStock": False,
            "stock": {"available": 0, "reserved": 0},
        },
        None,
    ]


async def test_any_batch_of_entities_costs_one_statement(
    gql: Any, stocked: list[int], count_statements: StatementCounter
) -> None:
    async def run(n: int) -> int:
        count_statements.statements.clear()
        reps = [{"__typename": "Product", "id": str(pid)} for pid in stocked[:n]]
        body = await gql(ENTITIES, representations=reps)
        assert "errors" not in body, body
        entities = body["data"]["_entities"]
        assert [e["stock"]["available"] for e in entities] == [
            pid if pid % 2 == 0 else 0 for pid in stocked[:n]
        ]
        assert [e["inStock"] for e in entities] == [pid % 2 == 0 for pid in stocked[:n]]
        return len(count_statements.statements)

    assert await run(3) == 1, count_statements.statements
    assert await run(150) == 1, count_statements.statements
