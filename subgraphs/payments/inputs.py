"""GraphQL inputs of the payments subgraph."""

from __future__ import annotations

import strawberry


@strawberry.input(description="Card details; only the brand and last four digits are kept.")
class CardInput:
    number: str = strawberry.field(description="12 to 19 digits; spaces and dashes allowed.")
    exp_month: int
    exp_year: int = strawberry.field(description="Four digits (two are read as 20YY).")
    cvc: str
