"""Identifiers that arrive as GraphQL `ID`s (strings) but are BIGINT keys in our tables.

Parsing is strict: ASCII digits only, no sign, no spaces, no underscores, no leading zero.
Python's `int` accepts ``" 1"``, ``"1_0"``, ``"+1"`` and other scripts' digits (U+0661,
ARABIC-INDIC DIGIT ONE), so one product would answer to many ids; an id has exactly one
spelling, the one we serialise.
"""

from __future__ import annotations

import re
import uuid

BIGINT_MAX = 2**63
_CANONICAL = re.compile(r"[1-9][0-9]{0,18}")


def bigint_id(value: object) -> int | None:
    """The positive BIGINT a representation's or argument's id stands for, or None when it
    cannot be one of ours (then the entity resolves to null instead of failing the batch)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < BIGINT_MAX else None
    if not isinstance(value, str) or _CANONICAL.fullmatch(value) is None:
        return None
    number = int(value)
    return number if number < BIGINT_MAX else None


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid_id(value: object) -> uuid.UUID | None:
    """The UUID an id stands for, or None unless it is in the canonical hyphenated form
    (`uuid.UUID` would also take braces, a ``urn:uuid:`` prefix or no hyphens)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or _UUID.fullmatch(value) is None:
        return None
    return uuid.UUID(value)
