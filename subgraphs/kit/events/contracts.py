"""The event contracts: one typed payload per event type, shared by producers and consumers.

An event's ``data`` is one of these models, serialized to plain JSON (``model_dump(mode=
"json")``: decimals as their exact text). A producer builds the payload and publishes it
with `new_event`, so it cannot write an event its consumers would not read; a consumer
registers ``on(OrderCreated, handle)`` and ``handle`` gets the payload parsed into the type.

A payload that does not validate is not retried (no redelivery makes it valid): the consumer
dead-letters it at once and counts it (``EventConsumer.invalid_payloads``, see `consumer`).
Fields a consumer does not know are ignored, so a producer may add a field before its
consumers read it; removing or retyping one is a new event type.

Ids travel as text (orders' UUIDs, products' integer ids as decimal text); a number where
text is expected is taken as its text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events.consumer import Handler
from subgraphs.kit.events.envelope import ContractError, Envelope, new_envelope

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A non-blank id, as text."""
ProductId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9][0-9]*$")]
"""A product's id: a positive integer, as text."""
Quantity = Annotated[int, Field(strict=True, gt=0)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False)]
PositiveAmount = Annotated[Decimal, Field(allow_inf_nan=False, gt=0)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class EventPayload(BaseModel):
    """Base of the payloads; ``event_type`` is the type (``"order.created"``) it is the data
    of."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)
    event_type: ClassVar[str]

    @classmethod
    def parse(cls: type[PayloadT], envelope: Envelope) -> PayloadT:
        """``envelope``'s data as this payload; `ContractError` when it does not match."""
        if envelope.type != cls.event_type:
            raise ContractError(f"{envelope.type} event {envelope.id} is not {cls.event_type}")
        try:
            return cls.model_validate(envelope.data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'data'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise ContractError(
                f"{envelope.type} event {envelope.id} breaks its contract: {problems}"
            ) from None

    def data(self) -> dict[str, object]:
        """The payload as the event's ``data`` (plain JSON values)."""
        return self.model_dump(mode="json")


PayloadT = TypeVar("PayloadT", bound=EventPayload)


# --- orders ----------------------------------------------------------------------------


class OrderedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)
    product_id: ProductId
    quantity: Quantity
    unit_price: Amount


class OrderCreated(EventPayload):
    """An order was placed (status CREATED); inventory answers with a reservation."""

    event_type: ClassVar[str] = "order.created"
    order_id: Id
    user_id: Id
    currency: Currency
    total_amount: Amount
    items: Annotated[list[OrderedItem], Field(min_length=1)]


class OrderAwaitingPayment(EventPayload):
    """The order's stock is held; it waits for its payment (status PENDING_PAYMENT)."""

    event_type: ClassVar[str] = "order.awaiting_payment"
    order_id: Id
    user_id: Id
    total_amount: PositiveAmount
    currency: Currency


class OrderPaid(EventPayload):
    event_type: ClassVar[str] = "order.paid"
    order_id: Id


class OrderFulfilled(EventPayload):
    event_type: ClassVar[str] = "order.fulfilled"
    order_id: Id


class OrderCancelled(EventPayload):
    """By the customer, an admin, or a failed payment; inventory releases the stock."""

    event_type: ClassVar[str] = "order.cancelled"
    order_id: Id
    reason: str = ""


class OrderRejected(EventPayload):
    """Stock could not be reserved: cancelled with nothing held (inventory ignores it)."""

    event_type: ClassVar[str] = "order.rejected"
    order_id: Id
    reason: str = ""


# --- products --------------------------------------------------------------------------


class ProductCreated(EventPayload):
    """A product was added to the catalogue (lists and counts of its category change)."""

    event_type: ClassVar[str] = "product.created"
    product_id: ProductId
    version: int
    category_id: Id
    name: str
    price: Amount
    currency: Currency
    active: bool


class ProductUpdated(EventPayload):
    """A product changed: ``changed`` names what did, as the service's fields (``price``,
    ``name``, ``active``, ``category_id``, ...) plus ``images`` and ``discounts`` for its
    gallery and discounts; the other fields are the product as it now is. ``version`` is the
    row's version after the change (a consumer can drop an older one it sees late)."""

    event_type: ClassVar[str] = "product.updated"
    product_id: ProductId
    version: int
    changed: Annotated[list[str], Field(min_length=1)]
    name: str
    price: Amount
    currency: Currency
    active: bool


class ProductDeleted(EventPayload):
    """A product was soft-deleted: it leaves lists but still resolves by id."""

    event_type: ClassVar[str] = "product.deleted"
    product_id: ProductId
    version: int


class ProductRestored(EventPayload):
    """A soft-deleted product is back in the catalogue."""

    event_type: ClassVar[str] = "product.restored"
    product_id: ProductId
    version: int


# --- inventory -------------------------------------------------------------------------


class ReservedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)
    product_id: ProductId
    quantity: Quantity


class StockReserved(EventPayload):
    """Every item of the order is held."""

    event_type: ClassVar[str] = "stock.reserved"
    order_id: Id
    items: list[ReservedItem]


class StockRejected(EventPayload):
    """Nothing is held; ``product_ids`` are the products short of stock (if any)."""

    event_type: ClassVar[str] = "stock.rejected"
    order_id: Id
    reason: str
    product_ids: list[ProductId] = []


class StockChanged(EventPayload):
    """Units of products changed outside a reservation (released, confirmed, set by an
    admin), for live subscribers."""

    event_type: ClassVar[str] = "stock.changed"
    product_ids: list[ProductId]
    cause: str


# --- payments --------------------------------------------------------------------------


class PaymentSucceeded(EventPayload):
    event_type: ClassVar[str] = "payment.succeeded"
    order_id: Id
    payment_id: Id
    amount: Amount
    currency: Currency


class PaymentFailed(EventPayload):
    event_type: ClassVar[str] = "payment.failed"
    order_id: Id
    payment_id: Id
    reason: str


CONTRACTS: dict[str, type[EventPayload]] = {
    contract.event_type: contract
    for contract in (
        OrderCreated,
        OrderAwaitingPayment,
        OrderPaid,
        OrderFulfilled,
        OrderCancelled,
        OrderRejected,
        ProductCreated,
        ProductUpdated,
        ProductDeleted,
        ProductRestored,
        StockReserved,
        StockRejected,
        StockChanged,
        PaymentSucceeded,
        PaymentFailed,
    )
}
"""Every event type the services exchange, and its payload."""


def new_event(
    source: str,
    payload: EventPayload,
    *,
    correlation_id: str | None = None,
    caused_by: Envelope | None = None,
) -> Envelope:
    """The envelope of ``payload`` from ``source`` (see `new_envelope` for the correlation)."""
    return new_envelope(
        source,
        payload.event_type,
        payload.data(),
        correlation_id=correlation_id,
        caused_by=caused_by,
    )


Handle = Callable[[AsyncSession, Envelope, PayloadT], Awaitable[None]]


def on(contract: type[PayloadT], handle: Handle[PayloadT]) -> tuple[str, Handler]:
    """``contract``'s event type and a consumer handler that parses the data into it (a
    mismatch raises `ContractError`, which the consumer dead-letters) and calls ``handle``;
    pass them to `handlers`."""

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        await handle(session, envelope, contract.parse(envelope))

    return contract.event_type, handler


def handlers(*typed: tuple[str, Handler]) -> dict[str, Handler]:
    """A `ConsumerSpec`'s handlers from ``on(...)`` pairs; one handler per event type."""
    result = dict(typed)
    if len(result) != len(typed):
        raise ValueError("two handlers for one event type")
    return result
