"""Discount arithmetic. Decimal throughout; amounts are rounded to cents, half up, once per
unit price (never on intermediate ratios).

Rules (what ``Product.effectivePrice`` and ``Product.priceFor`` promise):

- A discount applies when it is active, not deleted, its method is not deleted, and
  ``start_date <= now <= end_date`` (no end date: open-ended).
- ``Percentage`` (value 0..100): unit price * (100 - value) / 100.
- ``FixedAmount`` (value >= 0, in the product's currency): unit price - value, never below 0.
- ``BOGO`` "buy one, get one" (value 0..100): in every pair of units bought, the second one
  is ``value`` percent off (100 = free, 50 = half price). It is a quantity rule, so it does
  not change the unit price; it shows in ``priceFor(quantity)``.
- Discounts do not stack: a quantity pays the lowest total among "no discount" and each
  active discount taken alone. ``effectivePrice`` is the lowest unit price among the
  Percentage and FixedAmount discounts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class DiscountKind(enum.Enum):
    """The discount methods the service knows how to compute (``method_name`` values)."""

    PERCENTAGE = "Percentage"
    FIXED_AMOUNT = "FixedAmount"
    BOGO = "BOGO"

    @classmethod
    def of(cls, method_name: str) -> DiscountKind | None:
        try:
            return cls(method_name)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Discount:
    kind: DiscountKind
    value: Decimal


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _percent_off(price: Decimal, percent: Decimal) -> Decimal:
    return to_cents(price * (HUNDRED - percent) / HUNDRED)


def unit_price(price: Decimal, discount: Discount) -> Decimal:
    """The price of one unit under ``discount`` (BOGO leaves a single unit at full price)."""
    if discount.kind is DiscountKind.PERCENTAGE:
        return _percent_off(price, min(discount.value, HUNDRED))
    if discount.kind is DiscountKind.FIXED_AMOUNT:
        return max(to_cents(price - discount.value), Decimal("0.00"))
    return to_cents(price)


def effective_price(price: Decimal, discounts: Iterable[Discount]) -> Decimal:
    """The lowest unit price among the unit discounts (the list price without any)."""
    return min((unit_price(price, d) for d in discounts), default=to_cents(price))


def total_for(price: Decimal, quantity: int, discounts: Iterable[Discount]) -> Decimal:
    """What ``quantity`` units cost: the cheapest single discount, or none."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    full = to_cents(price)
    totals = [full * quantity]
    for discount in discounts:
        if discount.kind is DiscountKind.BOGO:
            pairs, single = divmod(quantity, 2)
            second = _percent_off(price, min(discount.value, HUNDRED))
            totals.append(pairs * (full + second) + single * full)
        else:
            totals.append(unit_price(price, discount) * quantity)
    return min(totals)
