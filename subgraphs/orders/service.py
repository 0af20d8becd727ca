"""Business rules of orders: placing (idempotent, with price snapshots), cancelling, and the
status machine the checkout saga drives.

Every status change goes through `transition`, which consults `TRANSITIONS`; callers lock
the order row first (``SELECT ... FOR UPDATE``) so that a user's cancellation and a saga
event never race each other into an invalid state.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pycountry
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.auth import Principal
from subgraphs.kit.auth.errors import Forbidden
from subgraphs.kit.db import UnitOfWork
from subgraphs.kit.errors import BadUserInput, Conflict, NotFound
from subgraphs.kit.events import Envelope, EventPayload, add_event, new_event
from subgraphs.kit.events.contracts import (
    OrderAwaitingPayment,
    OrderCancelled,
    OrderCreated,
    OrderedItem,
    OrderFulfilled,
    OrderPaid,
    OrderRejected,
)
from subgraphs.kit.ids import bigint_id, uuid_id
from subgraphs.kit.pagination import Page, SortKey, paginate
from subgraphs.orders.catalog import ProductCatalog, ProductQuote
from subgraphs.orders.models import Order, OrderItem, OrderStatus

SERVICE = "orders"
ADMIN_ROLE = "admin"
READ_SCOPE = "orders:read"
IDEMPOTENCY_KEY_MAX = 255
REASON_MAX = 500
CENT = Decimal("0.01")

S = OrderStatus
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.CREATED: frozenset({S.PENDING_PAYMENT, S.CANCELLED}),
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLED}),
    S.CANCELLED: frozenset(),
    S.FULFILLED: frozenset(),
}
"""Which status may follow which; anything else is refused with ``CONFLICT``."""

NEWEST_FIRST = SortKey("NEWEST", (Order.number,), descending=True)


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(order: Order, target: OrderStatus, *, reason: str | None = None) -> None:
    """Move ``order`` to ``target`` or raise `Conflict` naming both statuses."""
    if not can_transition(order.status, target):
        raise Conflict(
            f"Order {order.id} is {order.status.value}; it cannot become {target.value}",
            status=order.status.value,
        )
    order.status = target
    if target is S.CANCELLED:
        order.cancel_reason = reason


# --- placing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated ``placeOrder``: lines merged by product and sorted, currency upper-case."""

    user_id: uuid.UUID
    currency: str
    lines: tuple[OrderLine, ...]
    idempotency_key: str

    @property
    def fingerprint(self) -> str:
        """Tells a retry of this request from a different one under the same key."""
        canonical = {
            "currency": self.currency,
            "lines": [[line.product_id, line.quantity] for line in self.lines],
        }
        return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def user_id_of(identity: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(identity.subject)
    except ValueError:
        raise Forbidden("The token's subject is not a user id") from None


def parse_product_id(value: object, *, field: str) -> int:
    number = bigint_id(value)
    if number is None:
        raise BadUserInput(f"`{field}` is not a valid product id: {value!r}", field=field)
    return number


def parse_order_id(value: object, *, field: str = "id") -> uuid.UUID:
    key = uuid_id(value)
    if key is None:
        raise BadUserInput(f"`{field}` is not a valid order id: {value!r}", field=field)
    return key


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise BadUserInput(
            f"`currency` must be an ISO 4217 currency code, got {value!r}", field="currency"
        )
    return code


def build_request(
    *,
    user_id: uuid.UUID,
    items: Iterable[tuple[object, int]],
    currency: str,
    idempotency_key: str,
    max_items: int,
    max_quantity: int,
) -> OrderRequest:
    """Validates the input of ``placeOrder``; a product named twice has its quantities added."""
    key = idempotency_key.strip()
    if not key:
        raise BadUserInput("`idempotencyKey` must not be empty", field="idempotencyKey")
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise BadUserInput(
            f"`idempotencyKey` is longer than {IDEMPOTENCY_KEY_MAX} characters",
            field="idempotencyKey",
        )
    quantities: dict[int, int] = {}
    for index, (raw_id, quantity) in enumerate(items):
        field = f"items[{index}]"
        product_id = parse_product_id(raw_id, field=f"{field}.productId")
        if quantity <= 0:
            raise BadUserInput(f"`{field}.quantity` must be positive", field=f"{field}.quantity")
        quantities[product_id] = quantities.get(product_id, 0) + quantity
        if quantities[product_id] > max_quantity:
            raise BadUserInput(
                f"At most {max_quantity} units of product {product_id} per order",
                field=f"{field}.quantity",
            )
    if not quantities:
        raise BadUserInput("An order needs at least one item", field="items")
    if len(quantities) > max_items:
        raise BadUserInput(f"An order holds at most {max_items} products", field="items")
    lines = tuple(OrderLine(pid, qty) for pid, qty in sorted(quantities.items()))
    return OrderRequest(
        user_id=user_id, currency=check_currency(currency), lines=lines, idempotency_key=key
    )


@dataclass(frozen=True, slots=True)
class PricedLine:
    product_id: int
    quantity: int
    unit_price: Decimal

    @property
    def total_price(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def price_lines(request: OrderRequest, quotes: Mapping[int, ProductQuote]) -> list[PricedLine]:
    """Snapshots today's prices; every product must exist, be on sale and match the currency."""
    unknown = [line.product_id for line in request.lines if line.product_id not in quotes]
    if unknown:
        raise BadUserInput(
            f"Unknown products: {', '.join(map(str, unknown))}",
            field="items",
            productIds=[str(pid) for pid in unknown],
        )
    unavailable = [
        pid for pid in (line.product_id for line in request.lines) if not quotes[pid].orderable
    ]
    if unavailable:
        raise BadUserInput(
            f"Products not for sale: {', '.join(map(str, unavailable))}",
            field="items",
            productIds=[str(pid) for pid in unavailable],
        )
    foreign = [
        line.product_id
        for line in request.lines
        if quotes[line.product_id].currency != request.currency
    ]
    if foreign:
        raise BadUserInput(
            f"Products priced in another currency than {request.currency}: "
            f"{', '.join(map(str, foreign))}",
            field="currency",
            productIds=[str(pid) for pid in foreign],
        )
    return [
        PricedLine(line.product_id, line.quantity, quotes[line.product_id].price.quantize(CENT))
        for line in request.lines
    ]


async def find_by_idempotency_key(
    session: AsyncSession, user_id: uuid.UUID, key: str
) -> Order | None:
    statement = select(Order).where(Order.user_id == user_id, Order.idempotency_key == key)
    return (await session.scalars(statement)).one_or_none()


def same_request(order: Order, request: OrderRequest) -> Order:
    """The earlier order of this key, if the request is a true retry; `Conflict` otherwise."""
    if order.request_hash != request.fingerprint:
        raise Conflict(
            "This idempotency key was already used for a different order",
            field="idempotencyKey",
            orderId=str(order.id),
        )
    return order


async def place(
    uow: UnitOfWork,
    catalog: ProductCatalog,
    request: OrderRequest,
    *,
    correlation_id: str,
) -> Order:
    """Place ``request`` at the prices products quotes now, or return the order an earlier
    identical request placed (a different order under a used key is a `Conflict`).

    Two transactions of the request's unit of work: the idempotency check reads in the first,
    which ends (its connection back in the pool) before products is asked for prices, since a
    remote call must never hold a database connection; `place_order` writes in the second.
    A concurrent twin that wins the race between them is caught there, by the unique key
    (the order it wrote is returned).
    """
    async with uow.session() as session:
        existing = await find_by_idempotency_key(session, request.user_id, request.idempotency_key)
    if existing is not None:
        return same_request(existing, request)
    await uow.finish(commit=False)
    quotes = await catalog.quotes(
        [line.product_id for line in request.lines], correlation_id=correlation_id
    )
    lines = price_lines(request, quotes)
    async with uow.session() as session:
        return await place_order(session, request, lines, correlation_id=correlation_id)


async def place_order(
    session: AsyncSession,
    request: OrderRequest,
    lines: Sequence[PricedLine],
    *,
    correlation_id: str | None = None,
) -> Order:
    """Writes the order, its items and ``order.created`` in the caller's transaction.

    A concurrent request with the same key waits on the unique index and then returns the
    order the first one wrote.
    """
    total = sum((line.total_price for line in lines), Decimal("0.00"))
    statement = (
        insert(Order)
        .values(
            user_id=request.user_id,
            status=S.CREATED,
            currency=request.currency,
            total_amount=total,
            idempotency_key=request.idempotency_key,
            request_hash=request.fingerprint,
            correlation_id=correlation_id,
        )
        .on_conflict_do_nothing(constraint="orders_user_idempotency_key")
        .returning(Order.id)
    )
    order_id = (await session.execute(statement)).scalar_one_or_none()
    if order_id is None:
        existing = await find_by_idempotency_key(session, request.user_id, request.idempotency_key)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish
            raise Conflict("The order is being placed by another request; retry")
        return same_request(existing, request)
    session.add_all(
        OrderItem(
            order_id=order_id,
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            total_price=line.total_price,
        )
        for line in lines
    )
    await session.flush()
    order = await session.get_one(Order, order_id)
    created = OrderCreated(
        order_id=str(order.id),
        user_id=str(order.user_id),
        currency=order.currency,
        total_amount=order.total_amount,
        items=[
            OrderedItem(
                product_id=str(line.product_id),
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in lines
        ],
    )
    await add_event(session, new_event(SERVICE, created, correlation_id=correlation_id))
    return order


# --- reading ----------------------------------------------------------------------------


def can_view(identity: Principal | None, order: Order) -> bool:
    """The owner, an admin, or a service allowed to read orders."""
    if identity is None:
        return False
    if identity.is_service:
        return identity.has_scope(READ_SCOPE)
    return identity.subject == str(order.user_id) or identity.has_role(ADMIN_ROLE)


def can_list_for(identity: Principal | None, user_id: uuid.UUID) -> bool:
    if identity is None:
        return False
    if identity.is_service:
        return identity.has_scope(READ_SCOPE)
    return identity.subject == str(user_id) or identity.has_role(ADMIN_ROLE)


def orders_of(user_id: uuid.UUID, status: OrderStatus | None = None) -> Select[Order]:
    statement = select(Order).where(Order.user_id == user_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    return statement


async def list_orders(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    status: OrderStatus | None,
    first: int,
    after: str | None,
) -> Page[Order]:
    return await paginate(
        session, orders_of(user_id, status), NEWEST_FIRST, first=first, after=after
    )


# --- changing status --------------------------------------------------------------------


async def locked_order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    statement = select(Order).where(Order.id == order_id).with_for_update()
    return (await session.scalars(statement)).one_or_none()


def clean_reason(reason: str | None, default: str) -> str:
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        raise BadUserInput(f"`reason` is longer than {REASON_MAX} characters", field="reason")
    return text or default


async def cancel_order(
    session: AsyncSession, order_id: uuid.UUID, actor: Principal, reason: str | None = None
) -> Order:
    """The owner or an admin cancels an order that is not paid yet; emits ``order.cancelled``."""
    why = clean_reason(reason, "cancelled by customer")
    order = await locked_order(session, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist", id=str(order_id))
    if actor.is_service or not (actor.subject == str(order.user_id) or actor.has_role(ADMIN_ROLE)):
        raise Forbidden("Only the customer who placed the order or an admin may cancel it")
    transition(order, S.CANCELLED, reason=why)
    await session.flush()
    await _emit(session, cancelled(order))
    return order


async def fulfil_order(session: AsyncSession, order_id: uuid.UUID, actor: Principal) -> Order:
    """An admin records that a paid order was shipped; emits ``order.fulfilled``."""
    if actor.is_service or not actor.has_role(ADMIN_ROLE):
        raise Forbidden("Only an admin may mark an order fulfilled")
    order = await locked_order(session, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist", id=str(order_id))
    transition(order, S.FULFILLED)
    await session.flush()
    await _emit(session, OrderFulfilled(order_id=str(order.id)))
    return order


async def _emit(
    session: AsyncSession, payload: EventPayload, *, caused_by: Envelope | None = None
) -> None:
    await add_event(session, new_event(SERVICE, payload, caused_by=caused_by))


def awaiting_payment(order: Order) -> OrderAwaitingPayment:
    return OrderAwaitingPayment(
        order_id=str(order.id),
        user_id=str(order.user_id),
        total_amount=order.total_amount,
        currency=order.currency,
    )


def paid(order: Order) -> OrderPaid:
    return OrderPaid(order_id=str(order.id))


def cancelled(order: Order) -> OrderCancelled:
    return OrderCancelled(order_id=str(order.id), reason=order.cancel_reason or "")


def rejected(order: Order) -> OrderRejected:
    return OrderRejected(order_id=str(order.id), reason=order.cancel_reason or "")


@dataclass(frozen=True, slots=True)
class SagaStep:
    """What a saga event does to an order: from which status to which, and the event orders
    publishes when it happened (its payload made from the changed order)."""

    source: OrderStatus
    target: OrderStatus
    emits: Callable[[Order], EventPayload] | None

    def __post_init__(self) -> None:
        if not can_transition(self.source, self.target):
            raise ValueError(f"{self.source.value} -> {self.target.value} is not a transition")


async def advance(
    session: AsyncSession,
    order_id: str,
    step: SagaStep,
    *,
    caused_by: Envelope,
    reason: str | None = None,
) -> Order | None:
    """Applies the saga event ``caused_by`` to its order, once; returns the order when it
    changed.

    An order not in the step's source status (a replay, or the customer cancelled first) is
    left alone: the event is stale, not an error worth retrying.
    """
    order = await locked_order(session, parse_order_id(order_id, field="order_id"))
    if order is None or order.status is not step.source:
        return None
    transition(order, step.target, reason=reason)
    await session.flush()
    if step.emits is not None:
        await _emit(session, step.emits(order), caused_by=caused_by)
    return order


async def count(session: AsyncSession, statement: Select[Order]) -> int:
    subquery = statement.subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)
