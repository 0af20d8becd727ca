"""Fixtures of the plugin tests: the HTTP tests' real subgraphs on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.subgraph_server import SubgraphServer, sample_subgraph


@pytest_asyncio.fixture(scope="module")
async def subgraphs() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()
