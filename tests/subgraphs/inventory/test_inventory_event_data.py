"""Reading ``order.created`` as the orders service writes it (ids as strings) through its
contract, and refusing what cannot be an order."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.inventory.events import lines_of
from subgraphs.inventory.service import MAX_PRODUCT_ID, Line
from subgraphs.kit.events import ContractError, new_envelope
from subgraphs.kit.events.contracts import OrderCancelled, OrderCreated


def order_created(items: Any, order_id: Any = "o-1") -> OrderCreated:
    data = {
        "order_id": order_id,
        "user_id": "u-1",
        "currency": "USD",
        "total_amount": "6.00",
        "items": items,
    }
    return OrderCreated.parse(new_envelope("orders", "order.created", data))


def test_items_become_lines() -> None:
    order = order_created(
        [
            {"product_id": "12", "quantity": 2, "unit_price": "1.50"},
            {"product_id": 7, "quantity": 1, "unit_price": "3.00"},
        ]
    )
    assert lines_of(order) == [Line(12, 2), Line(7, 1)]


@pytest.mark.parametrize(
    "items",
    [
        None,
        [],
        "12",
        [{"product_id": "x", "quantity": 1, "unit_price": "1"}],
        [{"product_id": "0", "quantity": 1, "unit_price": "1"}],
        [{"product_id": "5", "quantity": "1", "unit_price": "1"}],
        [{"product_id": "5", "quantity": True, "unit_price": "1"}],
        [{"quantity": 1, "unit_price": "1"}],
        ["5"],
    ],
)
def test_malformed_items_break_the_contract(items: Any) -> None:
    with pytest.raises(ContractError, match="items"):
        order_created(items)


def test_a_product_id_past_inventory_range_rejects_the_order() -> None:
    order = order_created(
        [{"product_id": str(MAX_PRODUCT_ID + 1), "quantity": 1, "unit_price": "1"}]
    )
    assert lines_of(order) is None


def test_an_event_without_an_order_id_breaks_the_contract() -> None:
    cancelled = new_envelope("orders", "order.cancelled", {"order_id": 41})
    assert OrderCancelled.parse(cancelled).order_id == "41"
    with pytest.raises(ContractError, match="order_id"):
        OrderCancelled.parse(new_envelope("orders", "order.cancelled", {"reason": "x"}))
    with pytest.raises(ContractError, match="order_id"):
        OrderCancelled.parse(new_envelope("orders", "order.cancelled", {"order_id": "  "}))
