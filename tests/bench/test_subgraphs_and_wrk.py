"""The benchmark subgraphs answer real federation requests, record and cache them; the wrk
script drives them and its result line parses. Needs Node and ``npm ci`` in ``bench/``.

Nothing here asserts a speed: only that the pieces the benchmark stands on work.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bench import load
from bench.install import node_modules_fresh
from bench.queries import QUERY_NAMES, query_text
from bench.routers import BENCH, GRAFBASE, OURS, ROUTERS_BY_KEY
from bench.servers import Server, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (BENCH / "node_modules").exists(),
    reason="needs Node.js and `npm ci` in bench/ (make test runs it where npm exists)",
)

ENTITIES = (
    "query($r:[_Any!]!){_entities(representations:$r){... on Product{inStock shippingEstimate}}}"
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def subgraphs(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    port = free_port()
    log = tmp_path_factory.mktemp("bench") / "subgraphs.log"
    argv = ["node", "subgraphs/server.mjs", "--port", str(port), "--workers", "2"]
    async with Server("subgraphs", argv, port, BENCH, log) as server:
        yield server


async def post(url: str, payload: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as response:
        assert response.status == 200
        return await response.json()


async def get(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()


def test_lock_file_matches_manifest() -> None:
    manifest = json.loads((BENCH / "package.json").read_text())
    lock = json.loads((BENCH / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert node_modules_fresh(BENCH) in (True, False)


async def test_root_fields_and_list_of_100(subgraphs: Server) -> None:
    answer = await post(
        subgraphs.url + "/products", {"query": "{ topProducts(first: 100) { upc price } }"}
    )
    products = answer["data"]["topProducts"]
    assert len(products) == 100
    assert products[0]["upc"] == "1"
    assert len({p["upc"] for p in products}) == 100
    users = await post(subgraphs.url + "/accounts", {"query": "{ users { id username } }"})
    assert [u["id"] for u in users["data"]["users"]] == ["1", "2", "3", "4"]


async def test_entities_with_requires_and_provides(subgraphs: Server) -> None:
    representations = [
        {"__typename": "Product", "upc": "3", "price": 1500, "weight": 20},
        {"__typename": "Product", "upc": "4", "price": 100, "weight": 20},
    ]
    answer = await post(
        subgraphs.url + "/inventory", {"query": ENTITIES, "variables": {"r": representations}}
    )
    assert answer["data"]["_entities"] == [
        {"inStock": False, "shippingEstimate": 0},
        {"inStock": True, "shippingEstimate": 10},
    ]
    reviews = await post(
        subgraphs.url + "/reviews",
        {
            "query": "query($r:[_Any!]!){_entities(representations:$r)"
            "{... on Product{reviews{id author{id username}}}}}",
            "variables": {"r": [{"__typename": "Product", "upc": "1"}]},
        },
    )
    (product,) = reviews["data"]["_entities"]
    assert len(product["reviews"]) == 3
    assert all(review["author"]["username"] for review in product["reviews"])


async def test_sdl_composes_into_a_supergraph(subgraphs: Server, tmp_path: Path) -> None:
    import asyncio

    target = tmp_path / "supergraph.graphql"
    process = await asyncio.create_subprocess_exec(
        "node", "compose.mjs", subgraphs.url, str(target), cwd=BENCH
    )
    assert await process.wait() == 0
    text = target.read_text()
    assert f'url: "{subgraphs.url}/inventory"' in text
    assert 'requires: "price weight"' in text


async def test_record_and_cache_statistics(subgraphs: Server) -> None:
    before = await get(subgraphs.url + "/__bench/stats")
    async with (
        aiohttp.ClientSession() as session,
        session.post(subgraphs.url + "/__bench/record") as response,
    ):
        assert response.status == 200
    payload = {"query": "{ topProducts(first: 2) { upc } }"}
    for _ in range(4):
        await post(subgraphs.url + "/products", payload)
    recorded = await get(subgraphs.url + "/__bench/recorded")
    assert [item["subgraph"] for item in recorded] == ["products"] * 4
    assert json.loads(recorded[0]["body"]) == payload
    after = await get(subgraphs.url + "/__bench/stats")
    assert after["requests"] - before["requests"] == 4
    assert after["hits"] - before["hits"] >= 2  # one miss per worker at most
    assert after["workers"] == 2
    assert await get(subgraphs.url + "/__bench/recorded") == []  # recording stopped


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk")
async def test_wrk_script_drives_the_subgraphs(subgraphs: Server, tmp_path: Path) -> None:
    requests_file = load.write_requests(
        tmp_path / "requests.tsv",
        [
            ("/products", json.dumps({"query": "{ topProducts { upc } }"})),
            ("/accounts", json.dumps({"query": "{ me { id } }"})),
        ],
    )
    before = await get(subgraphs.url + "/__bench/stats")
    result = await load.run_wrk(subgraphs.url, requests_file, seconds=1, connections=2, nonce=True)
    after = await get(subgraphs.url + "/__bench/stats")
    assert result.requests > 0
    assert result.errors == 0
    assert result.p50_ms <= result.p95_ms <= result.p99_ms
    # wrk counts only completed requests; the server saw at least those.
    assert after["requests"] - before["requests"] >= result.requests


@pytest.mark.skipif(
    not GRAFBASE.exists(), reason="the Grafbase CLI's npm package is x86_64 Linux only"
)
async def test_grafbase_peer_serves_the_same_answers_as_ours(
    subgraphs: Server, tmp_path: Path
) -> None:
    """The Rust peer runs on the same subgraphs and supergraph and agrees with our router on
    every benchmark query; its start-up time is measured like every router's."""
    import asyncio

    supergraph = tmp_path / "supergraph.graphql"
    process = await asyncio.create_subprocess_exec(
        "node", "compose.mjs", subgraphs.url, str(supergraph), cwd=BENCH
    )
    assert await process.wait() == 0
    grafbase = ROUTERS_BY_KEY["grafbase"].server(supergraph, free_port(), tmp_path / "logs")
    ours = OURS.server(supergraph, free_port(), tmp_path / "logs")
    config = (tmp_path / "logs" / "grafbase.toml").read_text()
    assert f'url = "{subgraphs.url}/inventory"' in config
    async with grafbase, ours:
        assert grafbase.ready_seconds is not None
        assert ours.ready_seconds is not None
        for name in QUERY_NAMES:
            theirs = await post(grafbase.url + "/graphql", {"query": query_text(name)})
            mine = await post(ours.url + "/graphql", {"query": query_text(name)})
            assert "errors" not in theirs, (name, theirs)
            assert theirs == mine, name
