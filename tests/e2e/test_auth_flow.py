"""Sign-in to data, through the real system: auth service, products service, router.

Each runs in this process on its own free port with its own real PostgreSQL database. The
products service verifies tokens (not dev mode): a call without a valid token gets 401. The
router verifies Alice's token against the auth service's JWKS, and calls the subgraphs with
its own client-credentials token from the auth service, passing Alice's token on in
``X-PolyShop-User-Token``.

The issue's "Done when": register, log in, a catalogue write refused to a customer by the
router (``@policy``) and done by an admin, refresh-token rotation, logout, every kind of bad
access token stopped at the router with 401, and a service using its client-credentials token
on products directly (reads; writes only with ``catalog:write``).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.types import ASGIApp, Receive, Scope, Send

from router.composition import SubgraphSource, compose
from router.security import SecuritySettings
from router.settings import RouterSettings
from subgraphs.auth.clients import create_service_client
from subgraphs.auth.demo import load_demo_data as load_auth_demo
from subgraphs.products.app import create_app as create_products_app
from subgraphs.products.demo import load_demo_data as load_products_demo
from subgraphs.products.settings import ProductsSettings
from tests.support.auth_service import AuthServer, fast_settings, serve, serve_auth
from tests.support.router_harness import RunningRouter, running_router

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
ROUTER_SECRET = "router-e2e-secret"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken tokenType user { email roles } }
}
"""
PRODUCTS = "{ products(first: 3) { totalCount edges { node { id name } } } }"


