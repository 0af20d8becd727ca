"""Fixtures for the router's HTTP tests: real subgraphs and the router on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.support.subgraph_server import SubgraphServer, sample_subgraph

DATA = Path(__file__).parent / "data"


@pytest_asyncio.fixture(scope="module")
async def subgraphs() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()
