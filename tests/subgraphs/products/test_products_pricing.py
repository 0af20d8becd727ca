"""Discount arithmetic: Decimal exactness, rounding, non-stacking, BOGO as a quantity rule,
and which discounts are "in force now" as the GraphQL API sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from subgraphs.products.pricing import (
    Discount,
    DiscountKind,
    effective_price,
    to_cents,
    total_for,
)

D = Decimal
PCT, FIXED, BOGO = DiscountKind.PERCENTAGE, DiscountKind.FIXED_AMOUNT, DiscountKind.BOGO


@pytest.mark.parametrize(
    ("price", "discounts", "expected"),
    [
        (D("80.00"), [Discount(PCT, D("25"))], D("60.00")),
        (D("9.99"), [Discount(PCT, D("33"))], D("6.69")),  # 6.6933 → 6.69
        (D("0.25"), [Discount(PCT, D("50"))], D("0.13")),  # 0.125 rounds half up
        (D("3.00"), [Discount(FIXED, D("5"))], D("0.00")),  # never below zero
        (D("100.00"), [Discount(PCT, D("10")), Discount(FIXED, D("15"))], D("85.00")),
        (D("100.00"), [Discount(BOGO, D("100"))], D("100.00")),  # BOGO: not a unit discount
        (D("19.99"), [], D("19.99")),
    ],
)
def test_effective_price(price: Decimal, discounts: list[Discount], expected: Decimal) -> None:
    result = effective_price(price, discounts)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("price", "quantity", "discounts", "expected"),
    [
        (D("0.10"), 3, [], D("0.30")),  # exact, unlike 0.1 * 3 in floats
        (D("10.00"), 1, [Discount(BOGO, D("100"))], D("10.00")),
        (D("10.00"), 2, [Discount(BOGO, D("100"))], D("10.00")),
        (D("10.00"), 3, [Discount(BOGO, D("100"))], D("20.00")),
        (D("10.00"), 4, [Discount(BOGO, D("100"))], D("20.00")),
        (D("9.99"), 2, [Discount(BOGO, D("50"))], D("14.99")),  # 9.99 + 5.00 (4.995 ↑)
        # Non-stacking: the cheapest single discount wins, per quantity.
        (D("10.00"), 1, [Discount(PCT, D("40")), Discount(BOGO, D("100"))], D("6.00")),
        (D("10.00"), 2, [Discount(PCT, D("40")), Discount(BOGO, D("100"))], D("10.00")),
        (D("10.00"), 3, [Discount(PCT, D("40")), Discount(BOGO, D("100"))], D("18.00")),
    ],
)
def test_total_for_quantity(
    price: Decimal, quantity: int, discounts: list[Discount], expected: Decimal
) -> None:
    assert total_for(price, quantity, discounts) == expected


def test_to_cents_is_exact_decimal() -> None:
    assert to_cents(D("0.1") + D("0.2")) == D("0.30")
    assert to_cents(D("2.675")) == D("2.68")  # float would give 2.67


@pytest.fixture(scope="module")
async def priced(gql: Any) -> dict[str, str]:
    category = await gql('mutation { createCategory(input: {name: "Priced"}) { id } }')
    methods = {}
    for kind in ("PERCENTAGE", "FIXED_AMOUNT", "BOGO"):
        body = await gql(
            "mutation($k: DiscountKind!) { createDiscountMethod(input: {kind: $k}) { id } }", k=kind
        )
        methods[kind] = body["data"]["createDiscountMethod"]["id"]
    product = await gql(
        'mutation($c: ID!) { createProduct(input: {name: "Lamp", price: "40.00", '
        "categoryId: $c}) { id } }",
        c=category["data"]["createCategory"]["id"],
    )
    return {"product": product["data"]["createProduct"]["id"], **methods}


async def add(gql: Any, product: str, method: str, value: str, **extra: Any) -> str:
    body = await gql(
        "mutation($i: AddProductDiscountInput!) { addProductDiscount(input: $i) { id } }",
        i={"productId": product, "discountMethodId": method, "value": value, **extra},
    )
    assert "errors" not in body, body
    return str(body["data"]["addProductDiscount"]["id"])


PRICES = """
query($id: ID!) {
  product(id: $id) {
    price effectivePrice one: priceFor(quantity: 1) two: priceFor(quantity: 2)
    three: priceFor(quantity: 3) activeDiscounts { id method { kind } } discounts { id }
  }
}"""


async def test_only_discounts_in_force_now_count(gql: Any, priced: dict[str, str]) -> None:
    now = datetime.now(UTC)
    iso = lambda t: t.isoformat()  # noqa: E731
    product = priced["product"]
    active_pct = await add(
        gql, product, priced["PERCENTAGE"], "10", startDate=iso(now - timedelta(days=1))
    )
    await add(  # expired: would have been the best deal
        gql,
        product,
        priced["FIXED_AMOUNT"],
        "30",
        startDate=iso(now - timedelta(days=10)),
        endDate=iso(now - timedelta(days=5)),
    )
    await add(  # not started yet
        gql, product, priced["PERCENTAGE"], "90", startDate=iso(now + timedelta(days=5))
    )
    await add(  # switched off
        gql,
        product,
        priced["FIXED_AMOUNT"],
        "35",
        startDate=iso(now - timedelta(days=1)),
        active=False,
    )
    bogo = await add(gql, product, priced["BOGO"], "50", startDate=iso(now - timedelta(hours=1)))

    body = await gql(PRICES, id=product)
    assert "errors" not in body, body
    data = body["data"]["product"]
    assert data["price"] == "40.00"
    assert data["effectivePrice"] == "36.00"  # 10 % off
    assert data["one"] == "36.00"
    assert data["two"] == "60.00"  # BOGO 50 %: 40 + 20 beats 2 * 36
    assert data["three"] == "100.00"  # BOGO: 60 + 40 = 100 < 108
    assert {d["id"] for d in data["activeDiscounts"]} == {active_pct, bogo}
    assert len(data["discounts"]) == 5

    # Deleting the BOGO method switches its discounts off everywhere.
    await gql("mutation($id: ID!) { deleteDiscountMethod(id: $id) { id } }", id=priced["BOGO"])
    data = (await gql(PRICES, id=product))["data"]["product"]
    assert data["two"] == "72.00"
    assert [d["id"] for d in data["activeDiscounts"]] == [active_pct]


async def test_price_for_refuses_bad_quantities(gql: Any, priced: dict[str, str]) -> None:
    for quantity in (0, -1, 1_000_001):
        body = await gql(
            "query($id: ID!, $q: Int!) { product(id: $id) { priceFor(quantity: $q) } }",
            id=priced["product"],
            q=quantity,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["path"] == ["product", "priceFor"]
