"""Health, readiness, and the token check in front of GraphQL."""

from __future__ import annotations

import httpx


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.json() == {"status": "ok", "service": "payments"}
    ready = await client.get("/ready")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


async def test_graphql_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
