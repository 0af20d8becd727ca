"""Where a user's e-mail address and phone number come from.

The auth service owns users but publishes no user events yet, so the events we consume carry
only a ``user_id``. A `RecipientDirectory` turns it into addresses. The default,
`default_directory`, asks in order: the local ``recipients`` table (filled by an operator
today, by ``user.*`` events once auth publishes them), then the settings mapping
``POLYSHOP_RECIPIENT_EMAILS``/``POLYSHOP_RECIPIENT_PHONES`` (JSON objects user id → address),
then the pattern ``POLYSHOP_RECIPIENT_EMAIL_PATTERN`` (``{user_id}`` replaced; empty turns it
off). A user with no phone number gets no SMS; a user with no e-mail gets no e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.notifications.models import Recipient
from subgraphs.notifications.settings import NotificationsSettings


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None = None
    phone_number: str | None = None


class RecipientDirectory(Protocol):
    async def lookup(self, session: AsyncSession, user_id: str) -> Contact:
        """The user's addresses (fields None when unknown); runs in the handler's session."""
        ...


class TableDirectory:
    """The local ``recipients`` table."""

    async def lookup(self, session: AsyncSession, user_id: str) -> Contact:
        row = await session.get(Recipient, user_id)
        if row is None:
            return Contact()
        return Contact(email=row.email, phone_number=row.phone_number)


@dataclass(frozen=True, slots=True)
class SettingsDirectory:
    """Fixed mappings, then an address pattern for e-mail."""

    emails: Mapping[str, str]
    phones: Mapping[str, str]
    email_pattern: str = ""

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> SettingsDirectory:
        return cls(
            emails=dict(settings.recipient_emails),
            phones=dict(settings.recipient_phones),
            email_pattern=settings.recipient_email_pattern,
        )

    async def lookup(self, session: AsyncSession, user_id: str) -> Contact:
        email = self.emails.get(user_id)
        if email is None and self.email_pattern:
            email = self.email_pattern.format(user_id=user_id)
        return Contact(email=email, phone_number=self.phones.get(user_id))


@dataclass(frozen=True, slots=True)
class ChainDirectory:
    """Each field from the first directory that knows it."""

    directories: Sequence[RecipientDirectory]

    async def lookup(self, session: AsyncSession, user_id: str) -> Contact:
        email: str | None = None
        phone: str | None = None
        for directory in self.directories:
            found = await directory.lookup(session, user_id)
            email = email or found.email
            phone = phone or found.phone_number
            if email and phone:
                break
        return Contact(email=email, phone_number=phone)


def default_directory(settings: NotificationsSettings) -> RecipientDirectory:
    return ChainDirectory([TableDirectory(), SettingsDirectory.from_settings(settings)])
