"""The header rules as the built-in ``headers`` plugin: enabled by the ``headers`` section,
first in the pipeline (a user's subgraph hook sees what the rules produced), on the public
API's `SubgraphRequest.client_headers` and `Context.add_response_header`. The rules' own
behaviour is tested in tests/router/http/test_header_rules.py and test_dedup.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from multidict import CIMultiDictProxy

from router.hot_reload import ReloadOutcome
from router.settings import RouterSettings
from tests.support.router_harness import (
    SUPERGRAPH,
    RunningRouter,
    running_router,
    settings_for,
)
from tests.support.subgraph_server import SubgraphServer

TOP = "{ topProducts(first: 1) { name reviews { body } } }"
SEES = "tests.support.sample_plugins:SeesHeaders"


async def post(
    router: RunningRouter, headers: dict[str, str]
) -> tuple[int, CIMultiDictProxy[str], Any]:
    async with router.session.post(
        router.graphql,
        data=orjson.dumps({"query": TOP}),
        headers={"content-type": "application/json", **headers},
    ) as response:
        return response.status, response.headers, orjson.loads(await response.read())


async def test_rules_run_first_and_a_later_plugin_sees_their_headers_and_the_clients(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    subgraphs["products"].response_headers = [("Set-Cookie", "session=abc")]
    rules = {
        "all": {"request": [{"propagate": {"named": "x-tenant", "default": "public"}}]},
        "subgraphs": {"products": {"response": [{"propagate": {"named": "set-cookie"}}]}},
    }
    settings = settings_for(subgraphs, headers=rules, plugins=[{"name": SEES}])
    try:
        async with running_router(settings) as router:
            assert router.app.plugins is not None
            assert router.app.plugins.names == ["headers", "SeesHeaders"]
            status, headers, body = await post(router, {"x-tenant": "acme", "x-other": "1"})
    finally:
        subgraphs["products"].response_headers = []
    assert status == 200, body
    products = subgraphs["products"].received[-1].headers
    reviews = subgraphs["reviews"].received[-1].headers
    for sent in (products, reviews):
        assert sent["x-tenant"] == "acme"
        assert sent["x-seen-tenant"] == "acme"  # the rules ran before the user's hook
        assert sent["x-client-other"] == "1"  # the client's headers, as sent
        assert "x-other" not in sent  # no rule propagates it
        assert sent["x-correlation-id"]  # the router's own header is still there
    # The rule's cookie and one per subgraph answer from the user's plugin, all kept.
    assert sorted(headers.getall("set-cookie")) == [
        "seen=products",
        "seen=reviews",
        "session=abc",
    ]


async def test_without_a_headers_section_there_is_no_plugin_and_the_shorthand_still_applies(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    async with running_router(settings_for(subgraphs)) as router:
        assert router.app.plugins is None
        status, _, body = await post(router, {"authorization": "Bearer t", "x-tenant": "acme"})
    assert status == 200, body
    sent = subgraphs["products"].received[-1].headers
    assert sent["authorization"] == "Bearer t"  # propagate_headers' default
    assert "x-tenant" not in sent


async def test_changed_rules_in_router_yaml_replace_the_plugin_on_reload(
    subgraphs: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    urls = ", ".join(f"{name}: {server.url}" for name, server in subgraphs.items())
    path = tmp_path / "router.yaml"

    def write(headers: str) -> None:
        path.write_text(f"subgraph_urls: {{{urls}}}\n{headers}", encoding="utf-8")

    def rule(value: str) -> str:
        return f"headers:\n  all:\n    request:\n      - insert: {{name: x-rule, value: {value}}}\n"

    def sent() -> dict[str, str]:
        return subgraphs["products"].received[-1].headers

    write(rule("one"))
    settings = RouterSettings(
        config=str(path), supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as router:
        watcher = router.app.config_watcher
        assert watcher is not None
        await post(router, {})
        assert sent()["x-rule"] == "one"
        write(rule("two"))
        assert await watcher.check() is ReloadOutcome.RELOADED
        await post(router, {})
        assert sent()["x-rule"] == "two"
        write("")
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert router.app.plugins is None
        await post(router, {})
        assert "x-rule" not in sent()


def test_the_plugin_works_out_each_subgraphs_headers_as_the_http_layer_does() -> None:
    """`HeaderPolicy.for_subgraph` (the plugin's, per subgraph called) gives every subgraph
    what `request_headers` (the subscription transports') gives it, in each of the policy's
    paths: remembered plans, a claim rule (no plans), the plain shorthand."""
    from polyshop.runtime.principal import Principal
    from router.config.headers import HeadersConfig
    from router.policy.headers import HeaderPolicy

    planned = {
        "all": {
            "request": [
                {"propagate": {"named": "x-tenant", "default": "public"}},
                {"propagate": {"matching": "x-trace-.*"}},
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
    claims = {
        "all": {"request": [{"insert": {"name": "x-org", "from_jwt_claim": "org.id"}}]},
        "subgraphs": {"products": {"request": [{"propagate": {"named": "x-hint"}}]}},
    }
    plain = {"subgraphs": {"reviews": {"request": [{"insert": {"name": "x-r", "value": "1"}}]}}}
    client = {
        "authorization": "Bearer t",
        "x-trace-a": "a",
        "x-trace-secret": "s",
        "x-reviews-only": "y",
        "x-hint": "h",
        "x-correlation-id": "client-id",
    }
    principal = Principal(subject="u1", claims={"org": {"id": "acme"}}, token="t")
    for rules in (planned, claims, plain):
        policy = HeaderPolicy(HeadersConfig.model_validate(rules), ("authorization",))
        whole = policy.request_headers(client, "router-id", principal)
        for service in ("products", "reviews", "inventory"):
            expected = dict(whole.by_subgraph.get(service, whole.default))
            del expected["x-correlation-id"]  # the router's own, added by the caller
            assert policy.for_subgraph(client, principal, service) == expected, (rules, service)
