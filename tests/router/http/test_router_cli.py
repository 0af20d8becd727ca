"""The router's commands: `plan` prints a query plan, `python -m router` serves."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import typer
from typer.testing import CliRunner

from router import cli
from router.settings import RouterSettings
from tests.support.router_harness import SUPERGRAPH

pytestmark = pytest.mark.slow  # python -m router as a process

app = typer.Typer()
app.command("plan")(cli.plan)
app.command("router")(cli.serve)
runner = CliRunner()
SCENARIOS = Path(__file__).parents[1] / "scenarios"


def operation(tmp_path: Path, text: str) -> str:
    path = tmp_path / "operation.graphql"
    path.write_text(text)
    return str(path)


def test_plan_prints_the_query_plan(tmp_path: Path) -> None:
    file = operation(
        tmp_path,
        "query Top($n: Int) { topProducts(first: $n) { name reviews { body } } }\n"
        'query One { product(id: "p1") { name } }',
    )
    result = runner.invoke(
        app,
        [
            "plan",
            file,
            "--supergraph",
            str(SUPERGRAPH),
            "--operation-name",
            "Top",
            "--variables",
            '{"n": 2}',
        ],
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("QueryPlan {")
    assert 'Fetch(service: "products")' in text
    assert 'Flatten(path: "topProducts.@")' in text
    assert 'Fetch(service: "reviews")' in text
    assert text.index('service: "products"') < text.index('service: "reviews"')


def test_plan_reads_variables_from_a_file(tmp_path: Path) -> None:
    file = operation(tmp_path, "query($id: ID!) { product(id: $id) { name } }")
    variables = tmp_path / "variables.json"
    variables.write_text('{"id": "p2"}')
    result = runner.invoke(
        app, ["plan", file, "--supergraph", str(SUPERGRAPH), "--variables", f"@{variables}"]
    )
    assert result.exit_code == 0, result.output
    assert 'Fetch(service: "products")' in result.output
    assert "reviews" not in result.output


def test_plan_reports_an_invalid_operation(tmp_path: Path) -> None:
    file = operation(tmp_path, "{ nope }")
    result = runner.invoke(app, ["plan", file, "--supergraph", str(SUPERGRAPH)])
    assert result.exit_code == 1
    assert "GRAPHQL_VALIDATION_FAILED" in result.output


def test_plan_reports_a_planning_failure_in_one_line(tmp_path: Path) -> None:
    """A supergraph whose only owner of a field has no resolvable key: planning fails, and
    the command says so in one ``error:`` line (no traceback)."""
    scenario = SCENARIOS / "07_requires_simple" / "supergraph.graphql"
    sdl = scenario.read_text().replace(
        '@join__type(graph: SHIPPING, key: "id")',
        '@join__type(graph: SHIPPING, key: "id", resolvable: false)',
    )
    assert "resolvable: false" in sdl
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(sdl)
    file = operation(tmp_path, "{ products { shippingCost } }")
    result = runner.invoke(app, ["plan", file, "--supergraph", str(supergraph)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Product.shippingCost" in lines[0]
    assert lines[0].endswith("[QUERY_PLANNING_FAILED]")
    assert "Traceback" not in result.output


def test_plan_reports_a_missing_supergraph(tmp_path: Path) -> None:
    file = operation(tmp_path, "{ topProducts { id } }")
    result = runner.invoke(app, ["plan", file, "--supergraph", str(tmp_path / "missing.graphql")])
    assert result.exit_code == 2
    assert "error:" in result.output


def test_settings_survive_the_trip_to_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = RouterSettings(
        port=4100,
        workers=3,
        subgraph_urls={"products": "http://p:1/graphql"},
        propagate_headers_extra=["x-tenant"],
        max_depth=7,
        dev_mode=True,
    )
    for name, value in cli.settings_env(settings).items():
        monkeypatch.setenv(name, value)
    assert RouterSettings() == settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_python_m_router_serves_and_prints_the_graphiql_url() -> None:
    port = free_port()
    env = {
        **os.environ,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/health") as response:
                        assert await response.json() == {"status": "UP"}
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the router did not come up")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    text = output.decode()
    assert f"GraphiQL: http://127.0.0.1:{port}/graphql" in text
    assert "engine.closed" in text
