"""Settings of the `polyshop` command (the dev stack and supervisor).

Environment variables, prefix ``POLYSHOP_``:

- ``POLYSHOP_DATA_DIR``: where the embedded PostgreSQL and NATS keep their data
  (default ``.polyshop/``).
- ``POLYSHOP_POSTGRES_URL``: a real PostgreSQL server to use instead of the embedded one;
  each service's database is created on it.
- ``POLYSHOP_<SERVICE>_DATABASE_URL``: one service's database (e.g.
  ``POLYSHOP_PRODUCTS_DATABASE_URL``); wins over ``POLYSHOP_POSTGRES_URL``.
- ``POLYSHOP_NATS_URL``: a real NATS server (JetStream enabled) instead of the embedded one.
- ``POLYSHOP_HOST``: the interface subgraphs and router listen on (default 127.0.0.1).
- ``POLYSHOP_DEMO_CLIENT_SECRET``: the secret of every demo service client (default: generated
  once and kept in the data directory).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    data_dir: Path = Path(".polyshop")
    postgres_url: str | None = None
    nats_url: str | None = None
    host: str = "127.0.0.1"
    demo_client_secret: str | None = None

    auth_database_url: str | None = None
    products_database_url: str | None = None
    inventory_database_url: str | None = None
    orders_database_url: str | None = None
    payments_database_url: str | None = None
    notifications_database_url: str | None = None
    analytics_database_url: str | None = None

    def database_url_override(self, service: str) -> str | None:
        value: str | None = getattr(self, f"{service}_database_url")
        return value


@lru_cache(maxsize=1)
def get_stack_settings() -> StackSettings:
    return StackSettings()
