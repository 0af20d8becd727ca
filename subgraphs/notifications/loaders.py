"""Dataloaders of the notifications subgraph, created fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, rows_grouped_by
from subgraphs.notifications.models import EmailLog, SmsLog
from subgraphs.notifications.resources import NotificationResources
from subgraphs.notifications.service import latest_per_user

USER_NOTIFICATIONS_MAX = 100


@dataclass(frozen=True, slots=True)
class NotificationLoaders:
    # The newest USER_NOTIFICATIONS_MAX logs per user and channel; `User.notifications`
    # merges and cuts them, so any number of users costs two statements.
    emails_by_user: DataLoader[str, list[EmailLog]]
    sms_by_user: DataLoader[str, list[SmsLog]]


NotificationContext = ServiceContext[NotificationLoaders, NotificationResources]


def make_loaders(context: NotificationContext) -> NotificationLoaders:
    db: SessionScope = context.db
    return NotificationLoaders(
        emails_by_user=rows_grouped_by(
            db,
            lambda keys: latest_per_user(EmailLog, keys, USER_NOTIFICATIONS_MAX),
            lambda row: row.user_id or "",
        ),
        sms_by_user=rows_grouped_by(
            db,
            lambda keys: latest_per_user(SmsLog, keys, USER_NOTIFICATIONS_MAX),
            lambda row: row.user_id or "",
        ),
    )
