"""Input checks shared by the service's write operations; each raises `BadUserInput`
naming the offending field, before anything touches the database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pycountry

from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.ids import bigint_id

NAME_MAX = 100  # VARCHAR(100) in seed 000
BRAND_MAX = 100
DESCRIPTION_MAX = 10_000
IMAGE_URL_MAX = 255  # products.image_url
GALLERY_URL_MAX = 2048  # product_images.url
ALT_TEXT_MAX = 255
DISCOUNT_METHOD_NAME_MAX = 50
MONEY_MAX = Decimal("99999999.99")  # NUMERIC(10,2)
CENT = Decimal("0.01")


def name(value: str, *, field: str = "name", limit: int = NAME_MAX) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput(f"`{field}` must not be empty", field=field)
    if len(cleaned) > limit:
        raise BadUserInput(
            f"`{field}` is {len(cleaned)} characters long; the limit is {limit}", field=field
        )
    return cleaned


def optional_text(value: str | None, *, field: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise BadUserInput(
            f"`{field}` is {len(cleaned)} characters long; the limit is {limit}", field=field
        )
    return cleaned


def money(value: Decimal, *, field: str) -> Decimal:
    if value < 0:
        raise BadUserInput(f"`{field}` must not be negative (got {value})", field=field)
    if value > MONEY_MAX:
        raise BadUserInput(f"`{field}` must be at most {MONEY_MAX}", field=field)
    if value != value.quantize(CENT):
        raise BadUserInput(f"`{field}` has more than 2 decimal places (got {value})", field=field)
    return value.quantize(CENT)


def currency(value: str, *, field: str = "currency") -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise BadUserInput(
            f"`{field}` must be an ISO 4217 currency code, got {value!r}", field=field
        )
    return code


def url(value: str | None, *, field: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise BadUserInput(f"`{field}` is longer than {limit} characters", field=field)
    parts = urlsplit(cleaned)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BadUserInput(f"`{field}` must be an absolute http(s) URL", field=field)
    return cleaned


def aware(value: datetime, *, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadUserInput(f"`{field}` must carry a time zone offset", field=field)
    return value


def date_range(start: datetime, end: datetime | None) -> None:
    aware(start, field="startDate")
    if end is not None:
        aware(end, field="endDate")
        if end < start:
            raise BadUserInput("`endDate` must not be before `startDate`", field="endDate")


def entity_id(value: str | int, *, field: str = "id") -> int:
    """Our ids are positive integers; a GraphQL ``ID`` arrives as a string."""
    number = bigint_id(value)
    if number is None:
        raise BadUserInput(f"`{field}` is not a valid id: {value!r}", field=field)
    return number
