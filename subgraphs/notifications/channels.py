"""The ways out: e-mail over SMTP and text messages through a provider.

Both are interfaces (`EmailSender`, `SmsProvider`) so a real SMS gateway, or an e-mail API,
plugs in without touching delivery. A send raises on failure; the dispatcher records the
error and retries later.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from subgraphs.kit.logging import get_logger
from subgraphs.notifications.settings import NotificationsSettings

log = get_logger("polyshop.notifications.channels")


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to_address: str
    subject: str
    body: str
    # Stable across retries, so a receiving system can drop a copy we might resend after a
    # crash between the SMTP answer and our commit.
    message_id: str


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    phone_number: str
    body: str
    reference: str


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...


class SmsProvider(Protocol):
    async def send(self, sms: OutgoingSms) -> None: ...


class SmtpMailer:
    """One SMTP session per message (aiosmtplib); TLS and login as the settings say."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    def build(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = email.to_address
        message["Subject"] = email.subject
        message["Message-ID"] = email.message_id
        message.set_content(email.body)
        return message

    async def send(self, email: OutgoingEmail) -> None:
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        await aiosmtplib.send(
            self.build(email),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )


class LoggingSmsProvider:
    """The default provider: writes the text to the log and counts it sent."""

    async def send(self, sms: OutgoingSms) -> None:
        log.info("sms", to=sms.phone_number, body=sms.body, reference=sms.reference)


def message_id(channel: str, log_id: int, domain: str = "polyshop.example") -> str:
    """``<email-42@polyshop.example>``: one per log row, the same on every attempt."""
    return f"<{channel}-{log_id}@{domain}>"
