"""``polyshop_sql_statements_total`` on a kit app's ``/metrics``, against a real PostgreSQL.

The counter moves by exactly the statements a request sends, and not at all for the
readiness ping (a probe every few seconds must not blur a per-request figure).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import strawberry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from subgraphs.kit import ServiceContext, ServiceSettings, build_schema, create_service_app
from subgraphs.kit.telemetry import ServiceMetrics, ServiceTelemetry

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
COUNTER = "polyshop_sql_statements"


def make_schema() -> Any:
    @strawberry.type
    class Query:
        @strawberry.field
        async def run(self, info: strawberry.Info, statements: int) -> int:
            context: ServiceContext[None, None] = info.context
            total = 0
            async with context.db() as session:
                for number in range(statements):
                    total += (await session.execute(text(f"SELECT {number} + 1"))).scalar_one()
            return total

    return build_schema(query=Query)


def statements(metrics_text: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        if family.name == COUNTER:
            return next(s.value for s in family.samples if s.name == f"{COUNTER}_total")
    raise AssertionError(f"no {COUNTER} in /metrics")


@pytest.fixture
async def http(service_database: ServiceDatabaseFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(database_url=await service_database("kit"), log_level="WARNING")
    app = create_service_app(
        "sqlcount",
        make_schema(),
        settings,
        loaders_factory=lambda _c: None,
        verify_tokens=False,
        telemetry=ServiceTelemetry(metrics=ServiceMetrics("sqlcount")),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
            yield client


async def scrape(http: httpx.AsyncClient) -> float:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return statements(response.text)


@pytest.mark.parametrize("count", [0, 1, 4])
async def test_counts_each_statement_of_a_request(http: httpx.AsyncClient, count: int) -> None:
    before = await scrape(http)
    response = await http.post("/graphql", json={"query": f"{{ run(statements: {count}) }}"})
    assert response.json() == {"data": {"run": sum(range(1, count + 1))}}, response.text
    assert await scrape(http) - before == count


async def test_readiness_pings_are_not_counted(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    for _ in range(3):
        assert (await http.get("/ready")).status_code == 200
    assert await scrape(http) - before == 0
