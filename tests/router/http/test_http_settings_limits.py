"""Settings from the environment, and operation limits set there enforced over HTTP."""

from __future__ import annotations

import orjson
import pytest

from router.http.errors import internal_error
from router.settings import RouterSettings
from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_PORT", "4321")
    monkeypatch.setenv(
        "POLYSHOP_ROUTER_SUBGRAPH_URLS", "products=http://p/graphql, reviews=http://r"
    )
    monkeypatch.setenv("POLYSHOP_ROUTER_PROPAGATE_HEADERS_EXTRA", "X-Tenant, X-Locale")
    monkeypatch.setenv("POLYSHOP_ROUTER_OVERRIDE_LABELS", '["canary"]')
    monkeypatch.setenv("POLYSHOP_ROUTER_MAX_DEPTH", "5")
    settings = RouterSettings()
    assert settings.port == 4321
    assert settings.subgraph_urls == {"products": "http://p/graphql", "reviews": "http://r"}
    assert settings.propagated_headers == {
        "authorization",
        "x-correlation-id",
        "x-tenant",
        "x-locale",
    }
    assert settings.override_labels == ("canary",)
    assert settings.limits.max_depth == 5


def test_json_subgraph_urls_and_invalid_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_SUBGRAPH_URLS", '{"products": "http://p"}')
    assert RouterSettings().subgraph_urls == {"products": "http://p"}
    with pytest.raises(ValueError, match="graphql_path"):
        RouterSettings(graphql_path="graphql")
    with pytest.raises(ValueError, match="port"):
        RouterSettings(port=70000)


def test_internal_errors_show_detail_only_in_dev_mode() -> None:
    error = RuntimeError("database password is hunter2")
    production = internal_error(error, dev_mode=False)
    assert production == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    dev = internal_error(error, dev_mode=True)
    assert dev["errors"][0]["extensions"]["exception"] == {"type": "RuntimeError"}
    assert "hunter2" not in str(dev)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ topProducts { reviews { id } } }", "MAX_DEPTH_LIMIT"),
        ("{ topProducts { a: id b: id } }", "MAX_ALIASES_LIMIT"),
        ('{ topProducts { id } product(id: "p1") { id } }', "MAX_ROOT_FIELDS_LIMIT"),
    ],
)
async def test_operation_limits_from_settings_are_enforced(
    subgraphs: dict[str, SubgraphServer], query: str, code: str
) -> None:
    settings = settings_for(
        subgraphs, limits={"max_depth": 2, "max_aliases": 1, "max_root_fields": 1}
    )
    subgraphs["products"].received.clear()
    async with (
        running_router(settings) as router,
        router.session.post(router.graphql, json={"query": query}) as response,
    ):
        body = orjson.loads(await response.read())
        assert response.status == 400
    assert body["errors"][0]["extensions"]["code"] == code
    assert subgraphs["products"].received == [], "a refused operation reached a subgraph"
