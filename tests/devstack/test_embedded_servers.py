"""The embedded servers are real: data survives a restart, JetStream stores messages."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import nats
import pytest

from polyshop.devstack.nats import EmbeddedNats
from polyshop.devstack.postgres import (
    EmbeddedPostgres,
    create_database,
    database_exists,
    database_url,
    drop_database,
    plain_url,
)


async def test_postgres_keeps_data_across_restarts(embedded_server_dir: Path) -> None:
    tmp_path = embedded_server_dir
    server = EmbeddedPostgres(tmp_path / "pg")
    server.start()
    try:
        await create_database(server.server_url, "keepme")
        conn = await asyncpg.connect(plain_url(database_url(server.server_url, "keepme")))
        await conn.execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')")
        await conn.close()
    finally:
        server.stop()

    restarted = EmbeddedPostgres(tmp_path / "pg")
    restarted.start()
    try:
        conn = await asyncpg.connect(plain_url(database_url(restarted.server_url, "keepme")))
        assert await conn.fetchval("SELECT v FROM t") == "kept"
        assert await conn.fetchval("SELECT gen_random_uuid() IS NOT NULL") is True
        await conn.close()
    finally:
        restarted.stop()
    assert not (tmp_path / "pg" / "postmaster.pid").exists()


async def test_create_from_template_and_drop(pg_server_url: str) -> None:
    await create_database(pg_server_url, "tpl_source")
    conn = await asyncpg.connect(plain_url(database_url(pg_server_url, "tpl_source")))
    await conn.execute("CREATE TABLE marker (id int); INSERT INTO marker VALUES (7)")
    await conn.close()

    await create_database(pg_server_url, "tpl_copy", template="tpl_source")
    conn = await asyncpg.connect(plain_url(database_url(pg_server_url, "tpl_copy")))
    assert await conn.fetchval("SELECT id FROM marker") == 7
    await conn.close()

    for name in ("tpl_copy", "tpl_source"):
        await drop_database(pg_server_url, name)
        assert not await database_exists(pg_server_url, name)


def test_database_url_replaces_driver_and_database() -> None:
    url = database_url("postgresql://postgres:s%40cret@db.example:5433/postgres", "product_db")
    assert url == "postgresql+asyncpg://postgres:s%40cret@db.example:5433/product_db"
    assert plain_url(url) == "postgresql://postgres:s%40cret@db.example:5433/product_db"


async def test_nats_jetstream_persists_messages(embedded_server_dir: Path) -> None:
    tmp_path = embedded_server_dir
    with EmbeddedNats(tmp_path / "nats") as server:
        client = await nats.connect(server.url)
        js = client.jetstream()
        await js.add_stream(name="probe", subjects=["probe.>"])
        ack = await js.publish("probe.hello", b"hi", headers={"Nats-Msg-Id": "m-1"})
        duplicate = await js.publish("probe.hello", b"hi", headers={"Nats-Msg-Id": "m-1"})
        assert duplicate.duplicate is True
        assert duplicate.seq == ack.seq
        await client.close()
        port = server.port

    with EmbeddedNats(tmp_path / "nats", port=port) as server:
        client = await nats.connect(server.url)
        info = await client.jetstream().stream_info("probe")
        assert info.state.messages == 1
        await client.close()


def test_nats_url_requires_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = EmbeddedNats(tmp_path).url
