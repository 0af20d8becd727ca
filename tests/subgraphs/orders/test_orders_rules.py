"""The business rules that need no database: the status machine and input validation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from subgraphs.kit.errors import BadUserInput, Conflict
from subgraphs.orders.catalog import ProductQuote
from subgraphs.orders.events import AWAIT_PAYMENT, FAIL_PAYMENT, PAY, REJECT
from subgraphs.orders.models import Order, OrderStatus
from subgraphs.orders.service import (
    TRANSITIONS,
    SagaStep,
    build_request,
    can_transition,
    price_lines,
    transition,
)

S = OrderStatus
USER = uuid.uuid4()


def request(items: list[tuple[object, int]], currency: str = "usd", key: str = " k ") -> object:
    return build_request(
        user_id=USER,
        items=items,
        currency=currency,
        idempotency_key=key,
        max_items=3,
        max_quantity=10,
    )


def test_every_status_has_a_row_and_terminal_states_go_nowhere() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert TRANSITIONS[S.FULFILLED] == frozenset()
    assert can_transition(S.CREATED, S.PENDING_PAYMENT)
    assert can_transition(S.PENDING_PAYMENT, S.PAID)
    assert not can_transition(S.CREATED, S.PAID)  # never paid before stock is reserved
    assert not can_transition(S.PAID, S.CANCELLED)


@pytest.mark.parametrize("current", list(OrderStatus))
def test_transition_refuses_what_the_table_does_not_allow(current: OrderStatus) -> None:
    for target in OrderStatus:
        order = Order(status=current)
        if target in TRANSITIONS[current]:
            transition(order, target, reason="why")
            assert order.status is target
        else:
            with pytest.raises(Conflict):
                transition(order, target)
            assert order.status is current


def test_saga_steps_follow_the_table() -> None:
    assert (AWAIT_PAYMENT.source, AWAIT_PAYMENT.target) == (S.CREATED, S.PENDING_PAYMENT)
    assert (REJECT.source, PAY.source, FAIL_PAYMENT.source) == (
        S.CREATED,
        S.PENDING_PAYMENT,
        S.PENDING_PAYMENT,
    )
    with pytest.raises(ValueError, match="not a transition"):
        SagaStep(S.CANCELLED, S.PAID, emits=None)


def test_requests_merge_lines_and_fingerprint_what_matters() -> None:
    a = build_request(
        user_id=USER,
        items=[("2", 1), ("1", 2), ("2", 3)],
        currency="eur",
        idempotency_key=" k ",
        max_items=3,
        max_quantity=10,
    )
    assert [(line.product_id, line.quantity) for line in a.lines] == [(1, 2), (2, 4)]
    assert (a.currency, a.idempotency_key) == ("EUR", "k")
    b = build_request(
        user_id=USER,
        items=[("1", 2), ("2", 4)],
        currency="EUR",
        idempotency_key="k",
        max_items=3,
        max_quantity=10,
    )
    c = build_request(
        user_id=USER,
        items=[("1", 2), ("2", 5)],
        currency="EUR",
        idempotency_key="k",
        max_items=3,
        max_quantity=10,
    )
    assert a.fingerprint == b.fingerprint != c.fingerprint


@pytest.mark.parametrize(
    ("items", "currency", "key"),
    [
        ([], "USD", "k"),
        ([("1", 0)], "USD", "k"),
        ([("1", 6), ("1", 5)], "USD", "k"),  # 11 > max 10 after merging
        ([("1", 1), ("2", 1), ("3", 1), ("4", 1)], "USD", "k"),  # 4 > max 3 products
        ([("-3", 1)], "USD", "k"),
        ([("x", 1)], "USD", "k"),
        ([("1", 1)], "EURO", "k"),
        ([("1", 1)], "USD", "   "),
        ([("1", 1)], "USD", "k" * 256),
    ],
)
def test_invalid_requests(items: list[tuple[object, int]], currency: str, key: str) -> None:
    with pytest.raises(BadUserInput):
        request(items, currency, key)


def test_prices_are_snapshotted_to_cents() -> None:
    req = build_request(
        user_id=USER,
        items=[("1", 3)],
        currency="USD",
        idempotency_key="k",
        max_items=3,
        max_quantity=10,
    )
    quote = ProductQuote(1, Decimal("19.99"), "USD", active=True, is_deleted=False)
    (line,) = price_lines(req, {1: quote})
    assert (line.unit_price, line.total_price) == (Decimal("19.99"), Decimal("59.97"))
