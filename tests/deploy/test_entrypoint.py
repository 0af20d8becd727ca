"""The image's entrypoint, run as the container runs it: real processes, real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from polyshop.devstack.ports import free_port
from polyshop.devstack.postgres import create_database, database_url, drop_database

ENTRYPOINT = [sys.executable, "-m", "deploy.entrypoint"]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSHOP_")}
    return {**env, "POLYSHOP_HOST": "127.0.0.1", "POLYSHOP_LOG_JSON": "true", **extra}


async def run(args: list[str], env: Mapping[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *ENTRYPOINT,
        *args,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


@asynccontextmanager
async def empty_database(pg_server_url: str) -> AsyncIterator[str]:
    name = f"deploy_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server_url, name)
    try:
        yield database_url(pg_server_url, name)
    finally:
        await drop_database(pg_server_url, name)


@asynccontextmanager
async def serving(args: list[str], env: Mapping[str, str], cwd: Path) -> AsyncIterator[int]:
    """Start ``serve``; yield its pid once ``/health`` answers; stop it with SIGTERM."""
    process = await asyncio.create_subprocess_exec(*ENTRYPOINT, *args, env=dict(env), cwd=cwd)
    try:
        yield process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def wait_for_status(url: str, seconds: float = 45.0) -> int:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    return response.status
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


async def test_migrate_then_wait_migrated_then_serve_and_probe(
    pg_server_url: str, nats_url: str, repo_root: Path
) -> None:
    async with empty_database(pg_server_url) as url:
        env = base_env(
            POLYSHOP_SERVICE_NAME="products",
            POLYSHOP_DATABASE_URL=url,
            POLYSHOP_NATS_URL=nats_url,
            POLYSHOP_DEV_MODE="true",
            POLYSHOP_DEPLOY_MIGRATION_WAIT_SECONDS="0",
        )
        code, output = await run(["wait-migrated"], env, repo_root)
        assert code == 1, output
        assert "not at head" in output

        code, output = await run(["migrate"], {**env, "POLYSHOP_DEPLOY_DEMO_DATA": "1"}, repo_root)
        assert code == 0, output
        assert "products: migrated to head" in output
        assert "demo data loaded" in output

        code, output = await run(["wait-migrated"], env, repo_root)
        assert code == 0, output

        port = free_port()
        env = {**env, "POLYSHOP_PORT": str(port)}
        code, _ = await run(["healthcheck"], env, repo_root)
        assert code == 1, "nothing listens yet: the probe must fail"
        async with serving(["serve"], env, repo_root) as pid:
            assert await wait_for_status(f"http://127.0.0.1:{port}/health") == 200
            # exec: the server itself is the process the orchestrator started and signals.
            cmdline_file = Path(f"/proc/{pid}/cmdline")
            cmdline = (await asyncio.to_thread(cmdline_file.read_bytes)).split(b"\0")
            assert b"uvicorn" in cmdline
            assert b"subgraphs.products.app:app" in cmdline
            code, output = await run(["healthcheck"], env, repo_root)
            assert code == 0, output
            code, output = await run(["healthcheck", "--path", "/ready"], env, repo_root)
            assert code == 0, output
            code, output = await run(["healthcheck", "--path", "/missing"], env, repo_root)
            assert code == 1
            assert "answered 404" in output


async def test_serve_router_listens_where_the_probe_looks(repo_root: Path) -> None:
    port = free_port()
    env = base_env(
        POLYSHOP_ROUTER_PORT=str(port),
        POLYSHOP_ROUTER_SUPERGRAPH=str(repo_root / "schema" / "supergraph.graphql"),
        POLYSHOP_ROUTER_HOT_RELOAD="false",
    )
    async with serving(["serve", "router"], env, repo_root):
        assert await wait_for_status(f"http://127.0.0.1:{port}/health") == 200
        code, output = await run(["healthcheck", "router"], env, repo_root)
        assert code == 0, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "warehouse"], "unknown service 'warehouse'"),
        (["serve"], "name a service"),
        (["migrate", "products"], "set POLYSHOP_DATABASE_URL"),
    ],
)
async def test_refuses_what_it_cannot_run(args: list[str], message: str, repo_root: Path) -> None:
    code, output = await run(args, base_env(), repo_root)
    assert code == 2
    assert message in " ".join(output.split())
