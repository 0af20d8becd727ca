"""The dispatcher on its own database: replicas never send a message twice, and a message
that keeps failing is given up after the configured attempts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from polyshop.devstack.ports import free_port
from subgraphs.notifications import service
from subgraphs.notifications.channels import LoggingSmsProvider, SmtpMailer
from subgraphs.notifications.dispatcher import Dispatcher
from subgraphs.notifications.models import EmailLog
from subgraphs.notifications.settings import NotificationsSettings
from tests.support.notifications import SmtpServer

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(service_database: ServiceDatabaseFactory) -> AsyncIterator[Sessions]:
    engine = create_async_engine(await service_database("notifications"))
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def queue(sessions: Sessions, count: int) -> list[str]:
    addresses = [f"r{n}-{uuid.uuid4().hex[:6]}@queue.test" for n in range(count)]
    async with sessions() as session, session.begin():
        for address in addresses:
            await service.queue_email(
                session,
                event=service.EventRef(id=uuid.uuid4(), type="order.created"),
                template="order_confirmation",
                user_id="u",
                to_address=address,
                subject="Hello",
                body="Body",
                meta={},
            )
    return addresses


def dispatcher(sessions: Sessions, settings: NotificationsSettings) -> Dispatcher:
    engine = sessions.kw["bind"]
    return Dispatcher(
        engine=engine,
        sessionmaker=sessions,
        settings=settings,
        mailer=SmtpMailer(settings),
        sms=LoggingSmsProvider(),
        listen=False,
    )


async def drain(worker: Dispatcher) -> None:
    while await worker.deliver_one():
        pass


async def test_two_replicas_send_each_message_once(sessions: Sessions) -> None:
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        settings = NotificationsSettings(smtp_port=smtp.port, smtp_timeout=2.0)
        addresses = await queue(sessions, 12)
        first, second = dispatcher(sessions, settings), dispatcher(sessions, settings)
        await asyncio.gather(drain(first), drain(second))
    finally:
        smtp.stop()
    assert sorted(r for m in smtp.sink.messages for r in m.recipients) == sorted(addresses)
    assert first.sent + second.sent == 12
    assert first.sent > 0
    assert second.sent > 0
    async with sessions() as session:
        statuses = (await session.scalars(select(EmailLog.status))).all()
    assert statuses == ["SENT"] * 12


async def test_gives_up_after_the_last_attempt(sessions: Sessions) -> None:
    settings = NotificationsSettings(
        smtp_port=free_port(),  # nothing listens there
        smtp_timeout=1.0,
        delivery_max_attempts=3,
        delivery_backoff_initial=0.05,
        delivery_backoff_max=0.1,
    )
    await queue(sessions, 1)
    worker = dispatcher(sessions, settings)
    for _ in range(10):
        await drain(worker)
        await asyncio.sleep(0.12)
    async with sessions() as session:
        row = (await session.scalars(select(EmailLog))).one()
    assert row.status == "FAILED"
    assert row.attempts == 3
    assert row.next_attempt_at is None
    assert row.error_message is not None
    assert "Connect" in row.error_message or "connect" in row.error_message
    assert worker.failed == 3
