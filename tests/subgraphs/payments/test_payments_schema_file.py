"""``schema/payments.graphql`` is the subgraph's printed SDL, committed for composition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.composition import SubgraphSource, compose
from router.supergraph import read_supergraph
from subgraphs.payments.schema import sdl
from tests.support.keys import TestKeys

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "payments.graphql"
REGENERATE = "python -m subgraphs.payments.schema > schema/payments.graphql"


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"schema/payments.graphql is stale; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: Any, keys: TestKeys) -> None:
    body = await gql("{ _service { sdl } }", keys.token("router", service=True))
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_sdl_declares_federation_2_entities() -> None:
    text = sdl()
    assert 'schema @link(url: "https://specs.apollo.dev/federation/v2.9"' in text
    assert 'type Payment @authenticated @key(fields: "id")' in text
    assert 'type Order @key(fields: "id")' in text
    assert (
        "payOrder(orderId: ID!, card: CardInput!, idempotencyKey: String!): Payment! @authenticated"
        in text
    )
    assert "scalar Money" in text


def test_sdl_composes_with_the_other_subgraphs() -> None:
    """The router refuses anonymous callers of payments at the edge (``@authenticated``)."""
    sources = [
        SubgraphSource(name=name, url=f"http://127.0.0.1/{name}", sdl=path.read_text())
        for name in ("auth", "products")
        if (path := SCHEMA_FILE.parent / f"{name}.graphql").exists()
    ]
    sources.append(SubgraphSource(name="payments", url="http://127.0.0.1/payments", sdl=sdl()))
    result = compose(sources)
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    supergraph = read_supergraph(result.supergraph_sdl)
    assert supergraph.types["Payment"].auth.authenticated
