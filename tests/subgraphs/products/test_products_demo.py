"""The demo catalogue: deterministic, realistic, idempotent, and served by the API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from polyshop.devstack.postgres import plain_url
from subgraphs.products.demo import PRODUCT_COUNT, load_demo_data


async def snapshot(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return {
            "products": await conn.fetch(
                "SELECT name, price, currency, brand, active, is_deleted FROM product.products "
                "ORDER BY product_id"
            ),
            "categories": await conn.fetchval("SELECT count(*) FROM product.categories"),
            "roots": await conn.fetchval(
                "SELECT count(*) FROM product.categories WHERE parent_id IS NULL"
            ),
            "images": await conn.fetchval("SELECT count(*) FROM product.product_images"),
            "methods": await conn.fetchval("SELECT count(*) FROM product.discount_methods"),
            "discounts": await conn.fetchval("SELECT count(*) FROM product.product_discounts"),
            "bare": await conn.fetchval(
                "SELECT count(*) FROM product.products p WHERE NOT EXISTS "
                "(SELECT 1 FROM product.product_images i WHERE i.product_id = p.product_id)"
            ),
        }
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def demo_db(service_database: Callable[[str], Awaitable[str]]) -> str:
    return await service_database("products")


async def test_demo_is_idempotent_even_when_called_concurrently(demo_db: str) -> None:
    inserted = await asyncio.gather(load_demo_data(demo_db), load_demo_data(demo_db))
    assert sorted(inserted) == [0, PRODUCT_COUNT]
    first = await snapshot(demo_db)
    assert await load_demo_data(demo_db) == 0
    assert await snapshot(demo_db) == first


async def test_demo_catalogue_shape(demo_db: str) -> None:
    data = await snapshot(demo_db)
    assert len(data["products"]) == PRODUCT_COUNT
    assert data["roots"] >= 5
    assert data["categories"] > data["roots"]
    assert data["methods"] == 3
    assert data["discounts"] >= 50
    assert data["bare"] == 0
    assert data["images"] >= PRODUCT_COUNT
    assert {row["currency"] for row in data["products"]} >= {"USD", "EUR"}
    assert len({row["brand"] for row in data["products"]}) > 20
    assert len({row["name"] for row in data["products"]}) == PRODUCT_COUNT
    assert any(row["is_deleted"] for row in data["products"])


async def test_demo_is_deterministic(
    demo_db: str, service_database: Callable[[str], Awaitable[str]]
) -> None:
    other = await service_database("products")
    await load_demo_data(other)
    assert (await snapshot(other))["products"] == (await snapshot(demo_db))["products"]


async def test_demo_serves_through_graphql(gql: Any, products_db: str) -> None:
    await load_demo_data(products_db)
    body = await gql(
        """{ categories(rootsOnly: true) { name children { name } }
             products(first: 50, filter: {active: true}) {
               totalCount edges { node { price effectivePrice priceFor(quantity: 2) } } } }"""
    )
    assert "errors" not in body, body
    assert all(root["children"] for root in body["data"]["categories"])
    assert body["data"]["products"]["totalCount"] > 250
    nodes = [e["node"] for e in body["data"]["products"]["edges"]]
    assert all(Decimal(n["effectivePrice"]) <= Decimal(n["price"]) for n in nodes)
