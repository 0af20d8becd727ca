"""``schema/orders.graphql`` is the subgraph's printed SDL, committed for composition."""

from __future__ import annotations

from pathlib import Path

from subgraphs.orders.schema import sdl
from tests.support.keys import TestKeys
from tests.support.orders import GraphQL

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "orders.graphql"
REGENERATE = "python -m subgraphs.orders.schema > schema/orders.graphql"


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"schema/orders.graphql is stale; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: GraphQL, keys: TestKeys) -> None:
    """What the router's composition would fetch over `_service` is the committed text."""
    body = await gql("{ _service { sdl } }", token=keys.service_token("router"))
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_sdl_declares_its_entities_and_references() -> None:
    text = sdl()
    assert "https://specs.apollo.dev/federation/v2.9" in text
    assert 'type Order @key(fields: "id")' in text
    assert 'type User @key(fields: "id")' in text
    assert 'type Product @key(fields: "id", resolvable: false)' in text
    assert "scalar Money" in text
