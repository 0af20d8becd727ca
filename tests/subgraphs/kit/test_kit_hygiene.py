"""Input hygiene and no leaks at the edge of every service (the kit), against a real
PostgreSQL: NUL characters and out-of-range amounts are ``BAD_USER_INPUT`` before any SQL runs,
ids have one spelling, and no mode returns SQL, bound parameters or exception texts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
import strawberry
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from polyshop.devstack.postgres import plain_url
from subgraphs.kit import Money, ServiceContext, ServiceSettings, build_schema, create_service_app
from subgraphs.kit.ids import bigint_id, uuid_id
from subgraphs.kit.scalars import MONEY_MAX, parse_money_value

SECRET = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0$not-a-real-hash"


def ctx(info: strawberry.Info) -> ServiceContext[None, None]:
    context: ServiceContext[None, None] = info.context
    return context


@strawberry.input
class NoteInput:
    title: str
    tags: list[str]


@strawberry.type
class Query:
    @strawberry.field
    async def echo(self, info: strawberry.Info, value: str) -> str:
        async with ctx(info).db() as session:
            return str(await session.scalar(text("SELECT CAST(:v AS text)"), {"v": value}))

    @strawberry.field
    async def leak(self, info: strawberry.Info) -> int:
        """A database fault whose text would carry the SQL and a secret parameter."""
        async with ctx(info).db() as session:
            value = await session.scalar(
                text("SELECT length(CAST(:hash AS text)) / 0"), {"hash": SECRET}
            )
        return int(value or 0)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def note(self, info: strawberry.Info, input: NoteInput) -> str:
        async with ctx(info).db() as session:
            await session.execute(
                text("INSERT INTO hygiene_notes (title) VALUES (:t)"), {"t": input.title}
            )
        return input.title

    @strawberry.mutation
    async def price(self, info: strawberry.Info, amount: Money) -> str:
        async with ctx(info).db() as session:
            await session.execute(
                text("INSERT INTO hygiene_prices (amount) VALUES (:a)"), {"a": amount}
            )
        return str(amount)


schema = build_schema(query=Query, mutation=Mutation)


@pytest.fixture(scope="module")
async def hygiene_db(service_database: Callable[[str], Awaitable[str]]) -> str:
    url = await service_database("kit")
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("CREATE TABLE hygiene_notes (title text NOT NULL)")
        await conn.execute("CREATE TABLE hygiene_prices (amount NUMERIC(12,2) NOT NULL)")
    finally:
        await conn.close()
    return url


class Statements:
    """Counts the SQL statements the service sends (proves nothing reached PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0

        def before(*_args: Any) -> None:
            self.count += 1

        event.listen(engine.sync_engine, "before_cursor_execute", before)


@pytest.fixture(scope="module", params=[False, True], ids=["production", "dev-mode"])
async def app(request: pytest.FixtureRequest, hygiene_db: str) -> AsyncIterator[FastAPI]:
    settings = ServiceSettings(
        database_url=hygiene_db, dev_mode=request.param, log_level="CRITICAL"
    )
    app = create_service_app(
        "kit", schema, settings, loaders_factory=lambda _c: None, verify_tokens=False
    )
    async with app.router.lifespan_context(app):
        app.state.statements = Statements(app.state.engine)
        yield app


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        yield client


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param('{ echo(value: "a\\u0000b") }', {}, id="literal"),
        pytest.param("query($v: String!) { echo(value: $v) }", {"v": "a\x00b"}, id="variable"),
        pytest.param(
            "mutation($i: NoteInput!) { note(input: $i) }",
            {"i": {"title": "ok", "tags": ["fine", "bad\x00"]}},
            id="nested-variable",
        ),
        pytest.param(
            'mutation { note(input: {title: "x\\u0000", tags: []}) }', {}, id="nested-literal"
        ),
    ],
)
async def test_nul_characters_are_bad_user_input_before_any_sql(
    http: httpx.AsyncClient, app: FastAPI, query: str, variables: dict[str, Any]
) -> None:
    before = app.state.statements.count
    body = await post(http, query, **variables)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "NUL" in body["errors"][0]["message"]
    assert body.get("data") is None
    assert app.state.statements.count == before


@pytest.mark.parametrize(
    "amount", ["1e400", "-1e400", "10000000000", "1E-400", "0.00000000001", "9" * 100, 10**30]
)
async def test_out_of_range_amounts_are_bad_user_input_before_any_sql(
    http: httpx.AsyncClient, app: FastAPI, amount: object
) -> None:
    before = app.state.statements.count
    body = await post(http, "mutation($a: Money!) { price(amount: $a) }", a=amount)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert app.state.statements.count == before
    # A bad literal is a validation error, as Apollo Server reports it.
    literal = await post(http, f'mutation {{ price(amount: "{amount}") }}')
    assert codes(literal) == ["GRAPHQL_VALIDATION_FAILED"], literal
    assert app.state.statements.count == before


async def test_amounts_within_the_columns_bounds_are_stored(http: httpx.AsyncClient) -> None:
    body = await post(http, "mutation($a: Money!) { price(amount: $a) }", a=str(MONEY_MAX))
    assert body == {"data": {"price": str(MONEY_MAX)}}


async def test_no_mode_returns_sql_parameters_or_exception_text(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    body = await post(http, "{ leak }")
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    dumped = str(body)
    for secret in (SECRET, "argon2", "SELECT", "division", "hash"):
        assert secret not in dumped
    if app.state.settings.dev_mode:
        assert error["extensions"]["exception"] == {"type": "DBAPIError"}
        assert set(error["extensions"]) <= {"code", "exception", "traceId", "correlationId"}
    else:
        assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


def test_ids_have_one_ascii_spelling() -> None:
    assert bigint_id("1") == 1
    assert bigint_id(str(2**63 - 1)) == 2**63 - 1
    for spelling in (" 1", "1 ", "\u0661", "+1", "01", "1_0", "1.0", "-1", "0", str(2**63), ""):
        assert bigint_id(spelling) is None, spelling
    key = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    assert str(uuid_id(key)) == key
    for spelling in (f"{{{key}}}", f"urn:uuid:{key}", key.replace("-", ""), f" {key}"):
        assert uuid_id(spelling) is None, spelling


def test_money_bounds_follow_the_widest_money_column() -> None:
    assert parse_money_value("-9999999999.99") == Decimal("-9999999999.99")
    assert parse_money_value("1.2300000000000000") == Decimal("1.23")
    with pytest.raises(ValueError, match="between"):
        parse_money_value("10000000000.00")
