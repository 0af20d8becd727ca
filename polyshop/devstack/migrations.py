"""Run a service's Alembic migrations (`migrations/<service>/`) against a database URL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_ROOT = Path(__file__).resolve().parents[2] / "migrations"


def has_migrations(service: str) -> bool:
    return (MIGRATIONS_ROOT / service / "env.py").exists()


def alembic_config(service: str, url: str, attributes: Mapping[str, str] | None = None) -> Config:
    """An Alembic config for one service; its env.py reads ``sqlalchemy.url`` from it.

    ``attributes`` reach the migration scripts (``context.config.attributes``): values a data
    migration needs that are not in this process's settings (the dev stack's passphrase)."""
    script_location = MIGRATIONS_ROOT / service
    if not (script_location / "env.py").exists():
        raise FileNotFoundError(f"no Alembic environment at {script_location}")
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes.update(attributes or {})
    return config


def upgrade(
    service: str, url: str, revision: str = "head", attributes: Mapping[str, str] | None = None
) -> None:
    """Blocking: call it outside the event loop, or in a thread."""
    command.upgrade(alembic_config(service, url, attributes), revision)


def downgrade(service: str, url: str, revision: str) -> None:
    """Blocking: call it outside the event loop, or in a thread."""
    command.downgrade(alembic_config(service, url), revision)
