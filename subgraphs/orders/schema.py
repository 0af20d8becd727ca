"""The orders subgraph's schema: a customer's orders, placing and cancelling them.

Resolvers stay thin: they check the caller, call ``service.py`` inside the request's session
and convert rows to GraphQL objects. Print the SDL committed in ``schema/orders.graphql``
with ``python -m subgraphs.orders.schema > schema/orders.graphql``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth.guards import identity_of, require_identity, require_user
from subgraphs.kit.errors import NotFound
from subgraphs.kit.events.live import LiveSpec, live_of
from subgraphs.kit.pagination import Connection, page_size
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.orders import models, service
from subgraphs.orders.inputs import PlaceOrderInput
from subgraphs.orders.loaders import OrderContext
from subgraphs.orders.models import OrderStatus
from subgraphs.orders.objects import (
    PAGE_SIZE_DEFAULT,
    OrderType,
    UserType,
    order_page,
)

CONSTRAINT_MESSAGES = {
    "orders_user_idempotency_key": "This idempotency key was already used",
    "order_items_quantity_positive": "Quantities must be positive",
    "orders_currency_iso": "The currency must be an ISO 4217 code",
}


@strawberry.type
class Query:
    @strawberry.field(
        description="An order of the caller (admins and services: any order).",
        directives=[Authenticated()],
    )
    async def order(
        self, info: strawberry.Info[OrderContext, None], id: strawberry.ID
    ) -> OrderType | None:
        row = await info.context.loaders.order.load(service.parse_order_id(id))
        if row is None or not service.can_view(identity_of(info), row):
            return None
        return OrderType.from_row(row)

    @strawberry.field(
        description="The signed-in user's orders, newest first.",
        directives=[Authenticated(), page_size(PAGE_SIZE_DEFAULT)],
    )
    async def my_orders(
        self,
        info: strawberry.Info[OrderContext, None],
        status: OrderStatus | None = None,
        first: int | None = PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Connection[OrderType]:
        user_id = service.user_id_of(require_user(info))
        return await order_page(info, user_id, status=status, first=first, after=after)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Places an order at today's prices. Sending the same idempotencyKey again "
        "returns the same order; a different order under a used key fails with CONFLICT.",
        directives=[Authenticated()],
    )
    async def place_order(
        self,
        info: strawberry.Info[OrderContext, None],
        input: PlaceOrderInput,
        idempotency_key: str,
    ) -> OrderType:
        context = info.context
        settings = context.resources.settings
        request = service.build_request(
            user_id=service.user_id_of(require_user(info)),
            items=[(item.product_id, item.quantity) for item in input.items],
            currency=input.currency,
            idempotency_key=idempotency_key,
            max_items=settings.orders_max_items,
            max_quantity=settings.orders_max_quantity,
        )
        order = await service.place(
            context.uow, context.resources.catalog, request, correlation_id=context.correlation_id
        )
        return OrderType.from_row(order)

    @strawberry.mutation(
        description="Cancels an order not yet paid (CONFLICT otherwise); customer or admin.",
        directives=[Authenticated()],
    )
    async def cancel_order(
        self,
        info: strawberry.Info[OrderContext, None],
        id: strawberry.ID,
        reason: str | None = None,
    ) -> OrderType:
        actor = require_user(info)
        async with info.context.db() as session:
            order = await service.cancel_order(session, service.parse_order_id(id), actor, reason)
        return OrderType.from_row(order)

    @strawberry.mutation(
        description="Admin only: a paid order was shipped (PAID to FULFILLED).",
        directives=[Authenticated()],
    )
    async def fulfill_order(
        self, info: strawberry.Info[OrderContext, None], id: strawberry.ID
    ) -> OrderType:
        actor = require_user(info)
        async with info.context.db() as session:
            order = await service.fulfil_order(session, service.parse_order_id(id), actor)
        return OrderType.from_row(order)


def order_keys(data: dict[str, object]) -> list[str]:
    """The live-event key of an orders event: the order it is about."""
    order_id = data.get("order_id")
    return [f"order:{order_id}"] if isinstance(order_id, str) else []


LIVE = LiveSpec(subjects=("polyshop.orders.>",), keys_of=lambda event: order_keys(event.data))
"""Every status change of an order, the saga's included, is an orders event."""


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The order now, then the order after each change of it (status, cancel "
        "reason), in order; for its customer, admins and services allowed to read orders. "
        "An order the caller may not see is NOT_FOUND, as if it did not exist.",
        directives=[Authenticated()],
    )
    async def order_updated(
        self, info: strawberry.Info[OrderContext, None], order_id: strawberry.ID
    ) -> AsyncGenerator[OrderType, None]:
        identity = require_identity(info)
        key = service.parse_order_id(order_id, field="orderId")
        context = info.context
        async with await live_of(info).subscribe([f"order:{key}"]) as events:
            # Subscribed first, read second: nothing happens unseen in between.
            sent = 0
            while True:
                row = await _current(info, key)
                if sent == 0 and (row is None or not service.can_view(identity, row)):
                    raise NotFound(f"Order {order_id} does not exist", id=str(order_id))
                if row is not None and row.row_version > sent:
                    sent = row.row_version
                    # The loaders' rows of the last event ended with its session.
                    context.loaders.items.clear_all()
                    context.loaders.order.clear_all()
                    yield OrderType.from_row(row)
                # No connection held while waiting for the next event.
                await context.uow.finish(commit=False)
                await events.__anext__()


async def _current(
    info: strawberry.Info[OrderContext, None], key: uuid.UUID
) -> models.Order | None:
    """The committed order, read afresh (never from a loader: the subscription outlives it)."""
    context = info.context
    await context.uow.finish(commit=False)
    async with context.db() as session:
        return await session.get(models.Order, key, populate_existing=True)


schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[OrderType, UserType],
    constraint_messages=CONSTRAINT_MESSAGES,
)


def sdl() -> str:
    """The SDL to commit as ``schema/orders.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
