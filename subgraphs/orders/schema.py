"""The orders subgraph's schema: a customer's orders, placing and cancelling them.

Resolvers stay thin: they check the caller, call ``service.py`` inside the request's session
and convert rows to GraphQL objects. Print the SDL committed in ``schema/orders.graphql``
with ``python -m subgraphs.orders.schema > schema/orders.graphql``.
"""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth.guards import identity_of, require_user
from subgraphs.kit.pagination import Connection, page_size
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.orders import service
from subgraphs.orders.inputs import PlaceOrderInput
from subgraphs.orders.loaders import catalog_of
from subgraphs.orders.models import OrderStatus
from subgraphs.orders.objects import (
    PAGE_SIZE_DEFAULT,
    OrderType,
    UserType,
    context_of,
    order_page,
)
from subgraphs.orders.settings import OrdersSettings

CONSTRAINT_MESSAGES = {
    "orders_user_idempotency_key": "This idempotency key was already used",
    "order_items_quantity_positive": "Quantities must be positive",
    "orders_currency_iso": "The currency must be an ISO 4217 code",
}


@strawberry.type
class Query:
    @strawberry.field(  # type: ignore[untyped-decorator]
        description="An order of the caller (admins and services: any order).",
        directives=[Authenticated()],
    )
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> OrderType | None:
        row = await context_of(info).loaders.order.load(service.parse_order_id(id))
        if row is None or not service.can_view(identity_of(info), row):
            return None
        return OrderType.from_row(row)

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="The signed-in user's orders, newest first.",
        directives=[Authenticated(), page_size(PAGE_SIZE_DEFAULT)],
    )
    async def my_orders(
        self,
        info: strawberry.Info,
        status: OrderStatus | None = None,
        first: int | None = PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Connection[OrderType]:
        user_id = service.user_id_of(require_user(info))
        return await order_page(info, user_id, status=status, first=first, after=after)


def _settings(info: strawberry.Info) -> OrdersSettings:
    request = context_of(info).request
    settings = getattr(request.app.state, "settings", None) if request is not None else None
    return settings if isinstance(settings, OrdersSettings) else OrdersSettings()


@strawberry.type
class Mutation:
    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Places an order at today's prices. Sending the same idempotencyKey again "
        "returns the same order; a different order under a used key fails with CONFLICT.",
        directives=[Authenticated()],
    )
    async def place_order(
        self, info: strawberry.Info, input: PlaceOrderInput, idempotency_key: str
    ) -> OrderType:
        context = context_of(info)
        settings = _settings(info)
        request = service.build_request(
            user_id=service.user_id_of(require_user(info)),
            items=[(item.product_id, item.quantity) for item in input.items],
            currency=input.currency,
            idempotency_key=idempotency_key,
            max_items=settings.orders_max_items,
            max_quantity=settings.orders_max_quantity,
        )
        async with context.db() as session:
            existing = await service.find_by_idempotency_key(
                session, request.user_id, request.idempotency_key
            )
        if existing is not None:
            return OrderType.from_row(service.same_request(existing, request))
        # Give the connection back while products answers; the write opens a new transaction.
        await context.uow.finish(commit=False)
        quotes = await catalog_of(context).quotes(
            [line.product_id for line in request.lines], correlation_id=context.correlation_id
        )
        lines = service.price_lines(request, quotes)
        async with context.db() as session:
            order = await service.place_order(
                session, request, lines, correlation_id=context.correlation_id
            )
        return OrderType.from_row(order)

    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Cancels an order not yet paid (CONFLICT otherwise); customer or admin.",
        directives=[Authenticated()],
    )
    async def cancel_order(
        self, info: strawberry.Info, id: strawberry.ID, reason: str | None = None
    ) -> OrderType:
        actor = require_user(info)
        async with context_of(info).db() as session:
            order = await service.cancel_order(session, service.parse_order_id(id), actor, reason)
        return OrderType.from_row(order)

    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Admin only: a paid order was shipped (PAID to FULFILLED).",
        directives=[Authenticated()],
    )
    async def fulfill_order(self, info: strawberry.Info, id: strawberry.ID) -> OrderType:
        actor = require_user(info)
        async with context_of(info).db() as session:
            order = await service.fulfil_order(session, service.parse_order_id(id), actor)
        return OrderType.from_row(order)


schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[OrderType, UserType],
    constraint_messages=CONSTRAINT_MESSAGES,
)


def sdl() -> str:
    """The SDL to commit as ``schema/orders.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
