"""The notifications process's long-lived parts: its settings and the `Dispatcher` that
sends queued messages. Made when the app starts (``create_service_app(resources=...)``),
they reach resolvers as ``NotificationContext.resources``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from subgraphs.kit.context import ResourcesFactory, ServiceProcess
from subgraphs.notifications.channels import (
    EmailSender,
    LoggingSmsProvider,
    SmsProvider,
    SmtpMailer,
)
from subgraphs.notifications.dispatcher import Dispatcher
from subgraphs.notifications.settings import NotificationsSettings


@dataclass(frozen=True, slots=True)
class NotificationResources:
    settings: NotificationsSettings
    dispatcher: Dispatcher
    """Sends the queued messages over SMTP/SMS and retries failures (runs while the app does)."""


def notification_resources(
    *, mailer: EmailSender | None = None, sms: SmsProvider | None = None
) -> ResourcesFactory[NotificationsSettings, NotificationResources]:
    """The resources factory; ``mailer`` and ``sms`` replace the defaults of the settings.
    On shutdown the dispatcher finishes the send in hand (within the SMTP timeout)."""

    @asynccontextmanager
    async def resources(
        process: ServiceProcess[NotificationsSettings],
    ) -> AsyncIterator[NotificationResources]:
        settings = process.settings
        dispatcher = Dispatcher(
            engine=process.engine,
            sessionmaker=process.sessionmaker,
            settings=settings,
            mailer=mailer or SmtpMailer(settings),
            sms=sms or LoggingSmsProvider(),
        )
        dispatcher.start()
        try:
            yield NotificationResources(settings=settings, dispatcher=dispatcher)
        finally:
            await dispatcher.stop(grace=settings.smtp_timeout + 5)

    return resources
