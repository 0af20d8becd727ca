"""The kit's app factory with a small schema of its own, against a real PostgreSQL:
transactions per operation, error policy (codes, masking, dev mode), correlation ids,
/health and /ready, and serialised use of the request's session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import strawberry
from fastapi import FastAPI
from sqlalchemy import text

from polyshop.devstack.postgres import plain_url
from subgraphs.kit import (
    BadUserInput,
    ServiceContext,
    ServiceSettings,
    build_schema,
    create_service_app,
)
from subgraphs.kit.logging import CORRELATION_HEADER


def ctx(info: strawberry.Info) -> ServiceContext[None, None]:
    context: ServiceContext[None, None] = info.context
    return context


@strawberry.type
class Query:
    @strawberry.field
    def boom(self) -> int:
        raise RuntimeError("secret internals: password=hunter2")

    @strawberry.field
    def refused(self) -> int:
        raise BadUserInput("That will not do", field="x")

    @strawberry.field
    async def count(self, info: strawberry.Info) -> int:
        async with ctx(info).db() as session:
            await session.execute(text("SELECT pg_sleep(0.005)"))
            value = await session.scalar(text("SELECT count(*) FROM kit_items"))
        return int(value or 0)

    @strawberry.field
    async def divide(self, info: strawberry.Info) -> int:
        async with ctx(info).db() as session:
            return int(await session.scalar(text("SELECT 1/0")) or 0)

    @strawberry.field
    def correlation_id(self, info: strawberry.Info) -> str:
        return ctx(info).correlation_id


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add(self, info: strawberry.Info, name: str) -> str:
        async with ctx(info).db() as session:
            await session.execute(text("INSERT INTO kit_items (name) VALUES (:n)"), {"n": name})
        return name

    @strawberry.mutation
    async def add_then_fail(self, info: strawberry.Info, name: str) -> str:
        async with ctx(info).db() as session:
            await session.execute(text("INSERT INTO kit_items (name) VALUES (:n)"), {"n": name})
            await session.flush()
        raise BadUserInput("second thoughts")


schema = build_schema(
    query=Query,
    mutation=Mutation,
    constraint_messages={"kit_items_name_key": "That name is taken"},
)


@pytest.fixture(scope="module")
async def kit_db(service_database: Callable[[str], Awaitable[str]]) -> str:
    url = await service_database("kit")
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("CREATE TABLE kit_items (name text UNIQUE NOT NULL)")
    finally:
        await conn.close()
    return url


async def _client(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    # Token checks are tested with a real auth service in tests/subgraphs/auth.
    app: FastAPI = create_service_app(
        "kit", schema, settings, loaders_factory=lambda _c: None, verify_tokens=False
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as http:
            yield http


@pytest.fixture(scope="module")
async def client(kit_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(ServiceSettings(database_url=kit_db, log_level="WARNING")):
        yield http


@pytest.fixture(scope="module")
async def dev_client(kit_db: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(database_url=kit_db, dev_mode=True, log_level="WARNING")
    async for http in _client(settings):
        yield http


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def rows(kit_db: str) -> list[str]:
    conn = await asyncpg.connect(plain_url(kit_db))
    try:
        return [r["name"] for r in await conn.fetch("SELECT name FROM kit_items ORDER BY name")]
    finally:
        await conn.close()


async def test_unexpected_errors_are_masked_outside_dev_mode(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ boom }")
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["path"] == ["boom"]
    assert "hunter2" not in str(body)


async def test_dev_mode_shows_the_exception_type_and_a_trace_reference_only(
    dev_client: httpx.AsyncClient,
) -> None:
    body = await post(dev_client, "{ boom }")
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["exception"] == {"type": "RuntimeError"}
    assert error["extensions"]["correlationId"]
    assert "secret internals" not in str(body)
    assert "hunter2" not in str(body)


async def test_client_errors_keep_message_code_and_details(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ refused }")
    assert body["errors"][0]["message"] == "That will not do"
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "x"}


async def test_database_faults_that_are_not_input_stay_internal(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ divide }")
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_mutations_commit_and_failures_roll_back(
    client: httpx.AsyncClient, kit_db: str
) -> None:
    assert "errors" not in await post(client, 'mutation { add(name: "kept") }')
    failed = await post(client, 'mutation { a: add(name: "undone") b: addThenFail(name: "x") }')
    assert [e["extensions"]["code"] for e in failed["errors"]] == ["BAD_USER_INPUT"]
    assert await rows(kit_db) == ["kept"]


async def test_unique_violation_maps_to_bad_user_input(
    client: httpx.AsyncClient, kit_db: str
) -> None:
    await post(client, 'mutation { add(name: "dup") }')
    body = await post(client, 'mutation { add(name: "dup") }')
    assert body["errors"][0]["message"] == "That name is taken"
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "constraint": "kit_items_name_key",
    }
    assert (await rows(kit_db)).count("dup") == 1


async def test_concurrent_resolvers_share_the_session_safely(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"c{i}: count" for i in range(12)) + " }"
    body = await post(client, query)
    assert "errors" not in body, body
    assert len(set(body["data"].values())) == 1


async def test_correlation_id_is_echoed_generated_or_replaced(client: httpx.AsyncClient) -> None:
    sent = await client.post(
        "/graphql", json={"query": "{ correlationId }"}, headers={CORRELATION_HEADER: "abc-123"}
    )
    assert sent.headers[CORRELATION_HEADER] == "abc-123"
    assert sent.json()["data"]["correlationId"] == "abc-123"
    fresh = await client.post("/graphql", json={"query": "{ correlationId }"})
    generated = fresh.headers[CORRELATION_HEADER]
    assert len(generated) == 36
    assert fresh.json()["data"]["correlationId"] == generated
    junk = await client.get("/health", headers={CORRELATION_HEADER: "<script>" * 40})
    assert junk.headers[CORRELATION_HEADER] != "<script>" * 40


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "service": "kit"}
    assert (await client.get("/ready")).status_code == 200


async def test_ready_is_503_when_the_database_is_unreachable() -> None:
    settings = ServiceSettings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        db_pool_timeout=2,
        log_level="CRITICAL",
    )
    async for http in _client(settings):
        response = await http.get("/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "service": "kit"}
        assert (await http.get("/health")).status_code == 200


async def test_graphiql_only_in_dev_mode(
    client: httpx.AsyncClient, dev_client: httpx.AsyncClient
) -> None:
    html = {"Accept": "text/html"}
    assert "graphiql" in (await dev_client.get("/graphql", headers=html)).text.lower()
    assert (await client.get("/graphql", headers=html)).status_code == 404
