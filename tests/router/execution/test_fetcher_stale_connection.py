"""A pooled connection the subgraph closes under us: queries are resent once, mutations not.

The subgraph here is a raw HTTP/1.1 server that answers the first request on a connection with
keep-alive and then drops the connection on the next one without answering, the way a server
whose idle timeout fired while the router reused the connection behaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from router.execution.fetcher import FetcherConfig, FetchFailure, SubgraphFetcher

ANSWER = b'{"data":{"ok":true}}'


class DroppingServer:
    def __init__(self) -> None:
        self.requests_per_connection: list[int] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests_per_connection.append(0)
        index = len(self.requests_per_connection) - 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests_per_connection[index] += 1
                if self.requests_per_connection[index] > 1:
                    return  # drop the reused connection without an answer
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(ANSWER)}\r\n\r\n".encode()
                    + ANSWER
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def dropping_fetcher() -> AsyncIterator[tuple[SubgraphFetcher, DroppingServer]]:
    subgraph = DroppingServer()
    server = await asyncio.start_server(subgraph.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    fetcher = SubgraphFetcher(
        FetcherConfig(urls={"flaky": f"http://127.0.0.1:{port}/graphql"}, keepalive_timeout=60)
    )
    await fetcher.start()
    try:
        yield fetcher, subgraph
    finally:
        await fetcher.close()
        server.close()
        await server.wait_closed()


async def test_a_query_is_resent_once_on_a_new_connection(
    dropping_fetcher: tuple[SubgraphFetcher, DroppingServer],
) -> None:
    fetcher, subgraph = dropping_fetcher
    body = b'{"query":"{ ok }"}'
    first = await fetcher.fetch("flaky", body, {}, dedupe=True)
    second = await fetcher.fetch("flaky", body, {}, dedupe=True)
    assert first.body == second.body == ANSWER
    assert subgraph.requests_per_connection == [2, 1]


async def test_a_mutation_is_never_sent_twice(
    dropping_fetcher: tuple[SubgraphFetcher, DroppingServer],
) -> None:
    fetcher, subgraph = dropping_fetcher
    body = b'{"query":"mutation { ok }"}'
    await fetcher.fetch("flaky", body, {})
    with pytest.raises(FetchFailure, match="error sending request"):
        await fetcher.fetch("flaky", body, {})
    assert subgraph.requests_per_connection == [2]
