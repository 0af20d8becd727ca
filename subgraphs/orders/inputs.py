"""GraphQL input types and enums of the orders subgraph."""

from __future__ import annotations

import strawberry

from subgraphs.orders.models import OrderStatus

strawberry.enum(
    OrderStatus,
    name="OrderStatus",
    description="Where an order is in checkout: CREATED → PENDING_PAYMENT → PAID → FULFILLED, "
    "or CANCELLED before payment.",
)


@strawberry.input(description="One product and how many units of it.")
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    items: list[OrderItemInput] = strawberry.field(
        description="A product named twice is ordered once with the quantities added."
    )
    currency: str = strawberry.field(
        description="ISO 4217 code; every product must be priced in it."
    )
