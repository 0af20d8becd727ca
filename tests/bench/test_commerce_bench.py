"""The commerce benchmark's measuring pieces, on real ``/metrics`` text and a real wrk run.

Not timed. A kit app against a real PostgreSQL serves one batched field (one statement
whatever the number of items) and one naive field (a statement per item); the router's
counters come from a real `RouterMetrics`. The snapshots, deltas and per-request division
must give the batched field a flat count and catch the naive one growing. The generated wrk
script must send the customer's token and report wrk's result line.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from aiohttp import web
from sqlalchemy import text

from bench import commerce, load
from bench.servers import free_port
from router.telemetry.metrics import RouterMetrics
from subgraphs.kit import ServiceContext, ServiceSettings, build_schema, create_service_app
from subgraphs.kit.telemetry import ServiceMetrics, ServiceTelemetry

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


def make_schema() -> Any:
    @strawberry.type
    class Query:
        @strawberry.field
        async def batched(self, info: strawberry.Info, items: int) -> int:
            context: ServiceContext[None, None] = info.context
            async with context.db() as session:
                query = text("SELECT count(*) FROM generate_series(1, :n)")
                return int((await session.execute(query, {"n": items})).scalar_one())

        @strawberry.field
        async def naive(self, info: strawberry.Info, items: int) -> int:
            context: ServiceContext[None, None] = info.context
            total = 0
            async with context.db() as session:
                for _ in range(items):
                    total += int((await session.execute(text("SELECT 1"))).scalar_one())
            return total

    return build_schema(query=Query)


@pytest.fixture
async def service(service_database: ServiceDatabaseFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(database_url=await service_database("kit"), log_level="WARNING")
    app = create_service_app(
        "benchkit",
        make_schema(),
        settings,
        loaders_factory=lambda _c: None,
        verify_tokens=False,
        telemetry=ServiceTelemetry(metrics=ServiceMetrics("benchkit")),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
            yield client


async def measure(
    service: httpx.AsyncClient, router: RouterMetrics, field: str, items: int, requests: int
) -> commerce.PerRequest:
    """``requests`` queries as a router would send them, with its counters kept alongside."""

    async def snap() -> commerce.Snapshot:
        metrics = (await service.get("/metrics")).text
        return commerce.snapshot(router.render().decode(), {"benchkit": metrics})

    before = await snap()
    for _ in range(requests):
        response = await service.post("/graphql", json={"query": f"{{ {field}(items: {items}) }}"})
        assert response.json() == {"data": {field: items}}, response.text
        router.fetch_histogram("benchkit").observe(0.001)
        router.fetch_histogram("other").observe(0.001)
        router.request_done(200, "query", 0.002)
    return commerce.per_request(before, await snap())


def row(items: int, measured: commerce.PerRequest, connections: int = 1) -> commerce.Row:
    result = load.LoadResult(measured.requests, 1.0, 0, 1.0, 2.0, 3.0)
    return commerce.Row(items, connections, result, measured)


async def test_batched_sql_is_flat_and_naive_sql_is_caught(service: httpx.AsyncClient) -> None:
    router = RouterMetrics()
    batched = [await measure(service, router, "batched", n, 3) for n in (1, 10, 50)]
    for measured in batched:
        assert measured.requests == 3
        assert measured.sql == {"benchkit": 1.0}
        assert measured.fetches == {"benchkit": 1.0, "other": 1.0}
        assert measured.fetches_total == 2.0
        assert measured.graphql_errors == 0
    ok, lines = commerce.flatness([row(n, m) for n, m in zip((1, 10, 50), batched, strict=True)])
    assert ok, lines
    assert lines[0].startswith("c=1: OK"), lines

    naive = [await measure(service, router, "naive", n, 2) for n in (1, 10)]
    assert [m.sql["benchkit"] for m in naive] == [1.0, 10.0]
    ok, lines = commerce.flatness([row(1, naive[0]), row(10, naive[1])])
    assert not ok
    assert "GROWS" in lines[0], lines
    assert "benchkit 1.00 → 10.00" in lines[0], lines

    table = commerce.render([row(50, batched[2])], ["benchkit"])
    assert table.splitlines()[0].split()[:3] == ["items", "conns", "req/s"]
    assert table.splitlines()[2].split() == [
        "50", "1", "3", "1.00", "3.00", "0", "2.00", "1.00", "1.00",
    ]  # fmt: skip


def test_router_snapshot_sums_statuses_and_errors() -> None:
    router = RouterMetrics()
    router.request_done(200, "query", 0.01)
    router.request_done(400, "query", 0.01)
    router.errors.labels("UNAUTHENTICATED").inc(2)
    router.fetch_histogram("orders").observe(0.01)
    idle = router.render().decode()
    assert commerce.gauge_value(idle, commerce.IN_FLIGHT_METRIC) == 0
    router.in_flight.inc()
    assert commerce.gauge_value(router.render().decode(), commerce.IN_FLIGHT_METRIC) == 1
    assert commerce.gauge_value(idle, "polyshop_no_such_gauge") is None
    found = commerce.snapshot(idle, {"orders": "", "auth": ""})
    assert found.requests == 2
    assert found.graphql_errors == 2
    assert found.fetches == {"orders": 1.0}
    assert found.sql == {"orders": 0.0, "auth": 0.0}  # no counter yet: zero, not an error


def test_per_request_refuses_an_empty_window() -> None:
    same = commerce.Snapshot(5, 0, {"orders": 5}, {"orders": 9})
    with pytest.raises(ValueError, match="no request reached the router"):
        commerce.per_request(same, same)


@pytest.mark.skipif(load.wrk_binary() is None, reason="wrk is not installed")
async def test_wrk_script_sends_the_token(tmp_path: Path) -> None:
    seen: list[tuple[str | None, bytes]] = []

    async def graphql(request: web.Request) -> web.Response:
        seen.append((request.headers.get("authorization"), await request.read()))
        return web.json_response({"data": {"order": None}})

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        script = tmp_path / "commerce.lua"
        script.write_text(commerce.WRK_SCRIPT)
        body = '{"query": "query($id: ID!) { order(id: $id) { id } }", "variables": {"id": "7"}}'
        requests_file = load.write_requests(tmp_path / "r.tsv", [("/graphql", body)])
        result = await commerce.run_wrk(
            f"http://127.0.0.1:{port}", requests_file, script, "tok", seconds=1, connections=2
        )
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)
    assert result.requests > 0
    assert result.errors == 0
    assert len(seen) >= result.requests
    assert {auth for auth, _ in seen} == {"Bearer tok"}
    assert {payload for _, payload in seen} == {
        b'{"query":"query($id: ID!) { order(id: $id) { id } }","variables":{"id":"7"}}'
    }


def test_defer_pieces_read_apollos_multipart_and_merge_it() -> None:
    """The deferred cell's parsing and merging, on the bytes our router sends (see
    tests/router/http/test_http_defer.py), and the medians and ratios it prints."""
    head = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
    body = (
        head
        + b'{"data":{"order":{"id":"o1","status":"PAID"}},"hasNext":true}'
        + head
        + b'{"hasNext":false,"incremental":[{"label":"details","path":["order"],'
        + b'"data":{"items":[{"quantity":1}],"user":{"email":"a@b"}}}]}'
        + b"\r\n--graphql--\r\n"
    )
    payloads = commerce.multipart_payloads(body)
    assert [p["hasNext"] for p in payloads] == [True, False]
    assert commerce.merge_incremental(payloads) == {
        "order": {
            "id": "o1",
            "status": "PAID",
            "items": [{"quantity": 1}],
            "user": {"email": "a@b"},
        }
    }
    row = commerce.defer_row(10, [0.04, 0.02, 0.03], [0.01, 0.012, 0.011], [0.05, 0.03, 0.04])
    assert (row.plain, row.first, row.last) == (0.03, 0.011, 0.04)
    assert round(row.first_ratio, 3) == round(0.011 / 0.03, 3)
    assert "first ÷ plain" in commerce.render_defer([row])
