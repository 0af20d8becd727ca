"""Demo stock for the demo catalogue (product ids 1..320), the same on every machine.

``await load_demo_data(database_url)`` gives each product a seeded-random number of units,
with a few sold out so the storefront shows both states. Products that already have a
stock row keep it, so the call is idempotent and never overwrites an admin's change.
"""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from subgraphs.inventory.models import Stock

SEED = 20_240_602
PRODUCT_COUNT = 320  # subgraphs.products.demo.PRODUCT_COUNT
SOLD_OUT_SHARE = 0.05


def demo_levels(count: int = PRODUCT_COUNT, seed: int = SEED) -> dict[int, int]:
    """Available units by product id; about one product in twenty is sold out."""
    rng = random.Random(seed)
    levels: dict[int, int] = {}
    for product_id in range(1, count + 1):
        sold_out = rng.random() < SOLD_OUT_SHARE
        levels[product_id] = 0 if sold_out else rng.randint(3, 250)
    return levels


async def load_demo_data(database_url: str) -> int:
    """Insert the missing demo stock rows; returns how many were inserted."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('polyshop.demo'))"))
            rows = [{"product_id": pid, "available": n} for pid, n in demo_levels().items()]
            result = await session.execute(
                insert(Stock)
                .values(rows)
                .on_conflict_do_nothing(index_elements=[Stock.product_id])
                .returning(Stock.product_id)
            )
            return len(result.all())
    finally:
        await engine.dispose()
