"""The notifications service process: ``uvicorn subgraphs.notifications.app:app`` (port 4006).

Besides GraphQL it runs two consumers (``notifications-orders``, ``notifications-payments``)
that queue messages, and the `Dispatcher` that sends them over SMTP/SMS and retries
failures. Settings: `NotificationsSettings` (``POLYSHOP_SMTP_*``, ``POLYSHOP_MAIL_FROM``,
``POLYSHOP_RECIPIENT_*``, ``POLYSHOP_DELIVERY_*``). There is no demo data: logs only make
sense for real orders, which the demo stack creates through checkout.
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.notifications.channels import EmailSender, SmsProvider
from subgraphs.notifications.events import NotificationHandlers
from subgraphs.notifications.loaders import make_loaders
from subgraphs.notifications.recipients import RecipientDirectory, default_directory
from subgraphs.notifications.resources import notification_resources
from subgraphs.notifications.schema import schema
from subgraphs.notifications.settings import NotificationsSettings, get_notifications_settings


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    verify_tokens: bool = True,
    directory: RecipientDirectory | None = None,
    mailer: EmailSender | None = None,
    sms: SmsProvider | None = None,
) -> FastAPI:
    """The app; ``directory``, ``mailer`` and ``sms`` replace the defaults of the settings."""
    settings = settings or get_notifications_settings()
    handlers = NotificationHandlers(settings, directory or default_directory(settings))
    return create_service_app(
        "notifications",
        schema,
        settings,
        loaders_factory=make_loaders,
        resources=notification_resources(mailer=mailer, sms=sms),
        verify_tokens=verify_tokens,
        event_consumers=handlers.consumers(),
    )


app = create_app()
