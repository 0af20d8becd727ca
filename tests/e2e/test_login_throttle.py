"""Login throttling through the real router and auth service: nobody can lock anyone else out.

Before: auth counted failures per address, and through the router every client was 127.0.0.1,
so 20 failed logins from anyone locked every user out. Now the router forwards the client's
address (``X-Forwarded-For``; the test client stands for a trusted proxy, 127.0.0.1, and says
which client it proxies), auth believes it on the router's calls only, and failures count per
(account, address) and per address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio

from router.composition import SubgraphSource, compose
from router.security import SecuritySettings
from router.settings import RouterSettings
from subgraphs.auth.demo import load_demo_data as load_auth_demo
from tests.support.auth_service import PASSWORD, fast_settings, serve_auth, unique_email
from tests.support.router_harness import RunningRouter, running_router

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
ROUTER_SECRET = "router-throttle-secret"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { email } }
}
"""
REGISTER = """
mutation Register($input: RegisterInput!) { register(input: $input) { user { email } } }
"""


@pytest_asyncio.fixture(scope="module")
async def router(
    service_database: ServiceDatabaseFactory,
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningRouter]:
    auth_db = await service_database("auth")
    auth_settings = fast_settings(auth_db, auth_demo_client_secret=ROUTER_SECRET)
    await load_auth_demo(auth_db, auth_settings)
    composed = compose(
        [
            SubgraphSource(
                "auth",
                "http://auth.invalid/graphql",
                (repo_root / "schema/auth.graphql").read_text(),
            )
        ]
    )
    assert composed.supergraph_sdl is not None, composed.errors
    supergraph = tmp_path_factory.mktemp("throttle") / "supergraph.graphql"
    supergraph.write_text(composed.supergraph_sdl)
    async with serve_auth(auth_settings) as auth:
        settings = RouterSettings(
            supergraph=str(supergraph),
            port=0,
            hot_reload=False,
            subgraph_urls={"auth": f"{auth.url}/graphql"},
            trusted_proxies=("127.0.0.1/32",),
            security=SecuritySettings(
                jwks_urls=(auth.jwks_url,),
                issuers=("polyshop-auth",),
                audiences=("polyshop",),
                token_url=f"{auth.url}/oauth/token",
                client_id="router",
                client_secret=ROUTER_SECRET,
            ),
        )
        async with running_router(settings) as running:
            yield running


async def call(
    router: RunningRouter, query: str, client: str | None, **variables: Any
) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if client is not None:
        headers["x-forwarded-for"] = client
    payload = orjson.dumps({"query": query, "variables": variables})
    async with router.session.post(router.graphql, data=payload, headers=headers) as response:
        assert response.status == 200
        body: dict[str, Any] = orjson.loads(await response.read())
        return body


async def register(router: RunningRouter, email: str) -> None:
    body = await call(
        router, REGISTER, None, input={"email": email, "password": PASSWORD, "name": "T"}
    )
    assert "errors" not in body, body


async def login(router: RunningRouter, email: str, password: str, client: str | None) -> str | None:
    """None when signed in, else the error code."""
    body = await call(router, LOGIN, client, email=email, password=password)
    if "errors" not in body:
        assert body["data"]["login"]["user"]["email"] == email
        return None
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_twenty_failures_at_one_account_lock_nobody_else_out(router: RunningRouter) -> None:
    victim, colleague = unique_email("victim"), unique_email("colleague")
    await register(router, victim)
    await register(router, colleague)
    attacker = "203.0.113.7"
    outcomes = [await login(router, victim, "guess", attacker) for _ in range(20)]
    assert outcomes == ["UNAUTHENTICATED"] * 5 + ["TOO_MANY_REQUESTS"] * 15
    # The attacker's address waits for this account, even with the right password...
    assert await login(router, victim, PASSWORD, attacker) == "TOO_MANY_REQUESTS"
    # ...the owner, from anywhere else, does not notice...
    assert await login(router, victim, PASSWORD, "198.51.100.1") is None
    # ...nor does anyone else behind the attacker's address, nor a client with no proxy.
    assert await login(router, colleague, PASSWORD, attacker) is None
    assert await login(router, colleague, PASSWORD, None) is None


async def test_spraying_many_accounts_locks_only_the_sprayers_address(
    router: RunningRouter,
) -> None:
    user = unique_email("user")
    await register(router, user)
    sprayer = "203.0.113.50"
    outcomes = [await login(router, unique_email("spray"), "guess", sprayer) for _ in range(20)]
    assert outcomes == ["UNAUTHENTICATED"] * 20
    assert await login(router, user, PASSWORD, sprayer) == "TOO_MANY_REQUESTS"
    assert await login(router, user, PASSWORD, "198.51.100.2") is None
    assert await login(router, user, PASSWORD, None) is None


async def test_a_forged_left_entry_does_not_move_the_client(router: RunningRouter) -> None:
    """Entries left of the first untrusted hop are the client's own words: the address counted
    is the one the trusted proxy saw."""
    user = unique_email("forger")
    await register(router, user)
    for forged in range(6):
        chain = f"192.0.2.{forged}, 203.0.113.99"
        expected = "UNAUTHENTICATED" if forged < 5 else "TOO_MANY_REQUESTS"
        assert await login(router, user, "guess", chain) == expected
