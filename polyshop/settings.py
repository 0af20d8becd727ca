"""Settings of the `polyshop` command (the dev stack and supervisor).

Environment variables, prefix ``POLYSHOP_``:

- ``POLYSHOP_DATA_DIR``: where the embedded PostgreSQL and NATS keep their data, and the mail
  catcher its maildir (default ``.polyshop/``).
- ``POLYSHOP_POSTGRES_URL``: a real PostgreSQL server to use instead of the embedded one;
  each service's database is created on it.
- ``POLYSHOP_<SERVICE>_DATABASE_URL``: one service's database (e.g.
  ``POLYSHOP_PRODUCTS_DATABASE_URL``); wins over ``POLYSHOP_POSTGRES_URL``.
- ``POLYSHOP_NATS_URL``: a real NATS server (JetStream enabled) instead of the embedded one.
- ``POLYSHOP_HOST``: the interface subgraphs and router listen on (default 127.0.0.1).
- ``POLYSHOP_PORT_OFFSET``: added to every development port (router 4000, subgraphs
  4001-4007), so a second stack can run beside the first (default 0).
- ``POLYSHOP_DEMO_CLIENT_SECRET``: the secret of every demo service client (default: generated
  once and kept in the data directory).
- ``POLYSHOP_MAIL_CATCHER``: run a local SMTP server that keeps notification e-mails in
  ``<data dir>/mail`` (a maildir) instead of delivering them (default true). Off, the
  notifications service uses the ``POLYSHOP_SMTP_*`` variables of the environment.
- ``POLYSHOP_MAIL_CATCHER_PORT``: its port (default: a free one).
- ``POLYSHOP_DEMO_ORDERS``: place the demo orders through the router once it is up (default
  true; idempotent, a second start adds nothing).
- ``POLYSHOP_DEMO_ORDERS_TIMEOUT``: seconds the demo orders may take to settle (default 60).
- ``POLYSHOP_RESTART_BACKOFF_INITIAL`` / ``POLYSHOP_RESTART_BACKOFF_MAX``: a crashed service
  or router is restarted after this wait, doubled after each crash up to the maximum
  (defaults 1 and 30 seconds); ``POLYSHOP_RESTART_RESET_AFTER``: seconds a restarted process
  must stay up before the wait is back to the initial one (default 60).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    data_dir: Path = Path(".polyshop")
    postgres_url: str | None = None
    nats_url: str | None = None
    host: str = "127.0.0.1"
    port_offset: int = Field(default=0, ge=-4000, le=60000)
    demo_client_secret: str | None = None

    mail_catcher: bool = True
    mail_catcher_port: int | None = Field(default=None, ge=1, le=65535)
    demo_orders: bool = True
    demo_orders_timeout: float = Field(default=60.0, gt=0)
    restart_backoff_initial: float = Field(default=1.0, gt=0)
    """seconds before a crashed service or the router is restarted (doubled per crash)."""
    restart_backoff_max: float = Field(default=30.0, gt=0)
    """the longest wait before a restart."""
    restart_reset_after: float = Field(default=60.0, gt=0)
    """seconds a restarted process must stay up before the wait is back to the initial one."""

    auth_database_url: str | None = None
    products_database_url: str | None = None
    inventory_database_url: str | None = None
    orders_database_url: str | None = None
    payments_database_url: str | None = None
    notifications_database_url: str | None = None
    analytics_database_url: str | None = None

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def database_url_override(self, service: str) -> str | None:
        value: str | None = getattr(self, f"{service}_database_url")
        return value


@lru_cache(maxsize=1)
def get_stack_settings() -> StackSettings:
    return StackSettings()
