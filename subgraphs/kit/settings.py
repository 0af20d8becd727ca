"""Settings of one service process, read once from ``POLYSHOP_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from subgraphs.kit.events.settings import EventSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ServiceSettings(EventSettings):
    """What every subgraph process needs; a service may subclass it to add its own fields.

    ``dev_mode`` turns on GraphiQL and shows exception details in GraphQL errors, so it
    must stay off in production.
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    service_name: str = "service"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev_mode: bool = False
    log_level: LogLevel = "INFO"
    log_json: bool = True

    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    db_echo: bool = False

    page_size_default: int = Field(default=20, ge=1)
    page_size_max: int = Field(default=100, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> ServiceSettings:
    """The process-wide settings; cached so every import sees the same object."""
    return ServiceSettings()
