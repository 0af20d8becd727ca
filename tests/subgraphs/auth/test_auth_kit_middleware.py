"""The kit's middleware and guards in a small subgraph-like app served by uvicorn, verifying
tokens of the running auth service through its JWKS."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from subgraphs.kit.app import create_service_app
from subgraphs.kit.auth import (
    HasRole,
    HasScopes,
    IsAuthenticated,
    JwksKeySet,
    TokenAuthMiddleware,
    TokenSettings,
    identity_of,
    install_token_auth,
    require_role,
    require_scopes,
    require_user,
    token_verifier,
)
from subgraphs.kit.schema import build_schema
from subgraphs.kit.settings import ServiceSettings
from tests.support.auth_service import AuthServer, serve


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info) -> str | None:
        identity = identity_of(info)
        return identity.subject if identity else None

    @strawberry.field
    def order_notes(self, info: Info) -> str:
        require_scopes(info, "orders:read")
        return "notes"

    @strawberry.field
    def admin_panel(self, info: Info) -> str:
        require_role(info, "admin")
        return "panel"

    @strawberry.field
    def my_cart(self, info: Info) -> str:
        return f"cart of {require_user(info).subject}"

    @strawberry.field(permission_classes=[IsAuthenticated])
    def members_only(self) -> str:
        return "members"

    @strawberry.field(extensions=[PermissionExtension(permissions=[HasScopes("analytics:read")])])
    def sales(self) -> str:
        return "sales"

    @strawberry.field(extensions=[PermissionExtension(permissions=[HasRole("admin", "support")])])
    def tickets(self) -> str:
        return "tickets"


async def health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def subgraph(
    server: AuthServer, *, allow_anonymous: bool
) -> AsyncIterator[httpx.AsyncClient]:
    cache = JwksKeySet(server.jwks_url)
    verifier = token_verifier(
        cache, issuer=server.settings.auth_issuer, audience=server.settings.auth_audience
    )
    app = Starlette(
        routes=[Route("/health", health), Route("/graphql", GraphQL(strawberry.Schema(Query)))]
    )
    wrapped = TokenAuthMiddleware(app, verifier=verifier, allow_anonymous=allow_anonymous)
    try:
        async with serve(wrapped) as url, httpx.AsyncClient(base_url=url) as client:
            yield client
    finally:
        await cache.aclose()


@pytest.fixture(scope="module")
async def strict(auth_server: AuthServer) -> AsyncIterator[httpx.AsyncClient]:
    async with subgraph(auth_server, allow_anonymous=False) as client:
        yield client


@pytest.fixture(scope="module")
async def lenient(auth_server: AuthServer) -> AsyncIterator[httpx.AsyncClient]:
    async with subgraph(auth_server, allow_anonymous=True) as client:
        yield client


@pytest.fixture(scope="module")
def token_for(auth_server: AuthServer) -> Callable[..., Any]:
    async def make(**claims: Any) -> str:
        now = int(time.time())
        payload = {
            "sub": "user-1",
            "iss": auth_server.settings.auth_issuer,
            "aud": auth_server.settings.auth_audience,
            "iat": now,
            "exp": now + 300,
            "scope": "",
            "roles": [],
            **claims,
        }
        return await auth_server.runtime.keyring.sign(payload)

    return make


async def post(client: httpx.AsyncClient, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


async def test_no_token_is_a_401_with_a_graphql_error(strict: httpx.AsyncClient) -> None:
    response = await post(strict, "{ whoami }")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="polyshop"'
    assert response.json() == {
        "errors": [
            {
                "message": "Authentication required: send a bearer token",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


async def test_an_invalid_token_is_a_401_naming_the_reason(
    strict: httpx.AsyncClient, lenient: httpx.AsyncClient, token_for: Any
) -> None:
    expired = await token_for(exp=int(time.time()) - 3600)
    for client in (strict, lenient):  # dev mode admits no token, not a bad one
        response = await post(client, "{ whoami }", expired)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert 'error="invalid_token"' in challenge
        assert "expired" in challenge
        assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_valid_token_reaches_the_resolvers(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    response = await post(strict, "{ whoami }", await token_for(sub="alice"))
    assert response.status_code == 200
    assert response.json() == {"data": {"whoami": "alice"}}


async def test_a_service_forwarding_a_user_token_acts_as_that_user(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    service = await token_for(sub="router", client_id="router", scope="products:read")
    user = await token_for(sub="alice", roles=["customer"])
    forwarded = {"Authorization": f"Bearer {service}", "X-PolyShop-User-Token": user}
    query = {"query": "{ whoami myCart }"}
    response = await strict.post("/graphql", json=query, headers=forwarded)
    assert response.json() == {"data": {"whoami": "alice", "myCart": "cart of alice"}}

    orders = await token_for(sub="orders", client_id="orders", scope="products:read")
    alone = await strict.post("/graphql", json=query, headers={"Authorization": f"Bearer {orders}"})
    body = alone.json()
    assert body["data"] is None or body["data"].get("myCart") is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_gateway_token_alone_is_anonymous_whatever_its_scopes(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    """The router relaying a client that sent no token: its own token passes the gate (no
    401) but grants nothing, not even the scopes an operator may have given the router."""
    router = await token_for(
        sub="router", client_id="router", scope="orders:read users:read analytics:read"
    )
    headers = {"Authorization": f"Bearer {router}"}
    response = await strict.post("/graphql", json={"query": "{ whoami }"}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"data": {"whoami": None}}
    for field in ("orderNotes", "sales", "membersOnly"):
        body = (
            await strict.post("/graphql", json={"query": f"{{ {field} }}"}, headers=headers)
        ).json()
        assert body["data"] is None, (field, body)
        assert body["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


async def test_a_gateway_token_forwarded_as_the_user_is_anonymous_too(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    """A client that sends the router's token as its own gets no more than anonymous."""
    router = await token_for(sub="router", client_id="router", scope="orders:read")
    headers = {"Authorization": f"Bearer {router}", "X-PolyShop-User-Token": router}
    body = (await strict.post("/graphql", json={"query": "{ orderNotes }"}, headers=headers)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_non_gateway_service_acts_with_its_own_scopes(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    """Service-to-service calls (orders -> products) keep their own client's grants."""
    orders = await token_for(sub="orders", client_id="orders", scope="orders:read")
    headers = {"Authorization": f"Bearer {orders}"}
    body = (
        await strict.post("/graphql", json={"query": "{ whoami orderNotes }"}, headers=headers)
    ).json()
    assert body == {"data": {"whoami": "orders", "orderNotes": "notes"}}


async def test_a_forwarded_user_token_is_verified_too(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    service = await token_for(sub="router", client_id="router")
    expired = await token_for(sub="alice", exp=int(time.time()) - 3600)
    headers = {"Authorization": f"Bearer {service}", "X-PolyShop-User-Token": expired}
    response = await strict.post("/graphql", json={"query": "{ whoami }"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_only_a_service_may_forward_a_user_token(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    mallory = await token_for(sub="mallory")
    alice = await token_for(sub="alice")
    headers = {"Authorization": f"Bearer {mallory}", "X-PolyShop-User-Token": alice}
    response = await strict.post("/graphql", json={"query": "{ whoami }"}, headers=headers)
    assert response.json() == {"data": {"whoami": "mallory"}}


async def test_paths_outside_graphql_are_open(strict: httpx.AsyncClient) -> None:
    assert (await strict.get("/health")).status_code == 200


async def test_dev_mode_admits_requests_without_a_token(lenient: httpx.AsyncClient) -> None:
    response = await post(lenient, "{ whoami }")
    assert response.json() == {"data": {"whoami": None}}
    body = (await post(lenient, "{ orderNotes }")).json()
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    ("field", "claims", "expected"),
    [
        ("orderNotes", {"scope": "orders:read profile"}, None),
        ("orderNotes", {"scope": "profile"}, "FORBIDDEN"),
        ("adminPanel", {"roles": ["admin"]}, None),
        ("adminPanel", {"roles": ["customer"]}, "FORBIDDEN"),
        ("myCart", {}, None),
        ("myCart", {"sub": "orders", "client_id": "orders"}, "FORBIDDEN"),
        ("membersOnly", {}, None),
        ("sales", {"scope": "analytics:read"}, None),
        ("sales", {"scope": "orders:read"}, "FORBIDDEN"),
        ("tickets", {"roles": ["support"]}, None),
        ("tickets", {"roles": []}, "FORBIDDEN"),
    ],
)
async def test_guards(
    strict: httpx.AsyncClient,
    token_for: Any,
    field: str,
    claims: dict[str, Any],
    expected: str | None,
) -> None:
    body = (await post(strict, f"{{ {field} }}", await token_for(**claims))).json()
    if expected is None:
        assert "errors" not in body, body
        assert body["data"][field]
    else:
        (error,) = body["errors"]
        assert error["extensions"]["code"] == expected
        assert error["path"] == [field]


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def caller(self, info: Info) -> str | None:
        identity = identity_of(info)
        return identity.subject if identity else None


@pytest.mark.parametrize("dev_mode", [False, True])
async def test_install_token_auth_puts_a_kit_app_behind_tokens(
    auth_server: AuthServer, auth_db: str, token_for: Any, dev_mode: bool
) -> None:
    settings = ServiceSettings(database_url=auth_db, dev_mode=dev_mode, log_level="WARNING")
    app = create_service_app(
        "probe",
        build_schema(query=ProbeQuery),
        settings,
        loaders_factory=lambda _: None,
        verify_tokens=False,  # installed below, against the test's auth server
    )
    verifier = install_token_auth(
        app, dev_mode=dev_mode, settings=TokenSettings(jwks_url=auth_server.jwks_url)
    )
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            anonymous = await post(client, "{ caller }")
            if dev_mode:
                assert anonymous.json() == {"data": {"caller": None}}
            else:
                assert anonymous.status_code == 401
                assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            signed_in = await post(client, "{ caller }", await token_for(sub="alice"))
            assert signed_in.json() == {"data": {"caller": "alice"}}
            assert (await client.get("/health")).status_code == 200
    finally:
        await verifier.aclose()


async def test_a_token_dated_a_century_ahead_is_refused(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    """Correctly signed, but living far longer than POLYSHOP_AUTH_MAX_TOKEN_LIFETIME_SECONDS."""
    century = await token_for(sub="alice", exp=int(time.time()) + 100 * 365 * 86400)
    response = await post(strict, "{ whoami }", century)
    assert response.status_code == 401
    assert "lifetime exceeds" in response.headers["www-authenticate"]


async def test_a_token_issued_long_before_its_expiry_is_refused(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    now = int(time.time())
    stale = await token_for(sub="alice", iat=now - 3000, exp=now + 1000)  # lives 4000 s
    assert (await post(strict, "{ whoami }", stale)).status_code == 401
    fine = await token_for(sub="alice", iat=now - 3000, exp=now + 500)  # lives 3500 s
    assert (await post(strict, "{ whoami }", fine)).json() == {"data": {"whoami": "alice"}}


async def test_the_leeway_is_the_routers_five_seconds(
    strict: httpx.AsyncClient, token_for: Any
) -> None:
    """Subgraphs used to accept tokens 30 s past exp where the router allowed 5 s."""
    now = int(time.time())
    just = await token_for(sub="alice", iat=now - 300, exp=now - 2)
    assert (await post(strict, "{ whoami }", just)).json() == {"data": {"whoami": "alice"}}
    late = await token_for(sub="alice", iat=now - 300, exp=now - 12)
    assert (await post(strict, "{ whoami }", late)).status_code == 401
