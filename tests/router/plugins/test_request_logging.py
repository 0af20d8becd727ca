"""The built-in ``request_logging`` plugin, loaded by its entry-point name."""

from __future__ import annotations

import structlog

from router.plugins.builtin.request_logging import RequestLogging
from router.plugins.loader import ENTRY_POINT_GROUP, resolve
from tests.router.plugins.test_plugins import TOP, post
from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer


def test_the_builtin_is_an_entry_point_of_the_plugin_group() -> None:
    assert ENTRY_POINT_GROUP == "polyshop.router.plugins"
    assert resolve("request_logging") is RequestLogging


async def test_one_line_per_request_with_status_operations_and_error_codes(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    entry = {"name": "request_logging", "config": {"headers": ["X-Client"]}}
    async with running_router(settings_for(subgraphs, batching=True, plugins=[entry])) as router:
        with structlog.testing.capture_logs() as logs:
            await post(router, {"query": TOP, "operationName": "Top"}, {"x-client": "web"})
            await post(router, {"query": "{ nope }"}, {"authorization": "Bearer secret"})
            await post(
                router,
                [{"query": TOP}, {"query": "query B { topProducts { id } }", "operationName": "B"}],
            )
    lines = [entry for entry in logs if entry["event"] == "router.request"]
    assert len(lines) == 3
    ok, invalid, batch = lines
    assert (ok["method"], ok["path"], ok["status"]) == ("POST", "/graphql", 200)
    assert ok["operations"] == ["Top"]
    assert ok["error_codes"] == []
    assert ok["headers"] == {"x-client": "web"}
    assert ok["duration_ms"] > 0
    assert ok["log_level"] == "info"
    assert invalid["status"] == 400
    assert invalid["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert invalid["headers"] == {}  # only the named headers, never the token
    assert batch["operations"] == [None, "B"]  # the names clients gave
    assert "queries" not in ok
