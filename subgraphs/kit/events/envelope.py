"""The event envelope every service publishes: ``{id, type, occurred_at, source,
correlation_id, data}``, serialized with orjson.

``data`` is normalised to plain JSON values when the envelope is built (``Decimal`` becomes
its exact string, UUIDs and datetimes their ISO text), so what a consumer decodes is exactly
what the producer stored in its outbox, whatever happened in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from subgraphs.kit.events.subjects import check_event_type, check_service, event_subject
from subgraphs.kit.logging import current_correlation_id, new_correlation_id

JsonObject = dict[str, Any]


class EnvelopeError(ValueError):
    """A message that is not a well-formed envelope (it goes straight to the dead letters)."""


class ContractError(EnvelopeError):
    """An event whose data does not match its type's contract (see `contracts`); like a
    malformed envelope it goes straight to the dead letters."""


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable in an event")


def to_json_object(data: Mapping[str, Any]) -> JsonObject:
    """``data`` as plain JSON values (see the module docstring)."""
    normalised = orjson.loads(orjson.dumps(dict(data), default=_json_default))
    if not isinstance(normalised, dict):  # pragma: no cover - dict in, dict out
        raise TypeError("event data must be a JSON object")
    return normalised


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event. ``id`` doubles as the JetStream message id and the inbox key."""

    id: uuid.UUID
    type: str
    occurred_at: datetime
    source: str
    correlation_id: str
    data: JsonObject

    @property
    def subject(self) -> str:
        return event_subject(self.source, self.type)

    def to_json(self) -> bytes:
        return orjson.dumps(self, default=_json_default)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Decode and validate; raises `EnvelopeError` on anything malformed."""
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise EnvelopeError("an envelope is a JSON object")
        try:
            event_id = uuid.UUID(_text(body, "id"))
            occurred_at = datetime.fromisoformat(_text(body, "occurred_at"))
            event_type = check_event_type(_text(body, "type"))
            source = check_service(_text(body, "source"))
        except ValueError as exc:
            raise EnvelopeError(str(exc)) from exc
        if occurred_at.tzinfo is None:
            raise EnvelopeError("occurred_at needs a time zone")
        data = body.get("data")
        if not isinstance(data, dict):
            raise EnvelopeError("data must be a JSON object")
        return cls(
            id=event_id,
            type=event_type,
            occurred_at=occurred_at,
            source=source,
            correlation_id=_text(body, "correlation_id"),
            data=data,
        )


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise EnvelopeError(f"{key} must be a non-empty string")
    return value


def new_envelope(
    source: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    correlation_id: str | None = None,
    caused_by: Envelope | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """A fresh event of ``source``.

    Its correlation id is, in order: the one given, the one of the event that caused it (a
    consumer reacting to an event), the current request's, or a new one.
    """
    correlation = (
        correlation_id
        or (caused_by.correlation_id if caused_by is not None else None)
        or current_correlation_id()
        or new_correlation_id()
    )
    moment = occurred_at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("occurred_at needs a time zone")
    return Envelope(
        id=uuid.uuid4(),
        type=check_event_type(event_type),
        occurred_at=moment,
        source=check_service(source),
        correlation_id=correlation,
        data=to_json_object(data),
    )
