"""`polyshop auth create-client` and `rotate-keys` against a real auth database."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from polyshop.cli import app
from polyshop.devstack.postgres import plain_url
from subgraphs.auth.settings import get_auth_settings
from tests.conftest import ServiceDatabaseFactory


@pytest.fixture(scope="module")
async def cli_auth_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("auth")


def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(plain_url(url))
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def test_create_client_prints_the_secret_once_and_stores_only_its_hash(cli_auth_db: str) -> None:
    scopes = ["--scope", "orders:read", "--scope", "products:read"]
    command = ["auth", "create-client", "reporting", "--database-url", cli_auth_db, *scopes]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    secret = result.stdout.split("client_secret:", 1)[1].split()[0]
    assert len(secret) >= 32
    (row,) = fetch(cli_auth_db, "SELECT * FROM service_clients WHERE client_id = 'reporting'")
    stored = " ".join(str(value) for value in row.values())
    assert secret not in stored, "the secret itself must never be stored"
    assert set(row["allowed_scopes"]) == {"orders:read", "products:read"}


def test_rotate_keys_adds_a_new_current_key(
    cli_auth_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = fetch(cli_auth_db, "SELECT kid FROM signing_keys")
    # The CLI encrypts the new key with the service's passphrase, read from its settings.
    monkeypatch.setenv("POLYSHOP_AUTH_KEY_PASSPHRASE", "cli-test-passphrase")
    get_auth_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["auth", "rotate-keys", "--database-url", cli_auth_db])
    finally:
        get_auth_settings.cache_clear()
    assert result.exit_code == 0, result.output
    kid = result.stdout.rsplit(":", 1)[1].strip()
    after = {row["kid"] for row in fetch(cli_auth_db, "SELECT kid FROM signing_keys")}
    assert kid in after
    assert {row["kid"] for row in before} < after
