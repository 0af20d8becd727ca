"""Card details as the client sends them, checked before any provider sees them.

Only `Card.last4` and `Card.brand` ever leave this object for storage; the full number and
the CVC live for the duration of one request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from subgraphs.kit.errors import BadUserInput

_SEPARATORS = re.compile(r"[ -]")
_BRANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AMEX", ("34", "37")),
    ("VISA", ("4",)),
    ("MASTERCARD", tuple(str(n) for n in (*range(51, 56), *range(2221, 2721)))),
    ("DISCOVER", ("6011", "65")),
)


def luhn_valid(digits: str) -> bool:
    """The ISO/IEC 7812 check digit: catches every single-digit typo and most swaps."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(number: str) -> str:
    for brand, prefixes in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Card:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return brand_of(self.number)

    @classmethod
    def parse(cls, number: str, exp_month: int, exp_year: int, cvc: str, now: datetime) -> Card:
        """A checked card, or `BadUserInput` naming the field that is wrong."""
        digits = _SEPARATORS.sub("", number)
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise BadUserInput("The card number must have 12 to 19 digits", field="card.number")
        if not luhn_valid(digits):
            raise BadUserInput("The card number is not valid (check digit)", field="card.number")
        if not 1 <= exp_month <= 12:
            raise BadUserInput("The expiry month must be 1 to 12", field="card.expMonth")
        if exp_year < 100:
            exp_year += 2000
        if (exp_year, exp_month) < (now.year, now.month) or exp_year > now.year + 50:
            raise BadUserInput(
                "The card has expired or its expiry year is wrong", field="card.expYear"
            )
        expected_cvc = 4 if brand_of(digits) == "AMEX" else 3
        if not (cvc.isdigit() and len(cvc) == expected_cvc):
            raise BadUserInput(f"The CVC must have {expected_cvc} digits", field="card.cvc")
        return cls(number=digits, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
