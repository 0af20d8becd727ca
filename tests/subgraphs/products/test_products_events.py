"""The catalogue's events: one outbox row per product write, in the write's transaction.

Against the real migrated product_db: the app runs without a relay (``events=False``), so
every event a write recorded is still in ``product.outbox`` to be counted. A second
connection (``sql``) sees what is committed only: an event is invisible until its write
commits, and a write that fails or rolls back leaves none.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.events import Envelope
from subgraphs.kit.events.contracts import ProductUpdated
from subgraphs.products import service
from subgraphs.products.models import EVENT_TABLES

CREATE_PRODUCT = """
mutation($input: CreateProductInput!) { createProduct(input: $input) { id version } }"""
UPDATE_PRODUCT = """
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $v, input: $input) { id price version }
}"""


async def events_of(sql: asyncpg.Connection, product_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Committed outbox rows naming ``product_id``, oldest first: (type, data)."""
    rows = await sql.fetch(
        "SELECT type, data FROM product.outbox WHERE data->>'product_id' = $1 ORDER BY seq",
        product_id,
    )
    return [(row["type"], orjson.loads(row["data"])) for row in rows]


def types(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [event_type for event_type, _ in events]


@pytest.fixture(scope="module")
async def category_id(gql: Any) -> str:
    body = await gql('mutation { createCategory(input: {name: "Events"}) { id } }')
    return str(body["data"]["createCategory"]["id"])


@pytest.fixture(scope="module")
def sessionmaker(products_app: FastAPI) -> async_sessionmaker[AsyncSession]:
    made: async_sessionmaker[AsyncSession] = products_app.state.sessionmaker
    return made


async def new_product(gql: Any, category_id: str, name: str = "Kettle") -> str:
    body = await gql(
        CREATE_PRODUCT, input={"name": name, "price": "40.00", "categoryId": category_id}
    )
    assert "errors" not in body, body
    return str(body["data"]["createProduct"]["id"])


async def test_an_update_writes_one_event_in_its_own_transaction(
    gql: Any,
    category_id: str,
    sql: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    product_id = await new_product(gql, category_id)
    assert types(await events_of(sql, product_id)) == ["product.created"]
    outbox = EVENT_TABLES.outbox

    async with sessionmaker() as session, session.begin():
        await service.update_product(
            session, int(product_id), 1, {"price": Decimal("35.50")}, service.Origin()
        )
        # The writer's transaction holds the event...
        mine = await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.data["product_id"].astext == product_id)
        )
        assert mine == 2
        # ...which nobody else sees before it commits, like the price itself.
        assert types(await events_of(sql, product_id)) == ["product.created"]
        assert await sql.fetchval(
            "SELECT price FROM product.products WHERE product_id = $1", int(product_id)
        ) == Decimal("40.00")

    events = await events_of(sql, product_id)
    assert types(events) == ["product.created", "product.updated"]
    row = await sql.fetchrow(
        "SELECT id, type, occurred_at, source, correlation_id, data FROM product.outbox "
        "WHERE data->>'product_id' = $1 AND type = 'product.updated'",
        product_id,
    )
    assert row is not None
    envelope = Envelope(
        id=uuid.UUID(str(row["id"])),
        type=row["type"],
        occurred_at=row["occurred_at"],
        source=row["source"],
        correlation_id=row["correlation_id"],
        data=events[1][1],
    )
    assert envelope.subject == "polyshop.products.product.updated"
    updated = ProductUpdated.parse(envelope)
    assert updated.product_id == product_id
    assert updated.changed == ["price"]
    assert updated.price == Decimal("35.50")
    assert updated.version == 2


async def test_a_write_that_fails_or_rolls_back_writes_no_event(
    gql: Any,
    category_id: str,
    sql: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    product_id = await new_product(gql, category_id, name="Grinder")
    before = await events_of(sql, product_id)

    stale = await gql(UPDATE_PRODUCT, id=product_id, v=7, input={"price": "1.00"})
    assert [e["extensions"]["code"] for e in stale["errors"]] == ["CONFLICT"]
    bad = await gql(UPDATE_PRODUCT, id=product_id, v=1, input={"price": "-3"})
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_USER_INPUT"]
    assert await events_of(sql, product_id) == before

    # The event was written, then the transaction failed: both go.
    async def write_then_fail() -> None:
        async with sessionmaker() as session, session.begin():
            await service.update_product(
                session, int(product_id), 1, {"name": "Burr grinder"}, service.Origin()
            )
            raise RuntimeError("after the write")

    with pytest.raises(RuntimeError, match="after the write"):
        await write_then_fail()
    assert await events_of(sql, product_id) == before
    assert (
        await sql.fetchval(
            "SELECT name FROM product.products WHERE product_id = $1", int(product_id)
        )
        == "Grinder"
    )

    # A change to nothing is no change: no event either.
    same = await gql(UPDATE_PRODUCT, id=product_id, v=1, input={"price": "40.00"})
    assert "errors" not in same, same
    assert await events_of(sql, product_id) == before


async def test_every_product_write_announces_itself_once(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    product_id = await new_product(gql, category_id, name="Scale")
    created = await events_of(sql, product_id)
    assert created[0][1]["category_id"] == category_id
    assert created[0][1]["price"] == "40.00"

    renamed = await gql(
        UPDATE_PRODUCT, id=product_id, v=1, input={"name": "Scales", "active": False}
    )
    assert "errors" not in renamed, renamed
    image = await gql(
        "mutation($p: ID!) { addProductImage(input: {productId: $p, "
        'url: "https://img.example/s.png"}) { id } }',
        p=product_id,
    )
    assert "errors" not in image, image
    for mutation in ("deleteProduct", "deleteProduct", "restoreProduct", "restoreProduct"):
        body = await gql(f"mutation($id: ID!) {{ {mutation}(id: $id) {{ id }} }}", id=product_id)
        assert "errors" not in body, body

    events = await events_of(sql, product_id)
    # Deleting a deleted product (or restoring a live one) changes nothing: no event.
    assert types(events) == [
        "product.created",
        "product.updated",
        "product.updated",
        "product.deleted",
        "product.restored",
    ]
    assert events[1][1]["changed"] == ["active", "name"]
    assert (events[1][1]["name"], events[1][1]["active"]) == ("Scales", False)
    assert events[2][1]["changed"] == ["images"]
    assert [data["version"] for _, data in events] == [1, 2, 2, 3, 4]
