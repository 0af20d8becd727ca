"""The plugin API end to end: hooks at every stage, order, short-circuits, failures,
timeouts, load errors and hot reload, on a real router in front of real subgraphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from router.hot_reload import ReloadOutcome
from router.http import RouterApp
from router.plugins import PluginLoadError
from router.settings import RouterSettings
from router.telemetry import RouterMetrics, RouterTelemetry, Tracing
from tests.support.router_harness import (
    SUPERGRAPH,
    RunningRouter,
    running_router,
    settings_for,
)
from tests.support.subgraph_server import SubgraphServer
from tests.support.telemetry_harness import serving

SAMPLES = "tests.support.sample_plugins"
TOP = "query Top($first: Int) { topProducts(first: $first) { id name reviews { id } } }"


def plugin(cls: str, **config: Any) -> dict[str, Any]:
    return {"name": f"{SAMPLES}:{cls}", "config": config}


async def post(
    router: RunningRouter, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    async with router.session.post(
        router.graphql,
        data=orjson.dumps(body),
        headers={"content-type": "application/json", **(headers or {})},
    ) as response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, orjson.loads(await response.read())


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def failures(metrics_text: str) -> dict[tuple[str, str, str], float]:
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name == "polyshop_router_plugin_failures":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    labels = sample.labels
                    key = (labels["plugin"], labels["stage"], labels["reason"])
                    found[key] = sample.value
    return found


async def metrics(router: RunningRouter) -> dict[tuple[str, str, str], float]:
    async with router.session.get(router.url + "/metrics") as response:
        return failures(await response.text())


async def test_hooks_at_every_stage_change_the_request_and_the_response(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(
        subgraphs,
        propagate_headers_extra=("x-router-request",),
        plugins=[plugin("Everywhere", tag="t1", first=1, suffix="!")],
    )
    for server in subgraphs.values():
        server.received.clear()
    async with running_router(settings) as router:
        status, headers, body = await post(router, {"query": TOP, "variables": {"first": 3}})
    assert status == 200
    # supergraph_request set first=1; subgraph_response renamed; execution_response extended.
    assert body == {
        "data": {
            "topProducts": [{"id": "p1", "name": "Table!", "reviews": [{"id": "r1"}, {"id": "r2"}]}]
        },
        "extensions": {"tag": "t1", "planned": True},
    }
    assert headers["x-supergraph"] == "t1"
    assert headers["x-stages"].split(",") == [
        "router_request",
        "supergraph_request",
        "execution_request",
        "subgraph_request:products",
        "subgraph_response:products",
        "subgraph_request:reviews",
        "subgraph_response:reviews",
        "execution_response",
        "supergraph_response",
        "router_response",
    ]
    products = subgraphs["products"].received[-1].headers
    reviews = subgraphs["reviews"].received[-1].headers
    # router_request's header was propagated; execution and subgraph hooks set theirs.
    assert products["x-router-request"] == "t1"
    assert (products["x-execution"], products["x-subgraph"]) == ("query", "products")
    assert reviews["x-subgraph"] == "reviews"
    assert subgraphs["products"].received[-1].body["variables"] == {"first": 1}


async def test_variables_a_supergraph_hook_adds_to_a_request_without_any_are_sent(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    # The operation is rebuilt from the stage object only when a part was replaced or is a
    # copy: a request without variables gets a fresh map, whose changes must not be lost.
    settings = settings_for(subgraphs, plugins=[plugin("Everywhere", tag="t1", first=1)])
    async with running_router(settings) as router:
        status, _, body = await post(router, {"query": TOP})
    assert status == 200
    assert [product["id"] for product in body["data"]["topProducts"]] == ["p1"]
    assert subgraphs["products"].received[-1].body["variables"] == {"first": 1}


async def test_plugins_run_in_the_order_of_the_list(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(
        subgraphs, batching=True, plugins=[plugin("Order", name="b"), plugin("Order", name="a")]
    )
    async with running_router(settings) as router:
        status, headers, _ = await post(router, {"query": TOP})
        assert status == 200
        assert headers["x-order"] == "b,a"
        # A batch: the supergraph stage runs per operation, sharing the request's context.
        status, headers, batch = await post(router, [{"query": TOP}, {"query": TOP}])
        assert (status, len(batch)) == (200, 2)
        assert headers["x-order"] == "b,a,b,a"


@pytest.mark.parametrize("stage", ["router_request", "supergraph_request", "execution_request"])
async def test_a_request_hook_short_circuits_and_no_subgraph_is_called(
    subgraphs: dict[str, SubgraphServer], stage: str
) -> None:
    settings = settings_for(subgraphs, plugins=[plugin("Stop", stage=stage, status=403)])
    async with running_router(settings) as router:
        before = sum(len(server.received) for server in subgraphs.values())
        status, headers, body = await post(router, {"query": TOP})
        after = sum(len(server.received) for server in subgraphs.values())
    assert status == 403
    stopped = {"message": f"stopped at {stage}", "extensions": {"code": "STOPPED"}}
    assert body == {"errors": [stopped]}
    assert headers["x-stopped"] == stage
    assert after == before
    # Only the enclosing stages' response hooks see a short-circuit, as in Apollo Router:
    # the supergraph response stage runs when execution answered, not when it answered itself.
    assert ("x-supergraph-response-ran" in headers) is (stage == "execution_request")


async def test_a_subgraph_hook_answers_in_the_subgraphs_place(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(subgraphs, plugins=[plugin("Stop", stage="subgraph_request")])
    subgraphs["reviews"].received.clear()
    async with running_router(settings) as router:
        status, _, body = await post(router, {"query": TOP, "variables": {"first": 1}})
    assert status == 200
    assert subgraphs["reviews"].received == []
    # reviews is non-null ([Review!]!): the missing answer nulls up to the root.
    assert body["data"] is None
    errors = body["errors"]
    assert errors[0]["message"] == "stopped at subgraph_request"
    assert errors[0]["extensions"]["code"] == "STOPPED"
    assert errors[0]["extensions"]["serviceName"] == "reviews"


@pytest.mark.parametrize(
    ("config", "status", "code", "message"),
    [
        (
            {"stage": "supergraph_request"},
            500,
            "PLUGIN_FAILED",
            "Plugin 'Failing' failed at supergraph_request: RuntimeError",
        ),
        (
            {"stage": "execution_request", "mode": "plugin_error"},
            429,
            "QUOTA",
            "quota exhausted",
        ),
        (
            {"stage": "router_response"},
            500,
            "PLUGIN_FAILED",
            "Plugin 'Failing' failed at router_response: RuntimeError",
        ),
        (
            {"stage": "router_request", "mode": "hang"},
            504,
            "PLUGIN_TIMEOUT",
            "Plugin 'Failing' timed out at router_request (after 0.3 s)",
        ),
    ],
)
async def test_a_failing_plugin_gives_a_clear_graphql_error_and_is_counted(
    subgraphs: dict[str, SubgraphServer],
    config: dict[str, str],
    status: int,
    code: str,
    message: str,
) -> None:
    entry = {**plugin("Failing", **config), "timeout": 0.3}
    async with running_router(settings_for(subgraphs, plugins=[entry])) as router:
        got_status, _, body = await post(router, {"query": TOP})
        assert (got_status, codes(body)) == (status, [code])
        error = body["errors"][0]
        assert error["message"] == message
        assert error["extensions"]["plugin"] == "Failing"
        assert error["extensions"]["stage"] == config["stage"]
        reason = "timeout" if config.get("mode") == "hang" else "error"
        assert (await metrics(router)) == {("Failing", config["stage"], reason): 1.0}
        # The router keeps serving.
        async with router.session.get(router.url + "/health") as health:
            assert health.status == 200


async def test_a_failing_subgraph_hook_fails_that_fetch_only(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    entry = plugin("Failing", stage="subgraph_request")
    async with running_router(settings_for(subgraphs, plugins=[entry])) as router:
        status, _, body = await post(router, {"query": TOP})
    assert status == 200
    assert body["data"] is None
    assert codes(body) == ["PLUGIN_FAILED"]
    assert body["errors"][0]["extensions"]["serviceName"] == "products"


@pytest.mark.parametrize("mode", ["raise", "hang"])
async def test_an_optional_plugin_that_fails_is_skipped_and_counted(
    subgraphs: dict[str, SubgraphServer], mode: str
) -> None:
    entry = {**plugin("Failing", stage="supergraph_request", mode=mode), "optional": True}
    entry["timeout"] = 0.2
    async with running_router(settings_for(subgraphs, plugins=[entry])) as router:
        status, _, body = await post(router, {"query": TOP, "variables": {"first": 1}})
        assert status == 200
        assert body["data"]["topProducts"][0]["id"] == "p1"
        assert "errors" not in body
        reason = "timeout" if mode == "hang" else "error"
        assert (await metrics(router)) == {("Failing", "supergraph_request", reason): 1.0}


async def test_a_plugin_failure_is_an_event_on_the_request_span(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.build("plugins-under-test", processor=SimpleSpanProcessor(exporter))
    telemetry = RouterTelemetry(metrics=RouterMetrics(), tracing=tracing)
    settings = settings_for(subgraphs, plugins=[plugin("Failing", stage="supergraph_request")])
    app = RouterApp(settings, telemetry=telemetry)
    async with serving(app) as router:
        status, _, _ = await post(router, {"query": TOP})
    assert status == 500
    server = [span for span in exporter.get_finished_spans() if span.name == "POST /graphql"]
    assert len(server) == 1
    events = [event for event in server[0].events if event.name == "plugin.failure"]
    assert len(events) == 1
    attributes = dict(events[0].attributes or {})
    assert attributes["plugin"] == "Failing"
    assert attributes["stage"] == "supergraph_request"
    assert attributes["exception.message"] == "boom"
    assert not server[0].status.is_ok
    tracing.shutdown()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (plugin("Missing"), f"plugin '{SAMPLES}:Missing': {SAMPLES} has no Missing"),
        ({"name": "no_such_module_here:P"}, "cannot import no_such_module_here"),
        ({"name": "no_such_entry_point"}, "no entry point 'no_such_entry_point'"),
        (plugin("NotAPlugin"), "not a subclass of router.plugins.Plugin"),
        (plugin("NeedsLimit"), "plugin 'NeedsLimit': invalid config: limit: Field required"),
        (
            plugin("NeedsLimit", limit=1, extra=2),
            "invalid config: extra: Extra inputs are not permitted",
        ),
        (
            plugin("BadStart"),
            "plugin 'BadStart': start failed: ConnectionRefusedError: the policy service is down",
        ),
    ],
)
async def test_a_plugin_that_cannot_load_stops_the_start_with_its_name_and_reason(
    subgraphs: dict[str, SubgraphServer], entry: dict[str, Any], message: str
) -> None:
    app = RouterApp(settings_for(subgraphs, plugins=[plugin("Order", name="ok"), entry]))
    with pytest.raises(PluginLoadError) as raised:
        await app.startup()
    assert message in str(raised.value)
    assert app.plugins is None
    assert app.holder is None


async def test_the_served_router_does_not_start_with_a_broken_plugin(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    with structlog.testing.capture_logs() as logs, pytest.raises(RuntimeError):
        async with running_router(settings_for(subgraphs, plugins=[plugin("BadStart")])):
            pass
    failed = [entry for entry in logs if entry["event"] == "router.startup_failed"]
    assert failed
    assert failed[0]["error"] == (
        "plugin 'BadStart': start failed: ConnectionRefusedError: the policy service is down"
    )


async def test_a_reload_with_a_broken_plugin_keeps_the_plugins_in_force(
    subgraphs: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    urls = ", ".join(f"{name}: {server.url}" for name, server in subgraphs.items())
    path = tmp_path / "router.yaml"

    def write(plugins: str) -> None:
        path.write_text(f"subgraph_urls: {{{urls}}}\nplugins:\n{plugins}", encoding="utf-8")

    def order(name: str) -> str:
        return f"  - name: {SAMPLES}:Order\n    config: {{name: {name}}}\n"

    write(order("first"))
    settings = RouterSettings(
        config=str(path), supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as router:
        watcher = router.app.config_watcher
        assert watcher is not None
        assert (await post(router, {"query": TOP}))[1]["x-order"] == "first"
        old = router.app.plugins

        with structlog.testing.capture_logs() as logs:
            write(order("second") + "  - name: no_such_module_here:Plugin\n")
            assert await watcher.check() is ReloadOutcome.REJECTED
            write(f"  - name: {SAMPLES}:NeedsLimit\n    config: {{limit: many}}\n")
            assert await watcher.check() is ReloadOutcome.REJECTED
        reasons = [entry["reason"] for entry in logs if entry["event"] == "config.rejected"]
        assert "plugin 'no_such_module_here:Plugin': cannot import" in reasons[0]
        assert "plugin 'NeedsLimit': invalid config: limit" in reasons[1]
        assert router.app.plugins is old
        assert (await post(router, {"query": TOP}))[1]["x-order"] == "first"

        write(order("third"))
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert router.app.plugins is not old
        assert (await post(router, {"query": TOP}))[1]["x-order"] == "third"


def test_the_plugins_section_refuses_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("plugins:\n  - name: x:Y\n    settings: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"plugins\.0\.settings"):
        RouterSettings(config=str(path))


def test_the_router_command_refuses_a_plugin_that_cannot_load(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyshop.cli import app

    path = tmp_path / "router.yaml"
    path.write_text(
        f"plugins:\n  - name: {SAMPLES}:NeedsLimit\n    config: {{limit: many}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["router", "--config", str(path)])
    assert result.exit_code == 2
    assert "error: plugin 'NeedsLimit': invalid config: limit: Input should be a valid integer" in (
        result.output
    )
