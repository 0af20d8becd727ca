"""The inventory subgraph's schema: stock on ``Product``, admin stock changes, reservations.

Print the SDL committed in ``schema/inventory.graphql`` with
``python -m subgraphs.inventory.schema > schema/inventory.graphql``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.inventory import service
from subgraphs.inventory.events import add_stock_changed, changed_products
from subgraphs.inventory.loaders import InventoryContext
from subgraphs.inventory.objects import ProductType, ReservationType
from subgraphs.kit.auth.guards import require_grant, require_role
from subgraphs.kit.cache import invalidate, public
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.events.live import LiveSpec, live_of
from subgraphs.kit.schema import build_schema, print_sdl

ADMIN = "admin"
READ_SCOPE = "inventory:read"
"""Lets a service read any order's reservations (inventory does not know who ordered)."""
ORDER_ID_MAX = 64
WATCH_MAX = 100
"""Products one ``stockChanged`` subscription may watch."""

LIVE = LiveSpec(
    subjects=("polyshop.inventory.>",),
    keys_of=lambda event: [f"product:{pid}" for pid in changed_products(event)],
)


def _order_id(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > ORDER_ID_MAX:
        raise BadUserInput(f"`orderId` must be 1 to {ORDER_ID_MAX} characters", field="orderId")
    return cleaned


STOCK_MAX_AGE = 5
"""Seconds the router may serve stock from its entity cache: units move with every order
(``stock.changed`` events and admin writes drop the entries sooner)."""


@strawberry.type
class Query:
    @strawberry.field(
        description="The reservations of one order, by product id. Admins and services "
        "granted inventory:read only.",
        directives=[Authenticated()],
    )
    async def reservations(
        self, info: strawberry.Info[InventoryContext, None], order_id: strawberry.ID
    ) -> list[ReservationType]:
        require_grant(info, role=ADMIN, scope=READ_SCOPE, what="Reading reservations")
        async with info.context.db() as session:
            rows = await service.reservations_of(session, _order_id(order_id))
        return [ReservationType.from_row(row) for row in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: set the units available (reserved ones are kept).",
        directives=[Authenticated()],
    )
    async def set_stock(
        self,
        info: strawberry.Info[InventoryContext, None],
        product_id: strawberry.ID,
        available: int,
    ) -> ProductType:
        require_role(info, ADMIN)
        context = info.context
        async with context.db() as session:
            row = await service.set_stock(session, service.product_id(product_id), available)
            await add_stock_changed(session, [row.product_id], "set")
        context.loaders.stock.prime(row.product_id, row)
        invalidate("Product", {"id": row.product_id})
        return ProductType.from_row(row)

    @strawberry.mutation(
        description="Admin: add delta units (negative to remove); BAD_USER_INPUT if the "
        "result would be negative.",
        directives=[Authenticated()],
    )
    async def adjust_stock(
        self, info: strawberry.Info[InventoryContext, None], product_id: strawberry.ID, delta: int
    ) -> ProductType:
        require_role(info, ADMIN)
        context = info.context
        async with context.db() as session:
            row = await service.adjust_stock(session, service.product_id(product_id), delta)
            await add_stock_changed(session, [row.product_id], "adjusted")
        context.loaders.stock.prime(row.product_id, row)
        invalidate("Product", {"id": row.product_id})
        return ProductType.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each watched product with its stock now, then a product each time its "
        "units change (reserved, released, sold, set by an admin); public like Product.stock. "
        f"At most {WATCH_MAX} products.",
    )
    async def stock_changed(
        self, info: strawberry.Info[InventoryContext, None], product_ids: list[strawberry.ID]
    ) -> AsyncGenerator[ProductType, None]:
        ids = sorted({service.product_id(pid, field="productIds") for pid in product_ids})
        if not ids or len(ids) > WATCH_MAX:
            raise BadUserInput(
                f"`productIds` must name 1 to {WATCH_MAX} products", field="productIds"
            )
        context = info.context
        sent: dict[int, tuple[int, int]] = {}
        async with await live_of(info).subscribe(f"product:{pid}" for pid in ids) as events:
            # Subscribed first, read second: a change in between is not lost.
            wanted = ids
            while True:
                await context.uow.finish(commit=False)
                async with context.db() as session:
                    rows = await service.stock_of(session, wanted)
                    session.expunge_all()  # kept as read when the session ends
                await context.uow.finish(commit=False)
                for pid in wanted:
                    row = rows.get(pid)
                    state = (row.available, row.reserved) if row is not None else (0, 0)
                    if sent.get(pid) != state:
                        sent[pid] = state
                        context.loaders.stock.prime(pid, row, force=True)
                        yield ProductType.of(pid)
                event = await events.__anext__()
                wanted = sorted({int(pid) for pid in changed_products(event)} & set(ids))


schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[ProductType],
    constraint_messages=service.CONSTRAINT_MESSAGES,
    cache_hints={"Product": public(STOCK_MAX_AGE)},
)


def sdl() -> str:
    """The SDL to commit as ``schema/inventory.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
