"""One transaction per operation under concurrent resolvers, against a real PostgreSQL.

Root fields of one operation resolve concurrently and share the operation's session; a failed
non-null field makes graphql-core cancel its siblings mid-statement, and DataLoader batches run
as tasks of their own. Before `UnitOfWork` handled both, such operations sometimes answered a
path-less ``INTERNAL_SERVER_ERROR`` (the session closed under a running statement, or a rollback
on a connection the cancellation had dropped). Each case is repeated with shifting timings, and
the pool is checked for leaked connections afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import strawberry
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from polyshop.devstack.postgres import plain_url
from subgraphs.kit import (
    BadUserInput,
    ServiceContext,
    ServiceSettings,
    build_schema,
    create_service_app,
)
from subgraphs.kit.db import OperationFinished

Loaders = DataLoader[int, int]
ROUNDS = 60


def ctx(info: strawberry.Info) -> ServiceContext[Loaders, None]:
    context: ServiceContext[Loaders, None] = info.context
    return context


@strawberry.type
class Query:
    @strawberry.field
    async def loaded(self, info: strawberry.Info, n: int) -> int:
        return await ctx(info).loaders.load(n)

    @strawberry.field
    async def direct(self, info: strawberry.Info) -> int:
        async with ctx(info).db() as session:
            await session.execute(text("SELECT pg_sleep(0.001)"))
            return int(await session.scalar(text("SELECT count(*) FROM race_items")) or 0)

    @strawberry.field
    async def straggler(self, info: strawberry.Info) -> int:
        """Leaves a task behind that still uses the session when the operation ends."""
        STRAGGLERS.append(asyncio.create_task(_linger(ctx(info))))
        await asyncio.sleep(0.01)  # the task holds the session now
        return 1

    @strawberry.field
    async def late_refusal(self, info: strawberry.Info, delay: float) -> int:
        await asyncio.sleep(delay)
        raise BadUserInput("late refusal")


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add(self, info: strawberry.Info, name: str) -> str:
        async with ctx(info).db() as session:
            await session.execute(text("SELECT pg_sleep(0.001)"))
            await session.execute(text("INSERT INTO race_items (name) VALUES (:n)"), {"n": name})
        return name


schema = build_schema(query=Query, mutation=Mutation)
STRAGGLERS: list[asyncio.Task[list[str]]] = []


async def _linger(context: ServiceContext[Loaders, None]) -> list[str]:
    """Holds the session across the operation's end, then tries to use it again."""
    steps = []
    async with context.db() as session:
        await session.execute(text("SELECT pg_sleep(0.2)"))
        steps.append("first use finished")
    try:
        async with context.db() as session:
            await session.execute(text("SELECT 1"))
        steps.append("second use ran")
    except OperationFinished:
        steps.append("second use refused")
    return steps


def loaders(context: ServiceContext[Loaders, None]) -> Loaders:
    async def load(keys: list[int]) -> list[int]:
        async with context.db() as session:
            await session.execute(text("SELECT pg_sleep(0.003)"))
            await session.execute(text("SELECT 1"))
        return keys

    return DataLoader(load_fn=load)


@pytest.fixture(scope="module")
async def race_db(service_database: Callable[[str], Awaitable[str]]) -> str:
    url = await service_database("kit")
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("CREATE TABLE race_items (name text UNIQUE NOT NULL)")
    finally:
        await conn.close()
    return url


@pytest.fixture(scope="module")
async def app(race_db: str) -> AsyncIterator[FastAPI]:
    settings = ServiceSettings(database_url=race_db, log_level="CRITICAL", db_pool_size=2)
    app = create_service_app("kit", schema, settings, loaders_factory=loaders, verify_tokens=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        yield client


async def post(http: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def checked_out(app: FastAPI) -> int:
    engine: AsyncEngine = app.state.engine
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


async def test_many_concurrent_root_fields_all_answer(http: httpx.AsyncClient) -> None:
    fields = " ".join(f"l{i}: loaded(n: {i}) d{i}: direct" for i in range(10))
    for _ in range(ROUNDS):
        body = await post(http, "{ " + fields + " }")
        assert "errors" not in body, body
        assert [body["data"][f"l{i}"] for i in range(10)] == list(range(10))


async def test_a_failing_sibling_cancels_the_others_without_breaking_the_transaction(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    shapes = [
        " ".join(f"l{i}: loaded(n: {i})" for i in range(3)),
        " ".join(f"l{i}: loaded(n: {i}) d{i}: direct" for i in range(6)),
    ]
    unexpected: list[dict[str, Any]] = []
    for round_ in range(ROUNDS):
        fields = shapes[round_ % 2]
        # The refusal lands before, during and after the siblings' statements.
        delay = (round_ % 30) * 0.0003
        body = await post(http, "{ " + fields + f" lateRefusal(delay: {delay}) }}")
        errors = body.get("errors", [])
        if [(e["extensions"]["code"], e.get("path")) for e in errors] != [
            ("BAD_USER_INPUT", ["lateRefusal"])
        ]:
            unexpected.append(body)
    assert unexpected == [], f"{len(unexpected)} of {ROUNDS}: {unexpected[:2]}"
    # Every cancelled operation gave its connection back (invalidated or returned).
    assert checked_out(app) == 0
    # And the service still answers normally.
    assert "errors" not in await post(http, "{ a: direct b: loaded(n: 1) }")


async def test_concurrent_mutations_commit_together(http: httpx.AsyncClient, race_db: str) -> None:
    for round_ in range(20):
        names = " ".join(f'm{i}: add(name: "r{round_}-{i}")' for i in range(5))
        body = await post(http, "mutation { " + names + " }")
        assert "errors" not in body, body
    conn = await asyncpg.connect(plain_url(race_db))
    try:
        assert await conn.fetchval("SELECT count(*) FROM race_items") == 100
    finally:
        await conn.close()


async def test_the_operation_ends_after_a_straggling_use_and_refuses_later_ones(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    for _ in range(5):
        STRAGGLERS.clear()
        body = await post(http, "{ straggler direct }")
        assert "errors" not in body, body
        assert body["data"]["straggler"] == 1
        # The response waited for the straggler's statement instead of closing under it.
        assert STRAGGLERS[0].done()
        assert await STRAGGLERS[0] == ["first use finished", "second use refused"]
    assert checked_out(app) == 0
