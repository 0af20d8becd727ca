"""Sends queued messages and retries failed ones with backoff, in the background.

One message is one transaction: lock the oldest due log row (``FOR UPDATE SKIP LOCKED``, so
replicas share the work and never take the same row), send it, record ``SENT`` or ``FAILED``
with the error, the attempt count and when to try next, commit. A row stops being retried
after ``delivery_max_attempts`` (it stays ``FAILED``, ``next_attempt_at`` null). A ``SENT``
row is never picked again, so a message goes out once; the one gap is a crash between the
server's acceptance and our commit, where the stable ``Message-ID`` lets receivers drop the
copy. The dispatcher wakes on ``NOTIFY polyshop_notifications`` and also polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.kit.events.backoff import exponential_delay
from subgraphs.kit.events.listener import NotifyListener, libpq_dsn
from subgraphs.kit.events.worker import Worker
from subgraphs.kit.logging import get_logger
from subgraphs.notifications.channels import (
    EmailSender,
    OutgoingEmail,
    OutgoingSms,
    SmsProvider,
    message_id,
)
from subgraphs.notifications.models import DeliveryStatus, EmailLog, SmsLog
from subgraphs.notifications.service import NOTIFY_CHANNEL, DeliveryModel
from subgraphs.notifications.settings import NotificationsSettings

log = get_logger("polyshop.notifications.dispatcher")

MAX_ERROR_LENGTH = 2000


class Dispatcher(Worker):
    name = "notifications-dispatcher"

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: NotificationsSettings,
        mailer: EmailSender,
        sms: SmsProvider,
        listen: bool = True,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.mailer = mailer
        self.sms = sms
        self.wake = asyncio.Event()
        self.listener = (
            NotifyListener(libpq_dsn(engine.url), NOTIFY_CHANNEL, self.wake) if listen else None
        )
        self.sent = 0
        self.failed = 0

    def start(self) -> asyncio.Task[None]:
        if self.listener is not None:
            self.listener.start()
        return super().start()

    async def stop(self, grace: float = 30.0) -> None:
        await super().stop(grace)
        if self.listener is not None:
            await self.listener.stop(grace)

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                while await self.deliver_one():
                    if self.stopping:
                        return
                pause = await self._next_due_in()
            except Exception as exc:
                log.warning("delivery round failed", error=repr(exc))
                pause = None
            limit = self.settings.delivery_poll_interval
            await self._idle(limit if pause is None else min(limit, pause))

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await self.until_stopped(asyncio.wait_for(self.wake.wait(), max(seconds, 0.01)))

    async def deliver_one(self) -> bool:
        """Handle the oldest due message of any channel; False when none is due."""
        return await self._deliver(EmailLog, self._send_email) or await self._deliver(
            SmsLog, self._send_sms
        )

    async def _deliver(self, model: DeliveryModel, send: Callable[[Any], Awaitable[None]]) -> bool:
        async with self.sessionmaker() as session, session.begin():
            row: EmailLog | SmsLog | None = await session.scalar(
                select(model)
                .where(model.status != DeliveryStatus.SENT.value)
                .where(model.next_attempt_at <= func.now())
                .order_by(model.next_attempt_at, model.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return False
            row.attempts += 1
            row.last_attempt_at = func.now()
            try:
                await send(row)
            except Exception as exc:
                self._failed(row, exc)
            else:
                row.status = DeliveryStatus.SENT.value
                row.error_message = None
                row.sent_at = func.now()
                row.next_attempt_at = None
                self.sent += 1
        return True

    def _failed(self, row: EmailLog | SmsLog, error: Exception) -> None:
        self.failed += 1
        row.status = DeliveryStatus.FAILED.value
        row.error_message = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        if row.attempts >= self.settings.delivery_max_attempts:
            row.next_attempt_at = None
            log.error("delivery gave up", log_id=row.id, attempts=row.attempts, error=repr(error))
            return
        delay = exponential_delay(
            row.attempts,
            initial=self.settings.delivery_backoff_initial,
            maximum=self.settings.delivery_backoff_max,
        )
        row.next_attempt_at = func.now() + timedelta(seconds=delay)
        log.warning("delivery failed", log_id=row.id, attempt=row.attempts, retry_in=delay)

    async def _send_email(self, row: EmailLog) -> None:
        await self.mailer.send(
            OutgoingEmail(
                to_address=row.to_address,
                subject=row.subject,
                body=row.body,
                message_id=message_id("email", row.id),
            )
        )

    async def _send_sms(self, row: SmsLog) -> None:
        await self.sms.send(
            OutgoingSms(phone_number=row.phone_number, body=row.body, reference=f"sms-{row.id}")
        )

    async def _next_due_in(self) -> float | None:
        """Seconds until the next retry is due, None when nothing waits."""
        async with self.sessionmaker() as session:
            waits = []
            for model in (EmailLog, SmsLog):
                seconds = await session.scalar(
                    select(
                        func.extract("epoch", func.min(model.next_attempt_at) - func.now())
                    ).where(model.status != DeliveryStatus.SENT.value)
                )
                if seconds is not None:
                    waits.append(float(seconds))
        return max(min(waits), 0.0) if waits else None
