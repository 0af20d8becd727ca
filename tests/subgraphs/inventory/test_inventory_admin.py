"""Admin stock mutations behind real token verification (a key pair made by the test, tokens
signed and checked with PyJWT through the kit's verifier), and the reservations query."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.inventory import service
from subgraphs.inventory.app import create_app
from subgraphs.inventory.service import Line
from subgraphs.inventory.settings import InventorySettings
from subgraphs.kit.auth import install_token_auth, token_verifier
from tests.support.keys import AUDIENCE, ISSUER, TestKeys

Call = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="module")
async def guarded_app(
    inventory_settings: InventorySettings, keys: TestKeys
) -> AsyncIterator[FastAPI]:
    app = create_app(inventory_settings, verify_tokens=False, events=False)
    install_token_auth(
        app, dev_mode=False, verifier=token_verifier(keys, issuer=ISSUER, audience=AUDIENCE)
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def call(guarded_app: FastAPI, keys: TestKeys) -> AsyncIterator[Call]:
    """``await call(query, roles=[...] | None, **variables)``; roles=None sends no token."""
    transport = httpx.ASGITransport(app=guarded_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as http:

        async def run(
            query: str,
            *,
            roles: list[str] | None = None,
            claims: dict[str, Any] | None = None,
            **variables: Any,
        ) -> httpx.Response:
            headers = {}
            if roles is not None:
                token = keys.token(roles=roles, **(claims or {}))
                headers["Authorization"] = f"Bearer {token}"
            payload = {"query": query, "variables": variables}
            return await http.post("/graphql", json=payload, headers=headers)

        yield run


SET = """mutation($p: ID!, $n: Int!) {
  setStock(productId: $p, available: $n) { id inStock stock { available reserved } }
}"""
ADJUST = """mutation($p: ID!, $d: Int!) {
  adjustStock(productId: $p, delta: $d) { id inStock stock { available reserved } }
}"""


async def stock_row(sql: asyncpg.Connection, pid: int) -> tuple[int, int] | None:
    row = await sql.fetchrow("SELECT available, reserved FROM stock WHERE product_id = $1", pid)
    return None if row is None else (row["available"], row["reserved"])


async def test_no_token_is_refused_before_graphql(call: Call) -> None:
    response = await call(SET, p="2001", n=5)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("roles", "claims"),
    [(["customer"], {}), ([], {"sub": "orders", "client_id": "orders"})],
    ids=["customer", "service-token"],
)
async def test_only_admins_change_stock(
    call: Call, sql: asyncpg.Connection, roles: list[str], claims: dict[str, Any]
) -> None:
    for query, variables in ((SET, {"n": 5}), (ADJUST, {"d": 5})):
        body = (await call(query, roles=roles, claims=claims, p="2002", **variables)).json()
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["path"] in (["setStock"], ["adjustStock"])
        assert body["data"] is None
    assert await stock_row(sql, 2002) is None


async def test_admin_sets_and_adjusts_stock(call: Call, sql: asyncpg.Connection) -> None:
    body = (await call(SET, roles=["admin"], p="2003", n=7)).json()
    assert body == {
        "data": {
            "setStock": {"id": "2003", "inStock": True, "stock": {"available": 7, "reserved": 0}}
        },
        # the router's entity cache drops this product's stock before it answers the client
        "extensions": {
            "invalidation": [{"kind": "entity", "type": "Product", "key": {"id": "2003"}}]
        },
    }
    body = (await call(ADJUST, roles=["admin"], p="2003", d=-7)).json()
    assert body["data"]["adjustStock"] == {
        "id": "2003",
        "inStock": False,
        "stock": {"available": 0, "reserved": 0},
    }
    body = (await call(ADJUST, roles=["admin"], p="2004", d=3)).json()
    assert body["data"]["adjustStock"]["stock"] == {"available": 3, "reserved": 0}
    assert await stock_row(sql, 2003) == (0, 0)
    assert await stock_row(sql, 2004) == (3, 0)


async def test_set_stock_keeps_reserved_units(
    call: Call, sql: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await call(SET, roles=["admin"], p="2005", n=10)
    async with sessions() as session, session.begin():
        await service.reserve(session, "order-2005", [Line(2005, 4)])
    body = (await call(SET, roles=["admin"], p="2005", n=50)).json()
    assert body["data"]["setStock"]["stock"] == {"available": 50, "reserved": 4}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (ADJUST, {"p": "2006", "d": -3}),  # 2 available
        (ADJUST, {"p": "2099", "d": -1}),  # never stocked: 0 available
        (SET, {"p": "2006", "n": -1}),
        (SET, {"p": "abc", "n": 1}),
        (SET, {"p": "0", "n": 1}),
        (ADJUST, {"p": "2006", "d": service.MAX_UNITS}),
    ],
)
async def test_bad_input_writes_nothing(
    call: Call, sql: asyncpg.Connection, query: str, variables: dict[str, Any]
) -> None:
    await sql.execute(
        "INSERT INTO stock (product_id, available) VALUES (2006, 2) "
        "ON CONFLICT (product_id) DO UPDATE SET available = 2"
    )
    body = (await call(query, roles=["admin"], **variables)).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert body["data"] is None
    assert await stock_row(sql, 2006) == (2, 0)
    assert await stock_row(sql, 2099) is None


async def test_reservations_of_an_order(
    call: Call, sql: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await call(SET, roles=["admin"], p="2011", n=5)
    await call(SET, roles=["admin"], p="2010", n=5)
    async with sessions() as session, session.begin():
        await service.reserve(session, "order-2010", [Line(2011, 1), Line(2010, 2)])
    async with sessions() as session, session.begin():
        await service.confirm(session, "order-2010")
    query = """query($o: ID!) { reservations(orderId: $o) {
      orderId quantity status product { id stock { available reserved } } } }"""
    body = (await call(query, roles=["admin"], o="order-2010")).json()
    assert body == {
        "data": {
            "reservations": [
                {
                    "orderId": "order-2010",
                    "quantity": 2,
                    "status": "CONFIRMED",
                    "product": {"id": "2010", "stock": {"available": 3, "reserved": 0}},
                },
                {
                    "orderId": "order-2010",
                    "quantity": 1,
                    "status": "CONFIRMED",
                    "product": {"id": "2011", "stock": {"available": 4, "reserved": 0}},
                },
            ]
        }
    }
    empty = (await call(query, roles=["admin"], o="no-such-order")).json()
    assert empty == {"data": {"reservations": []}}
    orders = {"sub": "orders", "client_id": "orders", "scope": "inventory:read"}
    granted = (await call(query, roles=[], claims=orders, o="order-2010")).json()
    assert granted == body


async def test_reservations_are_not_for_customers_or_the_gateway_alone(call: Call) -> None:
    """Inventory cannot tell whose order it is: admins and services granted inventory:read
    only. The router's own token, even carrying that scope, is anonymous."""
    query = "query($o: ID!) { reservations(orderId: $o) { orderId } }"
    customer = (await call(query, roles=["customer"], o="order-2010")).json()
    assert customer["data"] is None
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert customer["errors"][0]["path"] == ["reservations"]
    ungranted = {"sub": "payments", "client_id": "payments", "scope": "orders:read"}
    refused = (await call(query, roles=[], claims=ungranted, o="order-2010")).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    gateway = {"sub": "router", "client_id": "router", "scope": "inventory:read"}
    relayed = (await call(query, roles=[], claims=gateway, o="order-2010")).json()
    assert relayed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await call(query, roles=None, o="order-2010")).status_code == 401
