"""Reading ``order.created`` data as the orders service writes it (ids as strings), and
refusing what cannot be an order."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.inventory.events import lines_of, order_id_of
from subgraphs.inventory.service import Line
from subgraphs.kit.events import new_envelope


def test_items_become_lines() -> None:
    data = {
        "order_id": "o-1",
        "items": [
            {"product_id": "12", "quantity": 2, "unit_price": "1.50"},
            {"product_id": 7, "quantity": 1, "unit_price": "3.00"},
        ],
    }
    assert lines_of(data) == [Line(12, 2), Line(7, 1)]


@pytest.mark.parametrize(
    "items",
    [
        None,
        [],
        "12",
        [{"product_id": "x", "quantity": 1}],
        [{"product_id": "0", "quantity": 1}],
        [{"product_id": "5", "quantity": "1"}],
        [{"product_id": "5", "quantity": True}],
        [{"quantity": 1}],
        ["5"],
    ],
)
def test_malformed_items_are_refused(items: Any) -> None:
    assert lines_of({"order_id": "o-1", "items": items}) is None


def test_an_event_without_an_order_id_is_unusable() -> None:
    assert order_id_of(new_envelope("orders", "order.cancelled", {"order_id": 41})) == "41"
    with pytest.raises(ValueError, match="order_id"):
        order_id_of(new_envelope("orders", "order.cancelled", {"reason": "x"}))
    with pytest.raises(ValueError, match="order_id"):
        order_id_of(new_envelope("orders", "order.cancelled", {"order_id": "  "}))
