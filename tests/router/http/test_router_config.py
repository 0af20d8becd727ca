"""``router.yaml``: read below the environment, validated against its published schema, and
re-read while the router runs (a broken file keeps the configuration in force)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import jsonschema
import orjson
import pytest
import structlog
from typer.testing import CliRunner

from polyshop.cli import app
from router.config import ConfigError, config_json_schema, expand_env
from router.hot_reload import ReloadOutcome
from router.settings import RouterSettings
from tests.support.router_harness import SUPERGRAPH, running_router
from tests.support.subgraph_server import SubgraphServer

runner = CliRunner()
DEEP = "{ topProducts { reviews { id } } }"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_file_sits_below_arguments_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        tmp_path / "router.yaml",
        "limits: {max_depth: 5}\nsubgraph_timeout: 7\npropagate_headers_extra: [X-Tenant]\n",
    )
    settings = RouterSettings(config=config)
    assert (settings.limits.max_depth, settings.subgraph_timeout) == (5, 7.0)
    assert "x-tenant" in settings.propagated_headers
    monkeypatch.setenv("POLYSHOP_ROUTER_LIMITS__MAX_DEPTH", "9")
    assert RouterSettings(config=config).limits.max_depth == 9
    assert RouterSettings(config=config, limits={"max_depth": 11}).limits.max_depth == 11
    monkeypatch.setenv("POLYSHOP_ROUTER_CONFIG", config)
    assert RouterSettings().subgraph_timeout == 7.0


def test_env_references_are_expanded_and_an_unset_one_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_TIMEOUT", "12")
    config = write(
        tmp_path / "router.yaml",
        "subgraph_timeout: ${env.ROUTER_TIMEOUT}\nhealth_path: ${env.NO_SUCH_VAR:-/healthz}\n",
    )
    settings = RouterSettings(config=config)
    assert (settings.subgraph_timeout, settings.health_path) == (12.0, "/healthz")
    assert expand_env({"a": ["x-${env.A}"]}, {"A": "1"}) == {"a": ["x-1"]}
    with pytest.raises(ConfigError, match=r"headers\[0\]: environment variable MISSING_ONE"):
        expand_env({"headers": ["${env.MISSING_ONE}"]}, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_dept: 3\n", "unknown key(s) max_dept"),
        ("- a\n- b\n", "must be a mapping"),
        ("limits: [\n", "not valid YAML"),
        ("config: other.yaml\n", "names the file itself"),
        ("limits: {max_depth: many}\n", "limits.max_depth"),
        ("security: {}\n", "unknown key(s) security"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    config = write(tmp_path / "router.yaml", text)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RouterSettings(config=config)
    result = runner.invoke(app, ["router", "--config", config])
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid router configuration")
    assert "Traceback" not in result.output


def test_the_published_schema_accepts_the_settings_and_refuses_typos(tmp_path: Path) -> None:
    result = runner.invoke(app, ["router", "config-schema"])
    assert result.exit_code == 0, result.output
    schema = orjson.loads(result.output)
    assert schema == orjson.loads(orjson.dumps(config_json_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(
        {"limits": {"max_depth": 5}, "subgraph_urls": {"products": "http://p/graphql"}}
    )
    assert "config" not in schema["properties"]
    assert "security" not in schema["properties"]
    with pytest.raises(jsonschema.ValidationError, match="max_dept"):
        validator.validate({"max_dept": 5})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"limits": {"max_depth": "many"}})


async def depth_error(url: str, session: aiohttp.ClientSession) -> str | None:
    async with session.post(url, json={"query": DEEP}) as response:
        body = orjson.loads(await response.read())
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def test_a_changed_file_applies_to_the_next_requests_and_a_broken_one_is_rejected(
    subgraphs: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    urls = ", ".join(f"{name}: {server.url}" for name, server in subgraphs.items())
    path = tmp_path / "router.yaml"
    config = write(path, f"limits: {{max_depth: 10}}\nsubgraph_urls: {{{urls}}}\n")
    settings = RouterSettings(
        config=config, supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as router:
        watcher = router.app.config_watcher
        assert watcher is not None
        assert await depth_error(router.graphql, router.session) is None
        generation = router.app.holder.generation if router.app.holder else 0

        write(path, f"limits: {{max_depth: 2}}\nsubgraph_urls: {{{urls}}}\n")
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert router.app.settings.limits.max_depth == 2
        assert router.app.holder is not None
        assert router.app.holder.generation == generation + 1
        assert await depth_error(router.graphql, router.session) == "MAX_DEPTH_LIMIT"

        with structlog.testing.capture_logs() as logs:
            write(path, f"limits: {{max_depth: -1}}\nsubgraph_urls: {{{urls}}}\nport: 1\n")
            assert await watcher.check() is ReloadOutcome.REJECTED
            write(path, f"limits: {{max_depth: 2}}\nsubgraph_urls: {{{urls}}}\nbogus: 1\n")
            assert await watcher.check() is ReloadOutcome.REJECTED
        rejected = [entry for entry in logs if entry["event"] == "config.rejected"]
        assert len(rejected) == 2
        assert "limits.max_depth" in rejected[0]["reason"]
        assert "bogus" in rejected[1]["reason"]
        assert router.app.settings.limits.max_depth == 2
        assert await depth_error(router.graphql, router.session) == "MAX_DEPTH_LIMIT"

        with structlog.testing.capture_logs() as logs:
            write(path, f"limits: {{max_depth: 10}}\nsubgraph_urls: {{{urls}}}\nworkers: 2\n")
            assert await watcher.check() is ReloadOutcome.RELOADED
        waiting = [entry for entry in logs if entry["event"] == "config.restart_required"]
        assert waiting
        assert waiting[0]["settings"] == ["workers"]
        assert await depth_error(router.graphql, router.session) is None
