"""``schema/inventory.graphql`` is the subgraph's printed SDL, committed for composition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subgraphs.inventory.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "inventory.graphql"
REGENERATE = "python -m subgraphs.inventory.schema > schema/inventory.graphql"


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"schema/inventory.graphql is stale; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: Any) -> None:
    """What the router's composition would fetch over `_service` is the committed text."""
    body = await gql("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_sdl_extends_product_as_a_federation_2_entity() -> None:
    text = sdl()
    assert "https://specs.apollo.dev/federation/v2.9" in text
    assert 'type Product @key(fields: "id")' in text
    # Nullable: an inventory outage nulls these fields, never the product around them.
    assert "  stock: StockLevel\n" in text
    assert "  inStock: Boolean\n" in text
    assert "union _Entity = Product" in text
