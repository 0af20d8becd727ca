"""The inventory subgraph's schema: stock on ``Product``, admin stock changes, reservations.

Print the SDL committed in ``schema/inventory.graphql`` with
``python -m subgraphs.inventory.schema > schema/inventory.graphql``.
"""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.inventory import service
from subgraphs.inventory.objects import ProductType, ReservationType, context_of
from subgraphs.kit.auth.guards import require_grant, require_role
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.schema import build_schema, print_sdl

ADMIN = "admin"
READ_SCOPE = "inventory:read"
"""Lets a service read any order's reservations (inventory does not know who ordered)."""
ORDER_ID_MAX = 64


def _order_id(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > ORDER_ID_MAX:
        raise BadUserInput(f"`orderId` must be 1 to {ORDER_ID_MAX} characters", field="orderId")
    return cleaned


@strawberry.type
class Query:
    @strawberry.field(
        description="The reservations of one order, by product id. Admins and services "
        "granted inventory:read only.",
        directives=[Authenticated()],
    )
    async def reservations(
        self, info: strawberry.Info, order_id: strawberry.ID
    ) -> list[ReservationType]:
        require_grant(info, role=ADMIN, scope=READ_SCOPE, what="Reading reservations")
        async with context_of(info).db() as session:
            rows = await service.reservations_of(session, _order_id(order_id))
        return [ReservationType.from_row(row) for row in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: set the units available (reserved ones are kept).",
        directives=[Authenticated()],
    )
    async def set_stock(
        self, info: strawberry.Info, product_id: strawberry.ID, available: int
    ) -> ProductType:
        require_role(info, ADMIN)
        context = context_of(info)
        async with context.db() as session:
            row = await service.set_stock(session, service.product_id(product_id), available)
        context.loaders.stock.prime(row.product_id, row)
        return ProductType.from_row(row)

    @strawberry.mutation(
        description="Admin: add delta units (negative to remove); BAD_USER_INPUT if the "
        "result would be negative.",
        directives=[Authenticated()],
    )
    async def adjust_stock(
        self, info: strawberry.Info, product_id: strawberry.ID, delta: int
    ) -> ProductType:
        require_role(info, ADMIN)
        context = context_of(info)
        async with context.db() as session:
            row = await service.adjust_stock(session, service.product_id(product_id), delta)
        context.loaders.stock.prime(row.product_id, row)
        return ProductType.from_row(row)


schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[ProductType],
    constraint_messages=service.CONSTRAINT_MESSAGES,
)


def sdl() -> str:
    """The SDL to commit as ``schema/inventory.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
