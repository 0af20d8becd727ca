"""``schema/auth.graphql`` is the subgraph's printed SDL, committed for composition."""

from __future__ import annotations

from pathlib import Path

from subgraphs.auth.schema import sdl
from tests.support.auth_service import GraphQLClient

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "auth.graphql"
REGENERATE = "python -m subgraphs.auth.schema > schema/auth.graphql"


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"schema/auth.graphql is stale; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: GraphQLClient) -> None:
    body = await gql("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_sdl_declares_the_user_entity() -> None:
    text = sdl()
    assert "https://specs.apollo.dev/federation/v2." in text
    assert 'type User @key(fields: "id")' in text
