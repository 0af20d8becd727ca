"""The one Alembic environment every service's ``migrations/<service>/env.py`` runs.

Each env.py is two lines: import the service's ``Base`` and call ``run(Base.metadata)``.
Alembic executes env.py as a script (not as a module of a package), so the shared code lives
here, in the kit, where env.py can import it like any service code does.

The database URL comes from the Alembic config (``sqlalchemy.url``, set by
`polyshop.devstack.migrations`); a plain ``postgresql://`` URL is taken as asyncpg's.
Online migrations run on an async engine with no pool (one connection, closed afterwards);
offline mode (``alembic upgrade --sql``) prints the SQL with literal values.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run(metadata: MetaData, *, schema: str | None = None) -> None:
    """Run the migrations Alembic asked for against ``metadata``.

    ``schema``: the service keeps its tables in this Postgres schema; autogenerate then
    compares that schema only (not ``public`` nor another service's).
    """
    if context.is_offline_mode():
        _configure(metadata, schema, url=database_url())
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(metadata, schema))


def database_url() -> str:
    """``sqlalchemy.url`` of the Alembic config, as an asyncpg URL."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url in the Alembic config (an asyncpg URL)")
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


def _configure(
    metadata: MetaData,
    schema: str | None,
    *,
    url: str | None = None,
    connection: Connection | None = None,
) -> None:
    def own_schema_only(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "schema" or name == schema

    context.configure(
        url=url,
        connection=connection,
        target_metadata=metadata,
        include_schemas=schema is not None,
        include_name=own_schema_only if schema is not None else None,
        literal_binds=connection is None,
        dialect_opts={"paramstyle": "named"} if connection is None else None,
    )


async def _run_online(metadata: MetaData, schema: str | None) -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)

    def migrate(connection: Connection) -> None:
        _configure(metadata, schema, connection=connection)
        with context.begin_transaction():
            context.run_migrations()

    try:
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
    finally:
        await engine.dispose()