class HeaderRecorder:
    """ASGI wrapper keeping the headers of every request the products service receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[dict[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            self.seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await self.app(scope, receive, send)


class System:
    def __init__(
        self, auth: AuthServer, auth_db: str, products_url: str, recorder: HeaderRecorder
    ) -> None:
        self.auth = auth
        self.auth_db = auth_db
        self.products_url = products_url
        self.recorder = recorder
        self.router: RunningRouter | None = None


def supergraph_sdl(repo_root: Path) -> str:
    result = compose(
        [
            SubgraphSource(
                name,
                f"http://{name}.invalid/graphql",
                (repo_root / f"schema/{name}.graphql").read_text(),
            )
            for name in ("auth", "products")
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


@pytest_asyncio.fixture(scope="module")
async def system(
    service_database: ServiceDatabaseFactory,
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[System]:
    auth_db = await service_database("auth")
    auth_settings = fast_settings(auth_db, auth_demo_client_secret=ROUTER_SECRET)
    await load_auth_demo(auth_db, auth_settings)
    products_db = await service_database("products")
    await load_products_demo(products_db)
    supergraph = tmp_path_factory.mktemp("auth-flow") / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(repo_root))

    async with serve_auth(auth_settings) as auth:
        with pytest.MonkeyPatch.context() as env:
            # the kit reads its token settings from the environment, as in production
            env.setenv("POLYSHOP_AUTH_JWKS_URL", auth.jwks_url)
            env.delenv("POLYSHOP_AUTH_ALLOW_ANONYMOUS", raising=False)
            products_app = create_products_app(
                ProductsSettings(database_url=products_db, log_level="WARNING", dev_mode=False),
                events=False,
            )
        recorder = HeaderRecorder(products_app)
        async with serve(recorder) as products_url:
            system = System(auth, auth_db, products_url, recorder)
            settings = RouterSettings(
                supergraph=str(supergraph),
                port=0,
                hot_reload=False,
                subgraph_urls={
                    "auth": f"{auth.url}/graphql",
                    "products": f"{products_url}/graphql",
                },
                security=SecuritySettings(
                    jwks_urls=(auth.jwks_url,),
                    issuers=("polyshop-auth",),
                    audiences=("polyshop",),
                    token_url=f"{auth.url}/oauth/token",
                    client_id="router",
                    client_secret=ROUTER_SECRET,
                ),
            )
            async with running_router(settings) as router:
                system.router = router
                yield system


async def post(
    router: RunningRouter, query: str, token: str | None = None, **variables: Any
) -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    payload = orjson.dumps({"query": query, "variables": variables})
    async with router.session.post(router.graphql, data=payload, headers=headers) as response:
        body: dict[str, Any] = orjson.loads(await response.read())
        return response.status, body


async def test_alice_signs_in_and_reads_products_through_the_router(system: System) -> None:
    router = system.router
    assert router is not None

    # the products service really refuses calls without a token
    async with router.session.post(
        f"{system.products_url}/graphql", json={"query": PRODUCTS}
    ) as direct:
        assert direct.status == 401

    status, body = await post(router, LOGIN, email="alice@example.com", password="polyshop-demo")
    assert status == 200, body
    assert "errors" not in body, body
    login = body["data"]["login"]
    assert login["user"] == {"email": "alice@example.com", "roles": ["customer"]}
    alice = login["accessToken"]

    status, body = await post(router, PRODUCTS, alice)
    assert status == 200, body
    assert "errors" not in body, body
    products = body["data"]["products"]
    assert products["totalCount"] >= 100
    assert len(products["edges"]) == 3

    # products saw the router's own client-credentials token, and Alice's token beside it
    (seen,) = system.recorder.seen[-1:]
    scheme, _, service_token = seen["authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(service_token, options={"verify_signature": False})
    assert claims["sub"] == "router"
    assert claims["client_id"] == "router"
    # ...which carries no scope: it proves the hop, never grants data (decision 0011)
    assert claims["scope"] == ""
    assert seen["x-polyshop-user-token"] == alice
    assert (
        seen["x-polyshop-user-id"] == jwt.decode(alice, options={"verify_signature": False})["sub"]
    )

    # a forged token stops at the router
    status, body = await post(router, PRODUCTS, alice[:-4] + "AAAA")
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subgraphs_behind_the_router_see_the_user(system: System) -> None:
    """The router calls with its own token and forwards Alice's: auth's `me` answers as her."""
    router = system.router
    assert router is not None
    status, body = await post(router, LOGIN, email="alice@example.com", password="polyshop-demo")
    assert status == 200, body
    alice = body["data"]["login"]["accessToken"]

    status, body = await post(router, "{ me { email roles } }", alice)
    assert status == 200, body
    assert body == {"data": {"me": {"email": "alice@example.com", "roles": ["customer"]}}}

    status, body = await post(router, "{ me { email } }")
    assert body["data"] == {"me": None}


# --- the "Done when": accounts, sessions and catalogue writes through the router ---

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken user { email roles } }
}
"""
SESSION = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { roles } }
}
"""
REFRESH = """
mutation Refresh($rt: String!) { refreshToken(refreshToken: $rt) { accessToken refreshToken } }
"""
LOGOUT = "mutation Logout($rt: String!) { logout(refreshToken: $rt) }"
CREATE_CATEGORY = """
mutation Create($name: String!) { createCategory(input: {name: $name}) { id name } }
"""
CATEGORY = "query Category($id: ID!) { category(id: $id) { id name } }"
PASSWORD = "a long enough passphrase"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def sign_in(router: RunningRouter, email: str, password: str) -> dict[str, Any]:
    status, body = await post(router, SESSION, email=email, password=password)
    assert status == 200, body
    assert "errors" not in body, body
    session: dict[str, Any] = body["data"]["login"]
    return session


async def test_customer_is_refused_by_the_router_and_admin_writes(system: System) -> None:
    """A catalogue write needs role admin (or scope catalog:write): the router refuses a
    customer with UNAUTHORIZED_FIELD_OR_TYPE before any subgraph call; an admin writes."""
    router = system.router
    assert router is not None
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.com"
    registration = {"email": email, "password": PASSWORD, "name": "Newcomer"}
    status, body = await post(router, REGISTER, input=registration)
    assert status == 200, body
    assert "errors" not in body, body
    assert body["data"]["register"]["user"] == {"email": email, "roles": ["customer"]}

    customer = (await sign_in(router, email, PASSWORD))["accessToken"]
    calls_before = len(system.recorder.seen)
    status, body = await post(router, CREATE_CATEGORY, customer, name="Customer's own")
    assert status == 200, body
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    assert body["errors"][0]["path"] == ["createCategory"]
    assert not body.get("data")
    assert len(system.recorder.seen) == calls_before  # products was never called

    admin = (await sign_in(router, "admin@example.com", "polyshop-demo"))["accessToken"]
    status, body = await post(router, CREATE_CATEGORY, admin, name="Made by the admin")
    assert status == 200, body
    assert "errors" not in body, body
    created = body["data"]["createCategory"]
    assert created["name"] == "Made by the admin"
    # products acted as the admin user, reached through the router's service token
    seen = system.recorder.seen[-1]
    assert seen["x-polyshop-user-token"] == admin

    # reads stay public: the customer, and a caller without any token, see the new category
    for token in (customer, None):
        status, body = await post(router, CATEGORY, token, id=created["id"])
        assert (status, body) == (200, {"data": {"category": created}})


async def test_refresh_rotates_and_logout_ends_the_session(system: System) -> None:
    router = system.router
    assert router is not None
    first = await sign_in(router, "alice@example.com", "polyshop-demo")

    status, body = await post(router, REFRESH, rt=first["refreshToken"])
    assert status == 200, body
    assert "errors" not in body, body
    second = body["data"]["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    status, body = await post(router, "{ me { email } }", second["accessToken"])
    assert body == {"data": {"me": {"email": "alice@example.com"}}}

    status, body = await post(router, REFRESH, rt=first["refreshToken"])  # spent already
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["path"] == ["refreshToken"]

    session = await sign_in(router, "alice@example.com", "polyshop-demo")
    status, body = await post(router, LOGOUT, session["accessToken"], rt=session["refreshToken"])
    assert (status, body) == (200, {"data": {"logout": True}})
    status, body = await post(router, REFRESH, rt=session["refreshToken"])
    assert codes(body) == ["UNAUTHENTICATED"]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


async def bad_tokens(system: System, good: str) -> dict[str, str]:
    """Tokens the router must refuse, each wrong in exactly one way."""
    keyring = system.auth.runtime.keyring
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    now = int(time.time())
    encoded_header, _, signature = good.split(".")
    stranger = ec.generate_private_key(ec.SECP256R1())
    return {
        "expired": await keyring.sign(
            claims | {"iat": now - 900, "nbf": now - 900, "exp": now - 60}
        ),
        "tampered": ".".join((encoded_header, _b64(claims | {"roles": ["admin"]}), signature)),
        "wrong-audience": await keyring.sign(claims | {"aud": "someone-else"}),
        "alg-none": ".".join(
            (_b64({"alg": "none", "typ": "JWT", "kid": header["kid"]}), _b64(claims), "")
        ),
        "unknown-kid": jwt.encode(
            claims, stranger, algorithm="ES256", headers={"kid": "not-published"}
        ),
    }


WHY = {
    "expired": "expired",
    "tampered": "signature",
    "wrong-audience": "audience",
    "alg-none": "'none'",
    "unknown-kid": "not-published",
}


async def test_bad_tokens_stop_at_the_router(system: System) -> None:
    router = system.router
    assert router is not None
    good = (await sign_in(router, "alice@example.com", "polyshop-demo"))["accessToken"]
    calls_before = len(system.recorder.seen)
    for kind, token in (await bad_tokens(system, good)).items():
        status, body = await post(router, PRODUCTS, token)
        assert status == 401, (kind, body)
        assert codes(body) == ["UNAUTHENTICATED"], (kind, body)
        assert WHY[kind] in body["errors"][0]["message"], (kind, body)  # refused for that fault
    assert len(system.recorder.seen) == calls_before
    status, body = await post(router, PRODUCTS, good)  # the original still works
    assert status == 200, body
    assert "errors" not in body, body


async def client_token(system: System, client_id: str, secret: str) -> str:
    async with httpx.AsyncClient(base_url=system.auth.url) as http:
        response = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    token: str = body["access_token"]
    return token


async def test_services_call_products_with_client_credentials(system: System) -> None:
    """A service's own token reads the catalogue; writing needs the catalog:write scope."""
    reader_secret = await create_service_client(system.auth_db, "e2e-reader", ["products:read"])
    writer_secret = await create_service_client(
        system.auth_db, "e2e-catalog-sync", ["products:read", "catalog:write"]
    )
    reader = await client_token(system, "e2e-reader", reader_secret)
    writer = await client_token(system, "e2e-catalog-sync", writer_secret)

    async with httpx.AsyncClient(base_url=system.products_url) as products:

        async def direct(query: str, token: str, **variables: Any) -> dict[str, Any]:
            response = await products.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        read = await direct(PRODUCTS, reader)
        assert "errors" not in read, read
        assert read["data"]["products"]["totalCount"] >= 100

        refused = await direct(CREATE_CATEGORY, reader, name="Reader's try")
        assert codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["path"] == ["createCategory"]
        assert refused["data"] is None

        written = await direct(CREATE_CATEGORY, writer, name="Synced by a service")
        assert "errors" not in written, written
        created = written["data"]["createCategory"]
        check = await direct(CATEGORY, reader, id=created["id"])
        assert check == {"data": {"category": created}}
