"""Events in, e-mails out: real NATS, real PostgreSQL, a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from subgraphs.kit.events import Envelope, new_envelope
from subgraphs.notifications.settings import NotificationsSettings
from tests.support.eventually import eventually
from tests.support.notifications import PHONE_USER, SmtpServer, publish


def order_created(order_id: str, user_id: str, total: str = "59.97") -> Envelope:
    return new_envelope(
        "orders",
        "order.created",
        {
            "order_id": order_id,
            "user_id": user_id,
            "currency": "EUR",
            "total_amount": total,
            "items": [
                {"product_id": 7, "quantity": 2, "unit_price": "19.99"},
                {"product_id": 9, "quantity": 1, "unit_price": "19.99"},
            ],
        },
    )


async def logs_of(sql: asyncpg.Connection, table: str, order_id: str) -> list[asyncpg.Record]:
    return list(
        await sql.fetch(
            f"SELECT * FROM {table} WHERE metadata->>'order_id' = $1 ORDER BY id",
            order_id,
        )
    )


async def sent(sql: asyncpg.Connection, table: str, order_id: str, count: int = 1) -> bool:
    rows = await logs_of(sql, table, order_id)
    return len(rows) == count and all(r["status"] == "SENT" for r in rows)


async def test_order_confirmation_reaches_the_customer(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> None:
    user, order = f"u-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    await publish(js, settings, order_created(order, user))
    address = f"{user}@customers.test"
    (mail,) = await eventually(lambda: smtp.sink.to(address), what="the confirmation e-mail")
    assert mail.recipients == [address]
    assert mail.message["To"] == address
    assert mail.message["From"] == "PolyShop Test <shop@polyshop.test>"
    assert mail.message["Subject"] == f"PolyShop: order {order} received"
    assert "2 x product 7 at 19.99" in mail.body
    assert "Total: 59.97 EUR" in mail.body
    await eventually(lambda: sent(sql, "email_logs", order), what="SENT in the log")
    (row,) = await logs_of(sql, "email_logs", order)
    assert (row["template"], row["to_address"], row["user_id"]) == (
        "order_confirmation",
        address,
        user,
    )
    assert row["attempts"] == 1
    assert row["error_message"] is None
    assert mail.message["Message-ID"] == f"<email-{row['id']}@polyshop.example>"
    # No SMS form for a confirmation, and this user has no phone anyway.
    assert await logs_of(sql, "sms_logs", order) == []


async def test_redelivered_event_sends_nothing_twice(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> None:
    user, order = f"u-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    consumer = next(c for c in notifications_app.state.events.consumers if c.source == "orders")
    skipped = consumer.skipped
    envelope = order_created(order, user)
    await publish(js, settings, envelope)
    await publish(js, settings, envelope)  # e.g. a producer that crashed before marking it
    address = f"{user}@customers.test"
    await eventually(lambda: smtp.sink.to(address), what="the e-mail")
    await eventually(lambda: sent(sql, "email_logs", order), what="SENT in the log")
    inbox_rows = await sql.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id)
    assert inbox_rows == 1
    # Both copies are accounted for: one handled (its row SENT), one skipped; nothing else
    # can send this order's e-mail.
    await eventually(lambda: consumer.skipped == skipped + 1, what="the copy to be skipped")
    assert len(smtp.sink.to(address)) == 1
    assert len(await logs_of(sql, "email_logs", order)) == 1


async def test_payment_before_its_order_is_retried_until_the_order_is_known(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> None:
    """Two streams, no order between them: the receipt waits for the order's owner."""
    order = f"o-{uuid.uuid4().hex[:8]}"
    payment = new_envelope(
        "payments",
        "payment.succeeded",
        {"order_id": order, "payment_id": "pay-1", "amount": "59.97", "currency": "EUR"},
    )
    consumer = next(c for c in notifications_app.state.events.consumers if c.source == "payments")
    failures = consumer.failures
    await publish(js, settings, payment)
    # Tried and refused (the order is unknown), so it is retried rather than sent.
    await eventually(lambda: consumer.failures > failures, what="the payment tried")
    assert await logs_of(sql, "email_logs", order) == []
    await publish(js, settings, order_created(order, PHONE_USER))
    await eventually(lambda: sent(sql, "email_logs", order, 2), what="both e-mails")
    receipts = [
        m
        for m in smtp.sink.to(f"{PHONE_USER}@customers.test")
        if m.message["Subject"] == f"PolyShop: payment received for order {order}"
    ]
    assert len(receipts) == 1
    assert "payment of 59.97 EUR" in receipts[0].body
    assert "Payment reference: pay-1" in receipts[0].body
    await eventually(lambda: sent(sql, "sms_logs", order), what="the SMS")
    (sms,) = await logs_of(sql, "sms_logs", order)
    assert sms["phone_number"] == "+15550001"
    assert sms["template"] == "payment_receipt"
    assert order in sms["body"]


