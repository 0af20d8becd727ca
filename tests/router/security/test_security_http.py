"""The security layer wired into the router: real HTTP app, real engine, real subgraphs.

A JWKS and a token endpoint run in the test; tokens are signed with a key made here. The two
subgraphs (`secured_graph`) carry ``@authenticated``, ``@requiresScopes`` and ``@policy``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio

from router.security import SecuritySettings
from router.settings import RouterSettings
from tests.support.keys import TestKeys
from tests.support.router_harness import RunningRouter, running_router
from tests.support.router_security import JwksServer, TokenServer
from tests.support.secured_graph import subgraph_specs, supergraph_sdl
from tests.support.subgraph_server import SubgraphCluster

JSON_HEADERS = {"content-type": "application/json"}
UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


class Keys:
    def __init__(self) -> None:
        self.key = TestKeys.ec("k1")
        self.jwks = JwksServer(self.key)
        self.tokens = TokenServer(client_id="router", client_secret="s3cret")


@pytest_asyncio.fixture(scope="module")
async def keys() -> AsyncIterator[Keys]:
    keys = Keys()
    await keys.jwks.start()
    await keys.tokens.start()
    yield keys
    await keys.jwks.close()
    await keys.tokens.close()


@pytest_asyncio.fixture(scope="module")
async def cluster() -> AsyncIterator[SubgraphCluster]:
    async with SubgraphCluster(subgraph_specs()) as running:
        yield running


@pytest.fixture(scope="module")
def supergraph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secured") / "supergraph.graphql"
    path.write_text(supergraph_sdl())
    return path


def settings(
    keys: Keys, cluster: SubgraphCluster, supergraph: Path, **security: Any
) -> RouterSettings:
    return RouterSettings(
        supergraph=str(supergraph),
        port=0,
        hot_reload=False,
        subgraph_urls=cluster.urls,
        # even a rule passing every client header on never passes the identity headers
        headers={"all": {"request": [{"propagate": {"matching": ".*"}}]}},
        security=SecuritySettings(
            **{
                "jwks_urls": (keys.jwks.url,),
                "issuers": ("polyshop-auth",),
                "audiences": ("polyshop",),
                "token_url": keys.tokens.url,
                "client_id": "router",
                "client_secret": "s3cret",
                **security,
            }
        ),
    )


@pytest_asyncio.fixture(scope="module")
async def router(
    keys: Keys, cluster: SubgraphCluster, supergraph_file: Path
) -> AsyncIterator[RunningRouter]:
    async with running_router(settings(keys, cluster, supergraph_file)) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_recorder(cluster: SubgraphCluster) -> None:
    cluster.recorder.clear()


async def post(
    router: RunningRouter,
    query: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    all_headers = {**JSON_HEADERS, **(headers or {})}
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    async with router.session.post(
        router.graphql, data=orjson.dumps(payload), headers=all_headers
    ) as response:
        body: dict[str, Any] = orjson.loads(await response.read())
        return response.status, dict(response.headers), body


def unauthorized_paths(body: dict[str, Any]) -> list[list[str | int]]:
    return sorted(
        e["path"] for e in body.get("errors", []) if e["extensions"]["code"] == UNAUTHORIZED
    )


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


MIXED = "{ products { name price seller { name email } } me { name } }"


async def test_anonymous_request_gets_nulls_and_errors_the_rest_answers(
    router: RunningRouter, cluster: SubgraphCluster
) -> None:
    status, _, body = await post(router, MIXED)
    assert status == 200
    assert body["data"] == {
        "products": [
            {"name": "Table", "price": None, "seller": {"name": "Alice", "email": None}},
            {"name": "Chair", "price": None, "seller": {"name": "Bob", "email": None}},
        ],
        "me": None,
    }
    assert unauthorized_paths(body) == [
        ["me"],
        ["products", "price"],
        ["products", "seller", "email"],
    ]
    assert all(e["message"] == "Unauthorized field or type" for e in body["errors"])
    # what was removed never left the router
    assert cluster.recorder.counts() == {"shop": 1, "accounts": 1}
    (shop,) = cluster.recorder.of("shop")
    (accounts,) = cluster.recorder.of("accounts")
    assert "price" not in shop.query
    assert "email" not in accounts.query
    assert "me" not in accounts.root_fields


async def test_token_with_scopes_sees_everything(
    router: RunningRouter, keys: Keys, cluster: SubgraphCluster
) -> None:
    token = keys.key.sign(sub="u1", scope="users:email products:cost")
    query = '{ products { name price seller { email } } me { name } product(id: "p1") { cost } }'
    status, _, body = await post(router, query, token)
    assert status == 200
    assert "errors" not in body, body
    assert body["data"] == {
        "products": [
            {"name": "Table", "price": 120.0, "seller": {"email": "alice@example.com"}},
            {"name": "Chair", "price": 40.0, "seller": {"email": "bob@example.com"}},
        ],
        "me": {"name": "Alice"},
        "product": {"cost": 70.0},
    }


async def test_missing_scope_on_a_non_null_field_nulls_the_parent_with_one_error(
    router: RunningRouter, keys: Keys
) -> None:
    token = keys.key.sign(sub="u1", scope="users:email")
    status, _, body = await post(router, '{ product(id: "p2") { name cost } }', token)
    assert status == 200
    assert body["data"] == {"product": None}
    # no "Cannot return null for non-nullable field" on top of the authorization error
    assert body["errors"] == [
        {
            "message": "Unauthorized field or type",
            "path": ["product", "cost"],
            "extensions": {"code": UNAUTHORIZED},
        }
    ]


async def test_policy_granted_by_the_roles_claim(router: RunningRouter, keys: Keys) -> None:
    query = "{ adminStats { orders } products { name } }"
    _, _, customer = await post(router, query, keys.key.sign(sub="u2", roles=["customer"]))
    assert customer["data"]["adminStats"] is None
    assert unauthorized_paths(customer) == [["adminStats"]]
    _, _, admin = await post(router, query, keys.key.sign(sub="u9", roles=["admin"]))
    assert admin["data"]["adminStats"] == {"orders": 42}
    assert "errors" not in admin


async def test_conditions_decide_whether_a_removed_field_is_reported(
    router: RunningRouter,
) -> None:
    query = "query($withMe: Boolean!) { me @include(if: $withMe) { name } products { name } }"
    _, _, skipped = await post(router, query, withMe=False)
    assert skipped == {"data": {"products": [{"name": "Table"}, {"name": "Chair"}]}}
    _, _, included = await post(router, query, withMe=True)
    assert included["data"] == {"me": None, "products": [{"name": "Table"}, {"name": "Chair"}]}
    assert unauthorized_paths(included) == [["me"]]


async def test_nothing_left_answers_without_calling_subgraphs(
    router: RunningRouter, cluster: SubgraphCluster
) -> None:
    status, _, body = await post(router, "{ me { name email } users { id } }")
    assert status == 200
    assert body["data"] == {}
    assert unauthorized_paths(body) == [["me"], ["users"]]
    assert cluster.recorder.requests == []


async def test_invalid_token_is_refused_at_the_edge(
    router: RunningRouter, keys: Keys, cluster: SubgraphCluster
) -> None:
    stranger = TestKeys.ec("k1")  # same kid, other key: the signature fails
    for token in (stranger.sign(sub="u1"), keys.key.sign(sub="u1", aud="elsewhere"), "abc"):
        status, headers, body = await post(router, "{ products { name } }", token)
        assert status == 401
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert lower(headers)["www-authenticate"].startswith('Bearer realm="polyshop"')
    assert cluster.recorder.requests == []


async def test_subgraphs_get_the_service_token_and_identity_headers_never_client_ones(
    router: RunningRouter, keys: Keys, cluster: SubgraphCluster
) -> None:
    token = keys.key.sign(sub="u1", scope="users:email")
    spoofed = {"x-polyshop-user-id": "admin", "x-polyshop-user-token": "forged"}
    _, _, body = await post(router, MIXED, token, spoofed)
    assert "me" in body["data"]
    for request in cluster.recorder.requests:
        headers = lower(request.headers)
        assert headers["authorization"] == f"Bearer {keys.tokens.issued[0]}"
        assert headers["x-polyshop-user-token"] == token
        assert headers["x-polyshop-user-id"] == "u1"
    assert len(keys.tokens.issued) == 1  # one client-credentials token, reused

    cluster.recorder.clear()
    await post(router, "{ products { name } }", headers=spoofed)
    (request,) = cluster.recorder.requests
    headers = lower(request.headers)
    assert headers["authorization"] == f"Bearer {keys.tokens.issued[0]}"
    assert not any(name.startswith("x-polyshop-") for name in headers)


async def test_reject_mode_fails_the_whole_request(
    keys: Keys, cluster: SubgraphCluster, supergraph_file: Path
) -> None:
    config = settings(keys, cluster, supergraph_file, reject_unauthorized=True)
    async with running_router(config) as router:
        status, _, body = await post(router, MIXED)
        assert status == 403
        assert "data" not in body
        assert unauthorized_paths(body) == [
            ["me"],
            ["products", "price"],
            ["products", "seller", "email"],
        ]
        assert cluster.recorder.requests == []
        token = keys.key.sign(sub="u1", scope="users:email")
        status, _, body = await post(router, MIXED, token)
        assert status == 200
        assert "errors" not in body


async def test_require_authentication_refuses_token_less_requests(
    keys: Keys, cluster: SubgraphCluster, supergraph_file: Path
) -> None:
    config = settings(keys, cluster, supergraph_file, require_authentication=True)
    async with running_router(config) as router:
        status, _, body = await post(router, "{ products { name } }")
        assert status == 401
        assert body["errors"][0]["extensions"]["code"] == "AUTH_ERROR"
        status, _, body = await post(router, "{ products { name } }", keys.key.sign(sub="u1"))
        assert status == 200
        assert body["data"]["products"][0] == {"name": "Table"}


async def test_no_service_token_answers_503(
    keys: Keys, cluster: SubgraphCluster, supergraph_file: Path
) -> None:
    config = settings(keys, cluster, supergraph_file, client_secret="wrong")
    async with running_router(config) as router:
        status, _, body = await post(router, "{ products { name } }")
        assert status == 503
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert cluster.recorder.requests == []


async def test_without_jwks_the_router_passes_the_client_authorization_through(
    cluster: SubgraphCluster, supergraph_file: Path
) -> None:
    """Development: no JWKS, no client credentials. Directives still apply (no principal)."""
    config = RouterSettings(
        supergraph=str(supergraph_file),
        port=0,
        hot_reload=False,
        subgraph_urls=cluster.urls,
        security=SecuritySettings(),
    )
    async with running_router(config) as router:
        _, _, body = await post(router, "{ products { name price } }", "opaque")
        assert body["data"]["products"][0] == {"name": "Table", "price": None}
        (request,) = cluster.recorder.requests
        assert lower(request.headers)["authorization"] == "Bearer opaque"


def test_router_settings_read_security_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_JWKS_URLS", "http://auth/jwks.json")
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_CLIENT_SECRET", "hidden")
    settings = RouterSettings()
    assert settings.security.jwks_urls == ("http://auth/jwks.json",)
    # never copied into dumps (the CLI hands dumps to worker processes as variables)
    assert "security" not in settings.model_dump()
    assert "hidden" not in repr(settings.model_dump(mode="json"))
