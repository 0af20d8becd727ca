"""Identifiers that arrive as GraphQL `ID`s (strings) but are BIGINT keys in our tables."""

from __future__ import annotations

BIGINT_MAX = 2**63


def bigint_id(value: object) -> int | None:
    """The positive BIGINT a representation's or argument's id stands for, or None when it
    cannot be one of ours (then the entity resolves to null instead of failing the batch)."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 < number < BIGINT_MAX else None
