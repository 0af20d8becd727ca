"""The payments subgraph's schema: ``payOrder``, ``payment`` and the two entities.

Print the SDL committed in ``schema/payments.graphql`` with
``python -m subgraphs.payments.schema > schema/payments.graphql``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth import identity_of
from subgraphs.kit.auth.guards import require_identity
from subgraphs.kit.errors import NotFound
from subgraphs.kit.events import ContractError, Envelope
from subgraphs.kit.events.contracts import PaymentFailed, PaymentSucceeded
from subgraphs.kit.events.live import LiveSpec, live_of
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.payments import service
from subgraphs.payments.cards import Card
from subgraphs.payments.inputs import CardInput
from subgraphs.payments.loaders import PaymentContext
from subgraphs.payments.objects import OrderType, PaymentType, payment_uuid


@strawberry.type
class Query:
    @strawberry.field(description="A payment by id, for its customer, admins and services.")
    async def payment(
        self, info: strawberry.Info[PaymentContext, None], id: strawberry.ID
    ) -> PaymentType | None:
        key = payment_uuid(id)
        if key is None:
            return None
        return PaymentType.visible(info, await info.context.loaders.payment.load(key))


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        directives=[Authenticated()],
        description="Pay an order awaiting payment with a card, for the amount of the order. "
        "A declined card gives a FAILED payment (and the order is cancelled). When the "
        "provider does not answer in time the payment is INITIATED and settled later by "
        "reconciliation; retrying with the same idempotencyKey returns the payment as it "
        "stands and never charges again.",
    )
    async def pay_order(
        self,
        info: strawberry.Info[PaymentContext, None],
        order_id: strawberry.ID,
        card: CardInput,
        idempotency_key: str,
    ) -> PaymentType:
        context = info.context
        resources = context.resources
        request = service.PayRequest(
            order_id=str(order_id),
            card=Card.parse(card.number, card.exp_month, card.exp_year, card.cvc, context.now),
            idempotency_key=service.check_idempotency_key(idempotency_key),
        )
        row = await service.pay_order(
            context.db,
            request,
            identity_of(info),
            resources.provider,
            event_source=resources.settings.payments_event_source,
            provider_timeout=resources.settings.payments_provider_timeout,
        )
        return PaymentType.from_row(row)


def live_spec(event_source: str) -> LiveSpec:
    """Payment outcomes of ``event_source``, keyed by their order."""

    def keys_of(event: Envelope) -> list[str]:
        for outcome in (PaymentSucceeded, PaymentFailed):
            if event.type == outcome.event_type:
                with contextlib.suppress(ContractError):
                    return [f"order:{outcome.parse(event).order_id}"]
        return []

    return LiveSpec(subjects=(f"polyshop.{event_source}.>",), keys_of=keys_of)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The order's latest payment attempt now (when there is one), then after "
        "each outcome (SUCCESS or FAILED) or new attempt; for the order's customer, admins "
        "and services allowed to read payments. Someone else's order is NOT_FOUND.",
        directives=[Authenticated()],
    )
    async def payment_updated(
        self, info: strawberry.Info[PaymentContext, None], order_id: strawberry.ID
    ) -> AsyncGenerator[PaymentType, None]:
        identity = require_identity(info)
        context = info.context
        key = str(order_id)
        sent: tuple[object, ...] | None = None
        async with await live_of(info).subscribe([f"order:{key}"]) as events:
            # Subscribed first, read second: an outcome in between is not lost.
            pending = True
            while True:
                if pending:
                    await context.uow.finish(commit=False)
                    async with context.db() as session:
                        row = await service.latest_payment(session, key)
                        if row is not None:
                            session.expunge(row)  # kept as read when the session ends
                    await context.uow.finish(commit=False)
                    if row is not None:
                        if not service.may_see(identity, row.user_id):
                            raise NotFound(f"Order {key} has no payment", orderId=key)
                        state = (row.id, row.status, row.updated_at)
                        if state != sent:
                            sent = state
                            yield PaymentType.from_row(row)
                await events.__anext__()
                pending = True


schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[PaymentType, OrderType],
    constraint_messages=service.CONSTRAINT_MESSAGES,
)


def sdl() -> str:
    """The SDL to commit as ``schema/payments.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
