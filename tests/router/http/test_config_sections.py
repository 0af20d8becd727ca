"""The ``limits``, ``authentication``, ``telemetry`` and ``query_planning`` sections of
``router.yaml``: enforced over HTTP, refused with the key's path when wrong (at start and on
reload, where the old configuration keeps serving), and the flat settings they replaced still
working as deprecated aliases that say what to write instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from pydantic import ValidationError
from typer.testing import CliRunner

from polyshop.cli import app
from router.config import ConfigError, describe_error
from router.hot_reload import ReloadOutcome
from router.settings import RouterSettings
from tests.support.keys import TestKeys
from tests.support.router_harness import SUPERGRAPH, running_router, settings_for
from tests.support.router_security import JwksServer
from tests.support.subgraph_server import SubgraphServer

runner = CliRunner()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def deprecations(logs: list[dict[str, Any]]) -> dict[str, str]:
    """Old name → what to use, from ``config.deprecated_setting`` lines."""
    return {
        entry["setting"]: entry["use"]
        for entry in logs
        if entry["event"] == "config.deprecated_setting"
    }


def test_the_old_flat_variables_still_work_and_say_what_replaces_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = {
        "POLYSHOP_ROUTER_MAX_DEPTH": "7",
        "POLYSHOP_ROUTER_MAX_ALIASES": "",  # empty: off, as before
        "POLYSHOP_ROUTER_MAX_REQUEST_BYTES": "4096",
        "POLYSHOP_ROUTER_HTTP_MAX_HEADER_BYTES": "8192",
        "POLYSHOP_ROUTER_SUBGRAPH_MAX_CONCURRENCY": "3",
        "POLYSHOP_ROUTER_PLAN_CACHE_SIZE": "16",
        "POLYSHOP_ROUTER_METRICS": "false",
        "POLYSHOP_ROUTER_METRICS_PATH": "/prom",
        "POLYSHOP_ROUTER_OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "POLYSHOP_ROUTER_OTEL_SAMPLE_RATIO": "0.5",
        "POLYSHOP_ROUTER_LOG_LEVEL": "warning",
        "POLYSHOP_ROUTER_LOG_JSON": "false",
        "OTEL_SERVICE_NAME": "edge",  # standard, not deprecated
    }
    for name, value in old.items():
        monkeypatch.setenv(name, value)
    with structlog.testing.capture_logs() as logs:
        settings = RouterSettings()
    limits, telemetry = settings.limits, settings.telemetry
    assert (limits.max_depth, limits.max_aliases) == (7, None)
    assert (limits.http_max_request_bytes, limits.http1_max_request_buf_size) == (4096, 8192)
    assert settings.traffic_shaping.policy("products", 30.0).max_connections == 3
    assert settings.query_planning.cache.in_memory.limit == 16
    assert (telemetry.metrics_enabled, telemetry.metrics_path) == (False, "/prom")
    assert telemetry.otlp_endpoint == "http://collector:4318"
    common = telemetry.exporters.tracing.common
    assert (common.service_name, common.sampler) == ("edge", 0.5)
    assert (telemetry.log_level, telemetry.log_json) == ("warning", False)
    said = deprecations(logs)
    assert said["POLYSHOP_ROUTER_MAX_DEPTH"] == "POLYSHOP_ROUTER_LIMITS__MAX_DEPTH"
    assert (
        said["POLYSHOP_ROUTER_SUBGRAPH_MAX_CONCURRENCY"]
        == "POLYSHOP_ROUTER_TRAFFIC_SHAPING__ALL__MAX_CONNECTIONS"
    )
    assert len(said) == len(old) - 1
    assert "OTEL_SERVICE_NAME" not in said

    # the new layout wins over the old name, and the file's key stays below both
    monkeypatch.setenv("POLYSHOP_ROUTER_LIMITS__MAX_DEPTH", "9")
    monkeypatch.setenv("POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__TRACING__COMMON__SERVICE_NAME", "r")
    settings = RouterSettings()
    assert settings.limits.max_depth == 9
    assert settings.telemetry.exporters.tracing.common.service_name == "r"


def test_old_flat_keys_in_arguments_and_the_file_are_rewritten_too(tmp_path: Path) -> None:
    config = write(tmp_path / "router.yaml", "max_depth: 4\nlimits: {max_height: 50}\n")
    with structlog.testing.capture_logs() as logs:
        settings = RouterSettings(config=config, max_root_fields=3)
    assert (settings.limits.max_depth, settings.limits.max_height) == (4, 50)
    assert settings.limits.max_root_fields == 3
    said = deprecations(logs)
    assert said == {"max_depth": "limits.max_depth", "max_root_fields": "limits.max_root_fields"}
    # within one place the section's own key wins over the alias
    config = write(tmp_path / "router.yaml", "max_depth: 4\nlimits: {max_depth: 6}\n")
    assert RouterSettings(config=config).limits.max_depth == 6


BAD_FILES = [
    ("limits: {max_dept: 3}\n", "limits.max_dept: Extra inputs are not permitted"),
    ("limits: {max_depth: deep}\n", "limits.max_depth"),
    ("limits: {parser_max_recursion: 500}\n", "limits.parser_max_recursion"),
    ("authentication: {router: {jwt: {jwks: [{uri: x}]}}}\n", "authentication.router.jwt.jwks.0"),
    (
        "authentication: {router: {jwt: {jwks: [{url: 'ftp://keys'}]}}}\n",
        "authentication.router.jwt.jwks.0.url",
    ),
    (
        "authentication: {router: {jwt: {jwks: [{url: 'https://k', algorithms: [HS256]}]}}}\n",
        "only asymmetric algorithms",
    ),
    (
        "authentication: {router: {jwt: {jwks: [{url: 'https://a', issuer: a}, "
        "{url: 'https://b', issuer: b}]}}}\n",
        "must name the same issuer",
    ),
    (
        "authentication: {router: {jwt: {sources: [{type: query, name: t}]}}}\n",
        "authentication.router.jwt.sources.0.type",
    ),
    ("telemetry: {exporters: {metrics: {prometheus: {enabled: maybe}}}}\n", "prometheus.enabled"),
    ("telemetry: {exporters: {tracing: {common: {sampler: 2}}}}\n", "common.sampler"),
    ("telemetry: {exporters: {logging: {stdout: {format: xml}}}}\n", "stdout.format"),
    ("telemetry: {instrumentation: {}}\n", "telemetry.instrumentation"),
    ("query_planning: {cache: {redis: {enabled: yes}}}\n", "needs redis_url"),
    ("traffic_shaping: {all: {max_connections: 0}}\n", "traffic_shaping.all.max_connections"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_bad_section_is_refused_at_start_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    config = write(tmp_path / "router.yaml", text)
    with pytest.raises((ConfigError, ValidationError)) as caught:
        RouterSettings(config=config)
    assert message in describe_error(caught.value)
    result = runner.invoke(app, ["router", "--config", config])
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid router configuration")
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_schema_publishes_the_sections_and_their_keys() -> None:
    result = runner.invoke(app, ["router", "config-schema"])
    assert result.exit_code == 0, result.output
    schema = orjson.loads(result.output)
    for section in ("limits", "authentication", "telemetry", "query_planning"):
        assert section in schema["properties"]
    moved = ("max_depth", "metrics", "subgraph_max_concurrency", "plan_cache_size", "log_level")
    assert not set(moved) & set(schema["properties"])
    limits = schema["$defs"]["LimitsConfig"]["properties"]
    assert {"max_depth", "parser_max_recursion", "http_max_request_bytes"} <= set(limits)


async def post(router: Any, query: str) -> tuple[int, dict[str, Any]]:
    async with router.session.post(router.graphql, json={"query": query}) as response:
        return response.status, orjson.loads(await response.read())


async def test_limits_from_the_section_are_enforced_over_http(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    limits = {"parser_max_recursion": 3, "http_max_request_bytes": 2048, "max_height": 50}
    async with running_router(settings_for(subgraphs, limits=limits)) as router:
        status, body = await post(router, "{ topProducts { name } }")
        assert (status, body) == (200, {"data": {"topProducts": body["data"]["topProducts"]}})
        status, body = await post(router, "{ topProducts { reviews { author { username } } } }")
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert "nested too deeply" in body["errors"][0]["message"]
        padding = " " * 3000
        status, body = await post(router, "{ topProducts { name } }" + padding)
        assert status == 413


async def test_telemetry_section_moves_the_metrics_endpoint(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    telemetry = {"exporters": {"metrics": {"prometheus": {"path": "/internal/metrics"}}}}
    async with running_router(settings_for(subgraphs, telemetry=telemetry)) as router:
        async with router.session.get(router.url + "/internal/metrics") as response:
            assert response.status == 200
            assert "polyshop_router_plan_cache" in await response.text()
        async with router.session.get(router.url + "/metrics") as response:
            assert response.status == 404
    off = {"exporters": {"metrics": {"prometheus": {"enabled": False}}}}
    async with (
        running_router(settings_for(subgraphs, telemetry=off)) as router,
        router.session.get(router.url + "/metrics") as response,
    ):
        assert response.status == 404


async def test_authentication_section_reads_tokens_from_a_cookie(
    subgraphs: dict[str, SubgraphServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    key, stranger = TestKeys.ec("k1"), TestKeys.ec("k2")
    jwks = await JwksServer(key).start()
    authentication = {
        "router": {
            "jwt": {
                "jwks": [
                    {
                        "url": jwks.url,
                        "issuer": "polyshop-auth",
                        "audiences": ["polyshop"],
                        "poll_interval": "60s",
                        "algorithms": ["ES256"],
                    }
                ],
                "sources": [{"type": "cookie", "name": "polyshop_token"}],
            }
        }
    }
    settings = settings_for(subgraphs, authentication=authentication)
    security = settings.security_settings
    assert (security.jwks_urls, security.issuers, security.jwks_cache_seconds) == (
        (jwks.url,),
        ("polyshop-auth",),
        60.0,
    )
    query = {"query": "{ topProducts { name } }"}
    try:
        async with running_router(settings) as router:
            for token, status in ((key.sign(), 200), (stranger.sign(), 401)):
                cookie = {"cookie": f"theme=dark; polyshop_token={token}"}
                async with router.session.post(router.graphql, json=query, headers=cookie) as r:
                    body = orjson.loads(await r.read())
                    assert r.status == status, body
                    if status == 401:
                        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # a variable wins over the file's key: here it names another issuer, so a token of
        # the file's issuer is refused
        monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_ISSUERS", "someone-else")
        settings = settings_for(subgraphs, authentication=authentication)
        assert settings.security_settings.issuers == ("someone-else",)
        async with running_router(settings) as router:
            cookie = {"cookie": f"polyshop_token={key.sign()}"}
            async with router.session.post(router.graphql, json=query, headers=cookie) as r:
                assert r.status == 401
    finally:
        await jwks.close()


async def test_a_broken_section_on_reload_keeps_the_old_configuration(
    subgraphs: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    urls = ", ".join(f"{name}: {server.url}" for name, server in subgraphs.items())
    path = tmp_path / "router.yaml"
    deep = "{ topProducts { reviews { id } } }"
    config = write(path, f"limits: {{max_depth: 10}}\nsubgraph_urls: {{{urls}}}\n")
    settings = RouterSettings(
        config=config, supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as router:
        watcher = router.app.config_watcher
        assert watcher is not None
        with structlog.testing.capture_logs() as logs:
            for broken in (
                "limits: {max_depth: 2, max_dept: 1}",
                "authentication: {router: {jwt: {jwks: [{}]}}}",
                "telemetry: {exporters: {tracing: {otlp: {endpoint: [1]}}}}",
                "query_planning: {cache: {redis: {enabled: true}}}",
            ):
                write(path, f"{broken}\nsubgraph_urls: {{{urls}}}\n")
                assert await watcher.check() is ReloadOutcome.REJECTED
        reasons = [entry["reason"] for entry in logs if entry["event"] == "config.rejected"]
        assert len(reasons) == 4
        assert "limits.max_dept" in reasons[0]
        assert "authentication.router.jwt.jwks.0.url" in reasons[1]
        assert "telemetry.exporters.tracing.otlp.endpoint" in reasons[2]
        assert "query_planning.cache.redis.enabled needs redis_url" in reasons[3]
        assert router.app.settings.limits.max_depth == 10
        status, body = await post(router, deep)
        assert status == 200
        assert "errors" not in body

        with structlog.testing.capture_logs() as logs:
            write(
                path,
                "limits: {max_depth: 2, http1_max_request_buf_size: 4096}\n"
                "telemetry: {exporters: {logging: {level: debug}}}\n"
                f"subgraph_urls: {{{urls}}}\n",
            )
            assert await watcher.check() is ReloadOutcome.RELOADED
        reloaded = [entry for entry in logs if entry["event"] == "config.reloaded"]
        assert reloaded[0]["changed"] == [
            "limits.http1_max_request_buf_size",
            "limits.max_depth",
            "telemetry",
        ]
        waiting = [entry for entry in logs if entry["event"] == "config.restart_required"]
        assert waiting[0]["settings"] == ["limits.http1_max_request_buf_size", "telemetry"]
        status, body = await post(router, deep)
        assert body["errors"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
