"""GraphQL object types: the ``Payment`` entity, and ``Order.payment``/``Order.payments`` on
orders' entity (one loader, so both fields of a batch of orders cost one statement).

A payment is shown to its order's user, admins and services; anyone else gets null, the
way a missing entity looks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth import identity_of
from subgraphs.kit.ids import uuid_id
from subgraphs.kit.scalars import Money
from subgraphs.payments import models
from subgraphs.payments.loaders import PaymentContext
from subgraphs.payments.service import may_see


def payment_uuid(value: object) -> uuid.UUID | None:
    return uuid_id(value)


@strawberry.enum(name="PaymentStatus")
class PaymentStatus(Enum):
    INITIATED = "INITIATED"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


@strawberry.federation.type(name="Payment", keys=["id"], directives=[Authenticated()])
class PaymentType:
    id: strawberry.ID
    amount: Money = strawberry.field(description="Taken from the order, never from the client.")
    currency: str = strawberry.field(description="ISO 4217 code.")
    status: PaymentStatus
    provider: str
    provider_ref: str | None = strawberry.field(description="The provider's own reference.")
    failure_code: str | None = strawberry.field(
        description="Why the card was declined, e.g. card_declined, insufficient_funds."
    )
    failure_reason: str | None
    card_brand: str
    card_last4: str
    created_at: datetime
    updated_at: datetime
    order_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Payment) -> PaymentType:
        return cls(
            id=strawberry.ID(str(row.id)),
            amount=Money(row.amount),
            currency=row.currency,
            status=PaymentStatus(row.status),
            provider=row.provider,
            provider_ref=row.provider_ref,
            failure_code=row.failure_code,
            failure_reason=row.failure_reason,
            card_brand=row.card_brand,
            card_last4=row.card_last4,
            created_at=row.created_at,
            updated_at=row.updated_at,
            order_id=row.order_id,
        )

    @classmethod
    def visible(
        cls, info: strawberry.Info[PaymentContext, None], row: models.Payment | None
    ) -> PaymentType | None:
        if row is None or not may_see(identity_of(info), row.user_id):
            return None
        return cls.from_row(row)

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[PaymentContext, None], id: strawberry.ID
    ) -> PaymentType | None:
        key = payment_uuid(id)
        if key is None:
            return None
        return cls.visible(info, await info.context.loaders.payment.load(key))

    @strawberry.field(description="The order this payment is for.")
    def order(self) -> OrderType | None:
        return OrderType(id=strawberry.ID(self.order_id))


@strawberry.federation.type(name="Order", keys=["id"])
class OrderType:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> OrderType:
        return cls(id=id)

    @strawberry.field(description="The order's latest payment attempt; null before the first.")
    async def payment(self, info: strawberry.Info[PaymentContext, None]) -> PaymentType | None:
        rows = await info.context.loaders.payments_of_order.load(str(self.id))
        return PaymentType.visible(info, rows[0] if rows else None)

    @strawberry.field(
        description="Every payment attempt of the order, newest first (empty before the first)."
    )
    async def payments(
        self, info: strawberry.Info[PaymentContext, None]
    ) -> list[PaymentType] | None:
        rows = await info.context.loaders.payments_of_order.load(str(self.id))
        return [payment for row in rows if (payment := PaymentType.visible(info, row))]
