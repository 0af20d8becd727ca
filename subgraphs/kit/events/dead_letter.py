"""Dead letters: an event a consumer gave up on, with the error, kept in ``POLYSHOP_DLQ``.

The message body holds the original envelope untouched, so an operator can fix the cause and
publish it again on its subject; consumers that already handled it skip it by their inbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from subgraphs.kit.events.subjects import dlq_subject_for

CONSUMER_HEADER = "Polyshop-Consumer"
ERROR_HEADER = "Polyshop-Error"
SUBJECT_HEADER = "Polyshop-Original-Subject"


def describe_error(error: BaseException) -> dict[str, str]:
    return {"type": type(error).__name__, "message": str(error)[:4000]}


def dead_letter_body(
    msg: Msg, *, consumer: str, error: BaseException, deliveries: int
) -> dict[str, Any]:
    original: Any
    try:
        original = orjson.loads(msg.data)
    except orjson.JSONDecodeError:
        original = None
    body: dict[str, Any] = {
        "consumer": consumer,
        "subject": msg.subject,
        "deliveries": deliveries,
        "failed_at": datetime.now(UTC).isoformat(),
        "error": describe_error(error),
        "envelope": original if isinstance(original, dict) else None,
    }
    if body["envelope"] is None:
        body["raw"] = msg.data.decode("utf-8", errors="replace")
    return body


async def publish_dead_letter(
    js: JetStreamContext,
    msg: Msg,
    *,
    consumer: str,
    error: BaseException,
    deliveries: int,
    publish_timeout: float,
) -> str:
    """Publish to ``polyshop.dlq.<service>.<event>``; returns the subject used.

    The message id is the consumer plus the stream sequence, so a dead letter sent again
    after a crash (before the term reached the server) is stored once.
    """
    subject = dlq_subject_for(msg.subject)
    body = dead_letter_body(msg, consumer=consumer, error=error, deliveries=deliveries)
    first_line = (str(error).splitlines() or [""])[0]
    headers = {
        "Nats-Msg-Id": f"{consumer}:{msg.metadata.stream}:{msg.metadata.sequence.stream}",
        CONSUMER_HEADER: consumer,
        SUBJECT_HEADER: msg.subject,
        ERROR_HEADER: f"{type(error).__name__}: {first_line}"[:500],
    }
    await js.publish(subject, orjson.dumps(body), timeout=publish_timeout, headers=headers)
    return subject
