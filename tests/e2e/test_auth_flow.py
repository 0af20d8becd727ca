"""Sign-in to data, through the real system: auth service, products service, router.

Each runs in this process on its own free port with its own real PostgreSQL database. The
products service verifies tokens (not dev mode): a call without a valid token gets 401. The
router verifies Alice's token against the auth service's JWKS, and calls the subgraphs with
its own client-credentials token from the auth service, passing Alice's token on in
``X-PolyShop-User-Token``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
import pytest_asyncio
from starlette.types import ASGIApp, Receive, Scope, Send

from router.composition import SubgraphSource, compose
from router.security import SecuritySettings
from router.settings import RouterSettings
from subgraphs.auth.demo import load_demo_data as load_auth_demo
from subgraphs.products.app import ProductsSettings
from subgraphs.products.app import create_app as create_products_app
from subgraphs.products.demo import load_demo_data as load_products_demo
from tests.router.http.router_harness import RunningRouter, running_router
from tests.subgraphs.auth.helpers import AuthServer, fast_settings, serve, serve_auth

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
    def __init__(self, auth: AuthServer, products_url: str, recorder: HeaderRecorder) -> None:
        self.auth = auth
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
                ProductsSettings(database_url=products_db, log_level="WARNING", dev_mode=False)
            )
        recorder = HeaderRecorder(products_app)
        async with serve(recorder) as products_url:
            system = System(auth, products_url, recorder)
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
    assert "products:read" in claims["scope"].split()
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
