"""Settings of the notifications process (``POLYSHOP_*``): SMTP, addresses, delivery retries."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr

from subgraphs.kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """``smtp_tls`` is implicit TLS (port 465); ``smtp_starttls`` upgrades a plain connection
    (port 587) and, left unset, is used whenever the server offers it."""

    service_name: str = "notifications"
    port: int = 4006
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notification_db"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: bool = False
    smtp_starttls: bool | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=10.0, gt=0)
    mail_from: str = "PolyShop <no-reply@polyshop.example>"
    shop_name: str = "PolyShop"

    # Where a user's e-mail comes from when the local `recipients` table has none: an
    # explicit mapping (user id → address), else the pattern ("" turns the pattern off).
    recipient_emails: dict[str, str] = Field(default_factory=dict)
    recipient_email_pattern: str = "user-{user_id}@users.polyshop.example"
    recipient_phones: dict[str, str] = Field(default_factory=dict)

    sms_provider: Literal["log"] = "log"

    # Delivery: the dispatcher sends queued messages and retries failures with backoff.
    delivery_poll_interval: float = Field(default=5.0, gt=0)
    delivery_batch_size: int = Field(default=20, ge=1)
    delivery_max_attempts: int = Field(default=8, ge=1)
    delivery_backoff_initial: float = Field(default=30.0, gt=0)
    delivery_backoff_max: float = Field(default=3600.0, gt=0)

    admin_role: str = "admin"


@lru_cache(maxsize=1)
def get_notifications_settings() -> NotificationsSettings:
    return NotificationsSettings()
