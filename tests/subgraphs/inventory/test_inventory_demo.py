"""Demo stock: products 1..320, the same levels on every machine, loaded once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from polyshop.devstack.postgres import plain_url
from subgraphs.inventory.demo import PRODUCT_COUNT, demo_levels, load_demo_data

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


async def test_demo_stock_is_deterministic_and_idempotent(
    service_database: ServiceDatabaseFactory,
) -> None:
    url = await service_database("inventory")
    conn = await asyncpg.connect(plain_url(url))
    try:
        # An admin's change made before the loader runs is kept.
        await conn.execute("INSERT INTO stock (product_id, available) VALUES (7, 999)")
        assert await load_demo_data(url) == PRODUCT_COUNT - 1
        assert await load_demo_data(url) == 0
        rows = await conn.fetch("SELECT product_id, available, reserved FROM stock")
    finally:
        await conn.close()
    levels = {r["product_id"]: r["available"] for r in rows}
    expected = demo_levels()
    assert set(levels) == set(range(1, PRODUCT_COUNT + 1))
    assert levels == {**expected, 7: 999}
    assert all(r["reserved"] == 0 for r in rows)
    assert demo_levels() == expected  # seeded: the same on every call and machine
    sold_out = sum(1 for n in expected.values() if n == 0)
    assert 0 < sold_out < PRODUCT_COUNT // 5
