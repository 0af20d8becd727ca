"""The payments subgraph's schema: ``payOrder``, ``payment`` and the two entities.

Print the SDL committed in ``schema/payments.graphql`` with
``python -m subgraphs.payments.schema > schema/payments.graphql``.
"""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth import identity_of
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.payments import service
from subgraphs.payments.cards import Card
from subgraphs.payments.inputs import CardInput
from subgraphs.payments.objects import OrderType, PaymentType, context_of, payment_uuid
from subgraphs.payments.settings import PaymentsRuntime


def runtime_of(info: strawberry.Info) -> PaymentsRuntime:
    runtime: PaymentsRuntime = info.context.request.app.state.payments
    return runtime


@strawberry.type
class Query:
    @strawberry.field(description="A payment by id, for its customer, admins and services.")
    async def payment(self, info: strawberry.Info, id: strawberry.ID) -> PaymentType | None:
        key = payment_uuid(id)
        if key is None:
            return None
        return PaymentType.visible(info, await context_of(info).loaders.payment.load(key))


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
        info: strawberry.Info,
        order_id: strawberry.ID,
        card: CardInput,
        idempotency_key: str,
    ) -> PaymentType:
        context = context_of(info)
        runtime = runtime_of(info)
        request = service.PayRequest(
            order_id=str(order_id),
            card=Card.parse(card.number, card.exp_month, card.exp_year, card.cvc, context.now),
            idempotency_key=service.check_idempotency_key(idempotency_key),
        )
        row = await service.pay_order(
            context.db,
            request,
            identity_of(info),
            runtime.provider,
            event_source=runtime.event_source,
            provider_timeout=runtime.provider_timeout,
        )
        return PaymentType.from_row(row)


schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[PaymentType, OrderType],
    constraint_messages=service.CONSTRAINT_MESSAGES,
)


def sdl() -> str:
    """The SDL to commit as ``schema/payments.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