async def test_failure_and_cancellation_templates(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> None:
    user, order = f"u-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    await publish(js, settings, order_created(order, user))
    await publish(
        js,
        settings,
        new_envelope(
            "payments",
            "payment.failed",
            {"order_id": order, "payment_id": "pay-9", "reason": "card declined"},
        ),
    )
    await publish(
        js,
        settings,
        new_envelope("orders", "order.cancelled", {"order_id": order, "reason": "payment failed"}),
    )
    address = f"{user}@customers.test"
    mails = await eventually(
        lambda: len(smtp.sink.to(address)) == 3 and smtp.sink.to(address), what="three e-mails"
    )
    by_subject = {m.message["Subject"]: m for m in mails}
    failure = by_subject[f"PolyShop: payment failed for order {order}"]
    assert "did not go through: card declined." in failure.body
    cancelled = by_subject[f"PolyShop: order {order} cancelled"]
    assert "has been cancelled: payment failed." in cancelled.body
    templates = {r["template"] for r in await logs_of(sql, "email_logs", order)}
    assert templates == {"order_confirmation", "payment_failure", "order_cancelled"}


async def test_smtp_outage_is_logged_failed_then_retried_to_sent(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> None:
    user, order = f"u-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    address = f"{user}@customers.test"
    smtp.stop()
    try:
        await publish(js, settings, order_created(order, user))

        async def failed_twice() -> bool:
            rows = await logs_of(sql, "email_logs", order)
            return len(rows) == 1 and rows[0]["status"] == "FAILED" and rows[0]["attempts"] >= 2

        await eventually(failed_twice, what="FAILED attempts")
        (row,) = await logs_of(sql, "email_logs", order)
        assert row["error_message"]
        assert row["next_attempt_at"] is not None
        assert row["sent_at"] is None
        # The event stream is not blocked meanwhile: another order is handled and queued.
        other = f"o-{uuid.uuid4().hex[:8]}"
        await publish(js, settings, order_created(other, user))
        await eventually(lambda: logs_of(sql, "email_logs", other), what="the next event")
    finally:
        smtp.start()
    await eventually(lambda: sent(sql, "email_logs", order), what="the retry to succeed")
    (row,) = await logs_of(sql, "email_logs", order)
    assert row["attempts"] >= 3
    assert row["error_message"] is None
    assert row["sent_at"] is not None
    await eventually(lambda: len(smtp.sink.to(address)) == 2, what="both e-mails")
    # Both rows SENT: the dispatcher has nothing left to send for either order.
    await eventually(lambda: sent(sql, "email_logs", other), what="the other SENT")
    assert len(smtp.sink.to(address)) == 2
    subjects = sorted(m.message["Subject"] for m in smtp.sink.to(address))
    assert subjects == sorted(
        [f"PolyShop: order {order} received", f"PolyShop: order {other} received"]
    )
