"""APQ with the client people use: Apollo Client's persisted-queries link (pinned in
``tests/router/clients``) against the router, over POST and with GET for hashed queries.

Each run makes two fresh clients: the first sends the hash alone, gets
``PERSISTED_QUERY_NOT_FOUND`` and sends the query with its hash; the second's hash alone is
then known. The router's error counter proves the protocol ran that way (one miss, not two).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio

from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

pytestmark = pytest.mark.slow  # Apollo Client in Node

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
NOT_FOUND = 'polyshop_router_errors_total{code="PERSISTED_QUERY_NOT_FOUND"}'


def node_with_clients() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the Apollo Client APQ test needs them")
    if not (CLIENTS / "node_modules" / "@apollo" / "client").is_dir():
        subprocess.run(
            [npm, "ci", "--prefix", str(CLIENTS), "--no-audit", "--no-fund", "--silent"],
            check=True,
            timeout=600,
        )
    return node


@pytest_asyncio.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


@pytest.mark.parametrize("method", ["post", "get"])
async def test_apollo_client_persisted_queries_link(
    servers: dict[str, SubgraphServer], method: str
) -> None:
    node = node_with_clients()
    async with running_router(settings_for(servers)) as router:
        process = await asyncio.create_subprocess_exec(
            node,
            str(CLIENTS / "apq_client.mjs"),
            router.graphql,
            method,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        async with router.session.get(router.url + "/metrics") as response:
            metrics = await response.text()
    results = orjson.loads(out.splitlines()[-1])
    expected = {
        "topProducts": [
            {"__typename": "Product", "id": "p1", "name": "Table"},
            {"__typename": "Product", "id": "p2", "name": "Chair"},
        ]
    }
    assert results == {"first": expected, "second": expected}
    assert f"{NOT_FOUND} 1.0" in metrics  # the second client's hash was already registered
