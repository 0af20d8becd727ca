"""The notifications subgraph's schema: a user's notifications and the admin view of the logs.

``User.notifications`` extends the auth service's ``User`` entity; only that user, an admin
or a service may read it. ``notificationLogs`` (admins and services) pages one channel's
log with filters. Print the committed SDL with
``python -m subgraphs.notifications.schema > schema/notifications.graphql``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Authenticated

from subgraphs.kit.auth import Principal
from subgraphs.kit.auth.errors import Forbidden
from subgraphs.kit.auth.guards import require_grant, require_identity
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.pagination import Connection, SortKey, check_page_size, page_size, paginate
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.notifications import service
from subgraphs.notifications.loaders import USER_NOTIFICATIONS_MAX, NotificationContext
from subgraphs.notifications.models import DeliveryStatus, EmailLog, SmsLog
from subgraphs.notifications.templates import TemplateName

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100

DeliveryStatusEnum = strawberry.enum(
    DeliveryStatus,
    name="NotificationStatus",
    description="PENDING until the first attempt; FAILED attempts are retried with backoff.",
)


@strawberry.enum(description="How a notification travels.")
class NotificationChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"


_MODELS: dict[NotificationChannel, service.DeliveryModel] = {
    NotificationChannel.EMAIL: EmailLog,
    NotificationChannel.SMS: SmsLog,
}

_SORTS = {
    channel: SortKey(
        f"{channel.value.lower()}_created_desc", (model.created_at, model.id), descending=True
    )
    for channel, model in _MODELS.items()
}


@strawberry.type(name="Notification", description="One message to a user and its delivery.")
class NotificationType:
    id: strawberry.ID
    channel: NotificationChannel
    template: str
    recipient: str = strawberry.field(description="E-mail address or phone number.")
    subject: str | None
    body: str
    status: DeliveryStatus
    error_message: str | None = strawberry.field(description="The last failed attempt's error.")
    attempts: int
    event_type: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once sent or given up."
    )
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: EmailLog | SmsLog) -> NotificationType:
        email = isinstance(row, EmailLog)
        channel = NotificationChannel.EMAIL if email else NotificationChannel.SMS
        return cls(
            id=strawberry.ID(f"{channel.value.lower()}:{row.id}"),
            channel=channel,
            template=row.template,
            recipient=row.to_address if isinstance(row, EmailLog) else row.phone_number,
            subject=row.subject if isinstance(row, EmailLog) else None,
            body=row.body,
            status=DeliveryStatus(row.status),
            error_message=row.error_message,
            attempts=row.attempts,
            event_type=row.event_type,
            created_at=row.created_at,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
        )


def _admin_role(info: strawberry.Info[NotificationContext, None]) -> str:
    return info.context.resources.settings.admin_role


READ_SCOPE = "notifications:read"
"""Lets a service read every user's notifications (admins may by their role)."""
WRITE_SCOPE = "notifications:write"
"""Lets a service set recipients (admins may by their role)."""


def _may_read_all(info: strawberry.Info[NotificationContext, None], identity: Principal) -> bool:
    return identity.has_role(_admin_role(info)) or identity.has_scope(READ_SCOPE)


@strawberry.federation.type(name="User", keys=["id"])
class UserType:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UserType:
        return cls(id=id)

    @strawberry.field(
        description="Newest first; only the user, admins and services granted "
        "notifications:read may read.",
        directives=[Authenticated(), page_size(PAGE_SIZE_DEFAULT, connection=False)],
    )
    async def notifications(
        self,
        info: strawberry.Info[NotificationContext, None],
        channel: NotificationChannel | None = None,
        first: int = PAGE_SIZE_DEFAULT,
    ) -> list[NotificationType] | None:
        identity = require_identity(info)
        if identity.user_id != str(self.id) and not _may_read_all(info, identity):
            raise Forbidden(
                "Only the user, an admin or a service granted notifications:read may read "
                "these notifications"
            )
        if not 0 <= first <= USER_NOTIFICATIONS_MAX:
            raise BadUserInput(
                f"`first` must be between 0 and {USER_NOTIFICATIONS_MAX}", argument="first"
            )
        loaders = info.context.loaders
        rows: list[EmailLog | SmsLog] = []
        if channel in (None, NotificationChannel.EMAIL):
            rows.extend(await loaders.emails_by_user.load(str(self.id)))
        if channel in (None, NotificationChannel.SMS):
            rows.extend(await loaders.sms_by_user.load(str(self.id)))
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return [NotificationType.from_row(row) for row in rows[:first]]


@strawberry.type(name="Recipient", description="A user's addresses as notifications knows them.")
class RecipientType:
    user_id: strawberry.ID
    email: str | None
    phone_number: str | None
    name: str | None
    updated_at: datetime


@strawberry.input(description="All given conditions must hold; `to` is exclusive.")
class NotificationLogFilter:
    status: DeliveryStatus | None = None
    template: str | None = None
    user_id: strawberry.ID | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_filter(self) -> service.LogFilter:
        if self.template is not None and self.template not in {t.value for t in TemplateName}:
            raise BadUserInput(f"Unknown template {self.template!r}", argument="template")
        return service.LogFilter(
            status=None if self.status is None else self.status.value,
            template=self.template,
            user_id=None if self.user_id is None else str(self.user_id),
            created_from=self.from_,
            created_to=self.to,
        ).validated()


@strawberry.type
class Query:
    @strawberry.field(
        description="Admins and services granted notifications:read: one channel's log, "
        "newest first.",
        directives=[Authenticated(), page_size(PAGE_SIZE_DEFAULT)],
    )
    async def notification_logs(
        self,
        info: strawberry.Info[NotificationContext, None],
        channel: NotificationChannel = NotificationChannel.EMAIL,
        filter: NotificationLogFilter | None = None,
        first: int | None = PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Connection[NotificationType]:
        identity = require_identity(info)
        if not _may_read_all(info, identity):
            raise Forbidden("Only admins and services granted notifications:read may read the logs")
        context = info.context
        size = check_page_size(first, default=PAGE_SIZE_DEFAULT, maximum=PAGE_SIZE_MAX)
        wanted = filter.to_filter() if filter is not None else service.LogFilter()
        model = _MODELS[channel]
        async with context.db() as session:
            page = await paginate(
                session, service.log_query(model, wanted), _SORTS[channel], first=size, after=after
            )

        async def count_total() -> int:
            async with context.db() as session:
                return await service.count_logs(session, model, wanted)

        return page.to_connection(NotificationType.from_row, count_total)

    @strawberry.field(description="The names of the message templates.")
    def notification_templates(self) -> list[str]:
        return [t.value for t in TemplateName]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admins and services granted notifications:write: set where a user's "
        "notifications go "
        "(until the auth service publishes user events).",
        directives=[Authenticated()],
    )
    async def save_recipient(
        self,
        info: strawberry.Info[NotificationContext, None],
        user_id: strawberry.ID,
        email: str | None = None,
        phone_number: str | None = None,
        name: str | None = None,
    ) -> RecipientType:
        require_grant(info, role=_admin_role(info), scope=WRITE_SCOPE, what="Changing recipients")
        async with info.context.db() as session:
            row = await service.save_recipient(
                session, user_id=str(user_id), email=email, phone_number=phone_number, name=name
            )
        return RecipientType(
            user_id=strawberry.ID(row.user_id),
            email=row.email,
            phone_number=row.phone_number,
            name=row.name,
            updated_at=row.updated_at,
        )


schema = build_schema(query=Query, mutation=Mutation, types=[UserType])


def sdl() -> str:
    """The SDL to commit as ``schema/notifications.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
