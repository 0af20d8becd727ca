"""``demand_control`` and ``traffic_shaping`` through ``router.yaml`` and the HTTP router.

On the project's own supergraph (``schema/supergraph.graphql``, whose paginated fields carry
``@listSize``), ``products(first: 100000)`` is refused in enforce mode before any subgraph is
called (a counting HTTP server stands in for every subgraph); the costs appear on
``/metrics``. Bad sections are refused with the setting's path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from typer.testing import CliRunner

from polyshop.cli import app
from router.config import config_json_schema
from router.settings import RouterSettings
from tests.support.router_harness import running_router

REPO = Path(__file__).resolve().parents[3]
SUPERGRAPH = REPO / "schema" / "supergraph.graphql"
SUBGRAPHS = ("auth", "products", "inventory", "orders", "payments", "notifications", "analytics")
ENFORCE = """
demand_control:
  enabled: true
  mode: enforce
  strategy:
    static_estimated:
      list_size: 10
      max: 1000
  expose_cost: true
traffic_shaping:
  all:
    timeout: 5s
  subgraphs:
    products:
      max_connections: 8
      retry: {attempts: 1}
"""


class Counting:
    """Answers every GraphQL request with an empty product page and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        await request.read()
        page = {"edges": [], "pageInfo": {"hasNextPage": False}}
        return web.json_response({"data": {"products": page}})


@pytest_asyncio.fixture
async def counting() -> AsyncIterator[Counting]:
    server = Counting()
    application = web.Application()
    application.router.add_post("/graphql", server.handle)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/graphql"
    yield server
    await runner.cleanup()


async def test_an_over_budget_query_on_our_schema_is_refused_and_measured(
    tmp_path: Path, counting: Counting
) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(ENFORCE)
    settings = RouterSettings(
        config=str(config),
        supergraph=str(SUPERGRAPH),
        port=0,
        hot_reload=False,
        subgraph_urls={name: counting.url for name in SUBGRAPHS},
    )
    assert settings.traffic_shaping.policy("products", 30).max_connections == 8
    async with running_router(settings) as router:
        async with router.session.post(
            router.graphql,
            json={"query": "{ products(first: 100000) { edges { node { id name } } } }"},
        ) as response:
            refused = await response.json()
            assert response.status == 400
        assert counting.requests == 0
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"
        # The connection (1) + 100000 edges x (edge 1 + product 1).
        assert error["extensions"]["cost.estimated"] == 200001
        assert refused["extensions"]["cost"]["max"] == 1000

        async with router.session.post(
            router.graphql, json={"query": "{ products(first: 10) { edges { node { id } } } }"}
        ) as response:
            allowed = await response.json()
            assert response.status == 200
        assert counting.requests == 1
        assert allowed["extensions"]["cost"]["estimated"] == 21
        assert allowed["extensions"]["cost"]["actual"] == 1  # an empty page: the connection

        async with router.session.get(router.url + "/metrics") as response:
            metrics = await response.text()
    assert (
        'polyshop_router_cost_estimated_count{result="COST_ESTIMATED_TOO_EXPENSIVE"} 1.0' in metrics
    )
    assert 'polyshop_router_cost_estimated_count{result="COST_OK"} 1.0' in metrics
    assert "polyshop_router_cost_actual_count 1.0" in metrics


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("demand_control:\n  mode: strict\n", "demand_control.mode"),
        ("demand_control:\n  maximum: 5\n", "demand_control.maximum"),
        ("demand_control:\n  strategy: {static_estimated: {max: -1}}\n", "max"),
        ("traffic_shaping:\n  all: {timeout: soon}\n", "not a duration"),
        ("traffic_shaping:\n  subgraphs: {products: {retry: {budget: 1}}}\n", "budget"),
    ],
)
def test_a_bad_section_is_refused_with_its_path(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(text)
    with pytest.raises(ValueError, match=message):
        RouterSettings(config=str(config))
    result = CliRunner().invoke(app, ["router", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid router configuration")
    assert "Traceback" not in result.output


def test_the_published_schema_describes_both_sections() -> None:
    schema = orjson.loads(orjson.dumps(config_json_schema()))
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(
        {
            "demand_control": {"enabled": True, "mode": "enforce"},
            "traffic_shaping": {"all": {"timeout": "2s"}, "subgraphs": {"a": {"timeout": 1}}},
        }
    )
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"demand_control": {"mode": "strict"}})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"traffic_shaping": {"all": {"retries": {}}}})
