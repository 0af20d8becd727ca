"""Events through NATS into the running service, reports out over GraphQL."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.js import JetStreamContext

from subgraphs.analytics.schema import sdl
from subgraphs.analytics.settings import AnalyticsSettings
from tests.support.analytics import ADMIN, USER, Scenario, publish, scenario

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "analytics.graphql"
REGENERATE = "python -m subgraphs.analytics.schema > schema/analytics.graphql"
START = date(2011, 3, 28)  # far from the dates other tests' events carry

DAILY = """query($from: Date!, $to: Date!) {
  salesDaily(from: $from, to: $to) { date currency totalOrders totalRevenue } }"""
MONTHLY = """query($year: Int!) {
  salesMonthly(year: $year) { year month currency totalOrders totalRevenue } }"""
TOP = """query($from: Date!, $to: Date!, $limit: Int!, $currency: String) {
  topProducts(from: $from, to: $to, limit: $limit, currency: $currency) {
    product { __typename id } currency units revenue } }"""
REBUILD = "mutation { rebuildRollups { events orders days } }"
RANGE = {"from": "2011-03-01", "to": "2011-04-30"}


@pytest.fixture(scope="module")
async def delivered(
    js: JetStreamContext, settings: AnalyticsSettings, sql: asyncpg.Connection, analytics_app: Any
) -> Scenario:
    """A scenario published shuffled over three streams, a quarter of it twice."""
    case = scenario(11, orders=25, start=START)
    shuffled = list(case.events)
    random.Random(3).shuffle(shuffled)
    for envelope in shuffled + shuffled[: len(shuffled) // 4]:
        await publish(js, settings, envelope)
    ids = [e.id for e in case.events]
    deadline = time.monotonic() + 20
    while await sql.fetchval("SELECT count(*) FROM events_raw WHERE id = ANY($1)", ids) < len(ids):
        assert time.monotonic() < deadline, "events did not all arrive"
        await asyncio.sleep(0.1)
    consumers = analytics_app.state.events.consumers
    deadline = time.monotonic() + 20
    while sum(c.skipped for c in consumers) < len(shuffled) // 4:
        assert time.monotonic() < deadline, "the duplicates were not all seen"
        await asyncio.sleep(0.1)
    return case


async def test_sales_daily_and_monthly(delivered: Scenario, gql: Any) -> None:
    body = await gql(DAILY, headers=ADMIN, **RANGE)
    assert "errors" not in body, body
    got = {
        (date.fromisoformat(r["date"]), r["currency"]): (
            r["totalOrders"],
            Decimal(r["totalRevenue"]),
        )
        for r in body["data"]["salesDaily"]
    }
    assert got == delivered.expected.daily
    rows = body["data"]["salesDaily"]
    assert [(r["date"], r["currency"]) for r in rows] == sorted(
        (r["date"], r["currency"]) for r in rows
    )

    body = await gql(MONTHLY, headers=ADMIN, year=2011)
    got_months = {
        (r["year"], r["month"], r["currency"]): (r["totalOrders"], Decimal(r["totalRevenue"]))
        for r in body["data"]["salesMonthly"]
    }
    assert got_months == delivered.expected.monthly
    assert {k[1] for k in got_months} == {3, 4}
    assert (await gql(MONTHLY, headers=ADMIN, year=2012))["data"]["salesMonthly"] == []


async def test_top_products(delivered: Scenario, gql: Any) -> None:
    totals: defaultdict[str, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal("0")))
    for (_day, product, currency), (units, revenue) in delivered.expected.products.items():
        if currency == "EUR":
            u, r = totals[product]
            totals[product] = (u + units, r + revenue)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:3]
    body = await gql(TOP, headers=ADMIN, limit=3, currency="EUR", **RANGE)
    assert "errors" not in body, body
    got = [
        (r["product"]["id"], (r["units"], Decimal(r["revenue"])))
        for r in body["data"]["topProducts"]
    ]
    assert got == ranked
    assert {r["product"]["__typename"] for r in body["data"]["topProducts"]} == {"Product"}
    one_day = await gql(TOP, headers=ADMIN, limit=100, **{"from": "2011-03-28", "to": "2011-03-28"})
    for row in one_day["data"]["topProducts"]:
        key = (date(2011, 3, 28), row["product"]["id"], row["currency"])
        assert (row["units"], Decimal(row["revenue"])) == delivered.expected.products[key]


async def test_rebuild_rollups_gives_the_same_reports(delivered: Scenario, gql: Any) -> None:
    before = await gql(DAILY, headers=ADMIN, **RANGE)
    body = await gql(REBUILD, headers=ADMIN)
    assert "errors" not in body, body
    result = body["data"]["rebuildRollups"]
    assert result["events"] >= len(delivered.events)
    assert result["days"] >= len({day for day, _ in delivered.expected.daily})
    assert await gql(DAILY, headers=ADMIN, **RANGE) == before


async def test_reports_are_for_admins(delivered: Scenario, gql: Any) -> None:
    user = await gql(DAILY, headers=USER, **RANGE)
    assert user["data"] is None
    assert user["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert user["errors"][0]["path"] == ["salesDaily"]
    anonymous = await gql(REBUILD)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    backwards = await gql(DAILY, headers=ADMIN, **{"from": "2011-04-30", "to": "2011-03-01"})
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = await gql(TOP, headers=ADMIN, limit=1000, **RANGE)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_product_entities(gql: Any) -> None:
    body = await gql(
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ __typename ... on Product { id } } }",
        r=[{"__typename": "Product", "id": "42"}],
    )
    assert body["data"]["_entities"] == [{"__typename": "Product", "id": "42"}]


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"stale {SCHEMA_FILE}; run: {REGENERATE}"
    assert 'type Product @key(fields: "id", resolvable: false)' in SCHEMA_FILE.read_text()


async def test_service_sdl_matches_the_file(gql: Any) -> None:
    body = await gql("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()
