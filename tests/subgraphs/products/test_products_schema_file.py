"""``schema/products.graphql`` is the subgraph's printed SDL, committed for composition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subgraphs.products.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "products.graphql"
REGENERATE = "python -m subgraphs.products.schema > schema/products.graphql"


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"schema/products.graphql is stale; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: Any) -> None:
    """What the router's composition would fetch over `_service` is the committed text."""
    body = await gql("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_sdl_declares_federation_2_entities() -> None:
    text = sdl()
    assert "schema @link" in text
    assert "https://specs.apollo.dev/federation/v2." in text
    assert 'type Product @key(fields: "id")' in text
    assert 'type Category @key(fields: "id")' in text
    assert "scalar Money" in text
