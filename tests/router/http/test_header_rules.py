"""The ``headers`` section against real subgraph servers that record the headers they get.

Rules for all subgraphs and per subgraph (propagate by name with rename/default, by regex;
insert static or from a JWT claim; remove), subgraph response headers to the client by rule,
the flat ``propagate_headers*`` shorthand, and the headers a client can never set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio
import structlog
from pydantic import ValidationError

from router.hot_reload import ReloadOutcome
from router.security import SecuritySettings
from router.settings import RouterSettings
from tests.support.keys import TestKeys
from tests.support.router_harness import SUPERGRAPH, RunningRouter, running_router, settings_for
from tests.support.router_security import JwksServer
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

QUERY = "{ topProducts(first: 1) { name reviews { body } } }"
JSON = {"content-type": "application/json"}


@pytest_asyncio.fixture
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


async def post(
    router: RunningRouter, headers: dict[str, str] | None = None, query: str = QUERY
) -> tuple[int, Any, dict[str, Any]]:
    async with router.session.post(
        router.graphql, data=orjson.dumps({"query": query}), headers={**JSON, **(headers or {})}
    ) as response:
        return response.status, response.headers, orjson.loads(await response.read())


def received(server: SubgraphServer) -> dict[str, str]:
    (only,) = server.received
    return only.headers


RULES: dict[str, Any] = {
    "all": {
        "request": [
            {"propagate": {"named": "x-client-version", "rename": "x-app-version"}},
            {"propagate": {"named": "x-tenant", "default": "public"}},
            {"propagate": {"matching": "x-trace-.*"}},
            {"insert": {"name": "x-router", "value": "polyshop"}},
            {"remove": {"named": "x-trace-secret"}},
        ]
    },
    "subgraphs": {
        "reviews": {
            "request": [
                {"propagate": {"named": "x-reviews-only"}},
                {"remove": {"matching": "x-trace-.*"}},
            ]
        }
    },
}


async def test_rules_for_all_and_per_subgraph(servers: dict[str, SubgraphServer]) -> None:
    settings = settings_for(servers, headers=RULES, propagate_headers=())
    async with running_router(settings) as router:
        status, _, body = await post(
            router,
            {
                "x-client-version": "2.1",
                "x-trace-a": "1",
                "x-trace-secret": "hush",
                "x-reviews-only": "yes",
                "x-unlisted": "no",
                "x-correlation-id": "corr-1",
            },
        )
    assert status == 200, body
    assert body["data"]["topProducts"][0]["reviews"][0]["body"] == "Solid"
    products = received(servers["products"])
    assert products["x-app-version"] == "2.1"
    assert "x-client-version" not in products
    assert products["x-tenant"] == "public"  # default: the client sent none
    assert products["x-trace-a"] == "1"
    assert "x-trace-secret" not in products
    assert products["x-router"] == "polyshop"
    assert "x-reviews-only" not in products
    assert "x-unlisted" not in products
    assert products["x-correlation-id"] == "corr-1"  # always the router's own
    reviews = received(servers["reviews"])
    assert reviews["x-reviews-only"] == "yes"
    assert reviews["x-app-version"] == "2.1"
    assert "x-trace-a" not in reviews  # removed for reviews only
    assert reviews["x-correlation-id"] == "corr-1"


async def test_matching_everything_never_passes_hop_by_hop_or_identity_headers(
    servers: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(
        servers, headers={"all": {"request": [{"propagate": {"matching": ".*"}}]}}
    )
    async with running_router(settings) as router:
        status, _, _ = await post(
            router,
            {
                "x-polyshop-user-id": "admin",
                "X-PolyShop-User-Token": "forged",
                "te": "trailers",
                "x-custom": "kept",
            },
        )
    assert status == 200
    headers = received(servers["products"])
    assert headers["x-custom"] == "kept"
    assert not any(name.startswith("x-polyshop-") for name in headers)
    assert "te" not in headers


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"all": {"request": [{"insert": {"name": "X-PolyShop-User-Id", "value": "1"}}]}},
            "identity",
        ),
        ({"all": {"request": [{"propagate": {"named": "connection"}}]}}, "hop-by-hop"),
        (
            {"all": {"request": [{"propagate": {"named": "a", "rename": "x-polyshop-user-id"}}]}},
            "identity",
        ),
        ({"all": {"request": [{"propagate": {"matching": "x-(["}}]}}, "invalid regular expression"),
        ({"all": {"request": [{"remove": {"matching": "(("}}]}}, "invalid regular expression"),
        ({"all": {"request": [{"propagate": {"named": "a", "matching": "b"}}]}}, "exactly one"),
        ({"all": {"request": [{"insert": {"name": "a"}}]}}, "exactly one"),
        ({"all": {"request": [{"propagate": {"nmed": "a"}}]}}, "nmed"),
        ({"all": {"requests": []}}, "requests"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(headers: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RouterSettings(headers=headers)


def test_the_shorthand_cannot_propagate_identity_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_PROPAGATE_HEADERS_EXTRA", "x-polyshop-user-id")
    with pytest.raises(ValidationError, match="identity headers"):
        RouterSettings()


async def test_the_flat_settings_still_work_as_a_shorthand(
    servers: dict[str, SubgraphServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_PROPAGATE_HEADERS_EXTRA", "X-Tenant,x-plan")
    settings = settings_for(servers)
    assert settings.propagate_headers_extra == ("x-tenant", "x-plan")
    async with running_router(settings) as router:
        await post(
            router, {"x-tenant": "acme", "x-plan": "gold", "authorization": "Bearer t", "x-no": "1"}
        )
    headers = received(servers["products"])
    assert (headers["x-tenant"], headers["x-plan"]) == ("acme", "gold")
    assert headers["authorization"] == "Bearer t"  # the default list (no service token here)
    assert "x-no" not in headers


async def test_subgraph_response_headers_reach_the_client_by_rule(
    servers: dict[str, SubgraphServer],
) -> None:
    servers["products"].response_headers = [
        ("Set-Cookie", "session=abc; HttpOnly"),
        ("Set-Cookie", "theme=dark"),
        ("X-Products-Version", "7"),
    ]
    servers["reviews"].response_headers = [("Set-Cookie", "tracker=evil")]
    rules = {
        "subgraphs": {
            "products": {
                "response": [
                    {"propagate": {"named": "set-cookie"}},
                    {"propagate": {"named": "x-products-version", "rename": "x-catalog-version"}},
                ]
            }
        }
    }
    async with running_router(settings_for(servers, headers=rules)) as router:
        status, headers, _ = await post(router)
    assert status == 200
    assert sorted(headers.getall("set-cookie")) == ["session=abc; HttpOnly", "theme=dark"]
    assert headers["x-catalog-version"] == "7"
    assert "x-products-version" not in headers


async def test_insert_from_a_jwt_claim(servers: dict[str, SubgraphServer]) -> None:
    key = TestKeys.ec("k1")
    jwks = await JwksServer(key).start()
    try:
        rules = {
            "all": {
                "request": [
                    {"insert": {"name": "x-tenant", "from_jwt_claim": "tenant"}},
                    {"insert": {"name": "x-org", "from_jwt_claim": "org.id", "default": "none"}},
                    {"insert": {"name": "x-roles", "from_jwt_claim": "roles"}},
                ]
            }
        }
        settings = settings_for(
            servers,
            headers=rules,
            security=SecuritySettings(
                jwks_urls=(jwks.url,), issuers=("polyshop-auth",), audiences=("polyshop",)
            ),
        )
        async with running_router(settings) as router:
            token = key.sign(sub="u7", tenant="acme", roles=["admin", "ops"])
            status, _, body = await post(router, {"authorization": f"Bearer {token}"})
            assert status == 200, body
            headers = received(servers["products"])
            assert headers["x-tenant"] == "acme"
            assert headers["x-org"] == "none"
            assert headers["x-roles"] == "admin,ops"
            servers["products"].received.clear()
            await post(router, {"authorization": f"Bearer {key.sign(org={'id': 'o-9'})}"})
            headers = received(servers["products"])
            assert headers["x-org"] == "o-9"
            assert "x-tenant" not in headers
            servers["products"].received.clear()
            await post(router)  # no token: no claim headers, the default only
            headers = received(servers["products"])
            assert "x-tenant" not in headers
            assert headers["x-org"] == "none"
    finally:
        await jwks.close()


async def test_header_rules_come_from_router_yaml(
    servers: dict[str, SubgraphServer], tmp_path: Any
) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(
        "headers:\n"
        "  all:\n"
        "    request:\n"
        "      - propagate:\n"
        "          named: x-tenant\n"
        "      - insert:\n"
        "          name: x-from-file\n"
        "          value: ${env.ROUTER_TEST_VALUE:-yes}\n"
    )
    async with running_router(settings_for(servers, config=str(config))) as router:
        await post(router, {"x-tenant": "acme"})
    headers = received(servers["products"])
    assert (headers["x-tenant"], headers["x-from-file"]) == ("acme", "yes")


async def test_policies_follow_a_reloaded_router_yaml_and_a_bad_regex_keeps_the_old_ones(
    servers: dict[str, SubgraphServer], tmp_path: Any
) -> None:
    urls = ", ".join(f"{name}: {server.url}" for name, server in servers.items())
    path = tmp_path / "router.yaml"

    def write(value: str, extra: str = "") -> None:
        path.write_text(
            f"subgraph_urls: {{{urls}}}\n"
            "headers:\n  all:\n    request:\n"
            f"      - insert: {{name: x-policy, value: {value}}}\n{extra}"
        )

    write("one")
    settings = RouterSettings(
        config=str(path), supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as router:
        watcher = router.app.config_watcher
        assert watcher is not None
        await post(router)
        assert received(servers["products"])["x-policy"] == "one"
        servers["products"].received.clear()

        write("two-changed", "rate_limit:\n  router: {capacity: 1, interval: 1m}\n")
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert (await post(router))[0] == 200
        assert received(servers["products"])["x-policy"] == "two-changed"
        assert (await post(router))[0] == 429

        with structlog.testing.capture_logs() as logs:
            write("three", "      - propagate: {matching: 'x-(['}\n")
            assert await watcher.check() is ReloadOutcome.REJECTED
        (rejected,) = [entry for entry in logs if entry["event"] == "config.rejected"]
        assert "invalid regular expression" in rejected["reason"]
        assert (await post(router))[0] == 429  # the configuration in force stays


def test_remembered_plans_copy_each_requests_own_values() -> None:
    from router.config.headers import HeadersConfig
    from router.policy.headers import HeaderPolicy

    policy = HeaderPolicy(HeadersConfig.model_validate(RULES), ())
    first = policy.request_headers({"x-client-version": "1", "x-trace-a": "a"}, "c1", None)
    second = policy.request_headers({"x-client-version": "2", "x-trace-a": "b"}, "c2", None)
    assert first.default == {
        "x-app-version": "1",
        "x-trace-a": "a",
        "x-tenant": "public",
        "x-router": "polyshop",
        "x-correlation-id": "c1",
    }
    assert (second.default["x-app-version"], second.default["x-trace-a"]) == ("2", "b")
    assert second.by_subgraph["reviews"]["x-correlation-id"] == "c2"
    assert "x-trace-a" not in second.by_subgraph["reviews"]
    other = policy.request_headers({"x-tenant": "acme", "x-reviews-only": "y"}, "c3", None)
    assert other.default["x-tenant"] == "acme"
    assert other.by_subgraph["reviews"]["x-reviews-only"] == "y"
