"""Health, readiness and a first round trip through GraphQL."""

from __future__ import annotations

from typing import Any

import httpx


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "products"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_create_and_read_product(gql: Any) -> None:
    category = await gql('mutation { createCategory(input: {name: "Smoke"}) { id name version } }')
    assert "errors" not in category, category
    category_id = category["data"]["createCategory"]["id"]
    created = await gql(
        """mutation($c: ID!) {
          createProduct(input: {name: "Kettle", price: "19.99", categoryId: $c}) {
            id name price currency version isDeleted category { id name }
          }
        }""",
        c=category_id,
    )
    assert "errors" not in created, created
    product = created["data"]["createProduct"]
    assert product["price"] == "19.99"
    assert product["currency"] == "USD"
    assert product["version"] == 1
    assert product["category"] == {"id": category_id, "name": "Smoke"}
