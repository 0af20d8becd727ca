"""`@defer` over HTTP on a real router (uvicorn) and real subgraphs: the exact multipart bytes
Apollo Router sends for ``accept: multipart/mixed;deferSpec=20220824``, the primary part
arriving while a deferred fetch is still running, one JSON response for a client that does
not read multipart, the validation errors for a defer on a mutation root field, and Apollo
Client (pinned in ``tests/clients``) reading the deferred payloads."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
DEFER_ACCEPT = "multipart/mixed;deferSpec=20220824, application/json"
REVIEWS_DEFERRED = (
    '{ topProducts(first: 2) { name ... @defer(label: "reviews") { reviews { body } } } }'
)
FULL = {
    "topProducts": [
        {"name": "Table", "reviews": [{"body": "Solid"}, {"body": "Wobbly"}]},
        {"name": "Chair", "reviews": []},
    ]
}


@pytest_asyncio.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


def post(query: str, accept: str) -> dict[str, Any]:
    return {
        "json": {"query": query},
        "headers": {"accept": accept, "apollo-require-preflight": "true"},
    }


async def test_exact_multipart_bytes(servers: dict[str, SubgraphServer]) -> None:
    async with (
        running_router(settings_for(servers)) as router,
        router.session.post(router.graphql, **post(REVIEWS_DEFERRED, DEFER_ACCEPT)) as response,
    ):
        assert response.status == 200
        assert response.headers["content-type"] == (
            'multipart/mixed;boundary="graphql";deferSpec=20220824'
        )
        assert "content-encoding" not in response.headers
        body = await response.read()
    head = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
    assert body == (
        head
        + b'{"data":{"topProducts":[{"name":"Table"},{"name":"Chair"}]},"hasNext":true}'
        + head
        + b'{"hasNext":false,"incremental":['
        + b'{"label":"reviews","path":["topProducts",0],'
        + b'"data":{"reviews":[{"body":"Solid"},{"body":"Wobbly"}]}},'
        + b'{"label":"reviews","path":["topProducts",1],"data":{"reviews":[]}}]}'
        + b"\r\n--graphql--\r\n"
    )


async def test_primary_part_does_not_wait_for_a_slow_deferred_fetch(
    servers: dict[str, SubgraphServer],
) -> None:
    query = '{ topProducts(first: 1) { name } ... @defer(label: "slow") { slow(seconds: 2) } }'
    async with (
        running_router(settings_for(servers)) as router,
        router.session.post(router.graphql, **post(query, DEFER_ACCEPT)) as response,
    ):
        # The primary payload ends with its last key; the client has it while the deferred
        # root fetch is still in the subgraph (asleep for 2 s): nothing after it has come.
        first = await response.content.readuntil(b'"hasNext":true}')
        buffered = response.content.read_nowait()
        assert b'"slow"' not in first
        assert first.count(b"--graphql") == 1
        assert b"--graphql" not in buffered
        rest = buffered + await response.read()
    queries = [r.body.get("query", "") for r in servers["products"].received]
    assert any("slow" in q for q in queries)
    assert b'{"hasNext":false,"incremental":[{"label":"slow","path":[],"data":' in rest
    assert b'"slow":"slept"' in rest


async def test_inline_without_multipart_accept(servers: dict[str, SubgraphServer]) -> None:
    async with running_router(settings_for(servers)) as router:
        for accept in ("application/json", "application/graphql-response+json"):
            async with router.session.post(
                router.graphql, **post(REVIEWS_DEFERRED, accept)
            ) as response:
                assert response.status == 200
                assert response.headers["content-type"].startswith(accept)
                assert await response.json(content_type=None) == {"data": FULL}


async def test_query_without_defer_stays_json_for_a_defer_client(
    servers: dict[str, SubgraphServer],
) -> None:
    async with (
        running_router(settings_for(servers)) as router,
        router.session.post(
            router.graphql, **post("{ topProducts(first: 1) { name } }", DEFER_ACCEPT)
        ) as response,
    ):
        assert response.headers["content-type"].startswith("application/json")
        assert await response.json() == {"data": {"topProducts": [{"name": "Table"}]}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            'mutation { ... @defer { renameProduct(id: "p1", name: "X") { id } } }',
            "Defer directive cannot be used on root mutation type 'Mutation'.",
        ),
        (
            '{ a: topProducts { ... @defer(label: "x") { id } } '
            'b: topProducts { ... @defer(label: "x") { name } } }',
            "Defer/Stream directive label argument must be unique.",
        ),
    ],
)
async def test_bad_defers_are_validation_errors(
    servers: dict[str, SubgraphServer], query: str, message: str
) -> None:
    async with running_router(settings_for(servers)) as router:
        for accept in (DEFER_ACCEPT, "application/json"):
            async with router.session.post(router.graphql, **post(query, accept)) as response:
                assert response.status == 400
                body = await response.json()
            assert "data" not in body
            (error,) = body["errors"]
            assert error["message"] == message
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert error["locations"]
        assert not servers["products"].received or all(
            "renameProduct" not in r.body.get("query", "") for r in servers["products"].received
        )
        async with router.session.post(
            router.graphql, **post("{ topProducts(first: 1) { id } }", "application/json")
        ) as response:
            assert response.status == 200  # still up


def node_with_clients() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the Apollo Client test needs them")
    if not (CLIENTS / "node_modules" / "@apollo" / "client").is_dir():
        subprocess.run(
            [npm, "ci", "--prefix", str(CLIENTS), "--no-audit", "--no-fund", "--silent"],
            check=True,
            timeout=600,
        )
    return node


async def test_apollo_client_receives_the_deferred_parts(
    servers: dict[str, SubgraphServer],
) -> None:
    """Apollo Client asks for multipart itself (its HttpLink sees `@defer`), delivers the
    primary part first, then the merged result, which equals the non-deferred answer."""
    node = node_with_clients()
    async with running_router(settings_for(servers)) as router:
        process = await asyncio.create_subprocess_exec(
            node,
            str(CLIENTS / "defer.mjs"),
            router.graphql,
            REVIEWS_DEFERRED,
            '"Wobbly"',
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, (out + err).decode()
        async with router.session.post(
            router.graphql,
            **post("{ topProducts(first: 2) { name reviews { body } } }", "*/*"),
        ) as response:
            plain = await response.json()
    results = [json.loads(line) for line in out.decode().splitlines()]
    assert results == [
        {"data": {"topProducts": [{"name": "Table"}, {"name": "Chair"}]}},
        {"data": FULL},
    ]
    assert plain == {"data": FULL}


def test_which_accept_headers_ask_for_incremental_delivery() -> None:
    from router.http.streaming import accepts_incremental

    assert accepts_incremental("multipart/mixed;deferSpec=20220824,application/json")
    assert accepts_incremental(
        "multipart/mixed; deferSpec=20220824, application/graphql-response+json, "
        "application/json;q=0.9"
    )
    assert not accepts_incremental("multipart/mixed;deferSpec=20220824;q=0, application/json")
    assert not accepts_incremental("multipart/mixed;subscriptionSpec=1.0, application/json")
    assert not accepts_incremental("multipart/mixed")
    assert not accepts_incremental("application/json")
    assert not accepts_incremental(None)
