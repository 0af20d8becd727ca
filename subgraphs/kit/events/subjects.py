"""Subject and stream names.

Every event lives on ``polyshop.<service>.<event type>`` (``polyshop.orders.order.created``).
Each producing service owns one stream, ``POLYSHOP_<SERVICE>`` over ``polyshop.<service>.>``,
so its retention, replicas and limits are its own and it can be deployed alone; dead letters
go to ``polyshop.dlq.<service>.<event type>`` in the ``POLYSHOP_DLQ`` stream. Hence ``dlq``
cannot be a service name.
"""

from __future__ import annotations

import re

PREFIX = "polyshop"
DLQ_TOKEN = "dlq"
DLQ_STREAM = "POLYSHOP_DLQ"

_SERVICE = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")


def check_service(service: str) -> str:
    """The name, if usable as one subject token and in a stream name."""
    if not _SERVICE.match(service) or service == DLQ_TOKEN:
        raise ValueError(f"invalid service name for events: {service!r}")
    return service


def check_event_type(event_type: str) -> str:
    """Dotted lower-case words, e.g. ``order.created``."""
    if not _EVENT_TYPE.match(event_type):
        raise ValueError(f"invalid event type: {event_type!r}")
    return event_type


def event_subject(service: str, event_type: str) -> str:
    return f"{PREFIX}.{check_service(service)}.{check_event_type(event_type)}"


def dlq_subject(service: str, event_type: str) -> str:
    """``polyshop.dlq.orders.order.created``: where consumers park what they gave up on."""
    return f"{PREFIX}.{DLQ_TOKEN}.{check_service(service)}.{check_event_type(event_type)}"


def stream_name(service: str) -> str:
    """``POLYSHOP_ORDERS`` for ``orders``."""
    return f"{PREFIX.upper()}_{check_service(service).upper()}"


def stream_subjects(service: str) -> list[str]:
    return [f"{PREFIX}.{check_service(service)}.>"]


def dlq_subject_for(subject: str) -> str:
    """The dead-letter subject of an event subject: ``polyshop.dlq.`` + the rest of it."""
    head, _, rest = subject.partition(".")
    if head != PREFIX or not rest:
        raise ValueError(f"not a PolyShop event subject: {subject!r}")
    return f"{PREFIX}.{DLQ_TOKEN}.{rest}"
