"""Federation: `_entities` resolves products and categories (deleted ones too) in batches
whose SQL statement count does not grow with the number of representations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Product {
      id name price isDeleted
      category { id name parent { id name } }
      images { url }
      effectivePrice
    }
    ... on Category { id name }
  }
}"""


@pytest.fixture(scope="module")
async def catalog(gql: Any) -> list[str]:
    """120 products spread over 4 sub-categories of one root."""
    root = await gql('mutation { createCategory(input: {name: "Root"}) { id } }')
    root_id = root["data"]["createCategory"]["id"]
    categories = []
    for n in range(4):
        body = await gql(
            "mutation($n: String!, $p: ID!) { createCategory(input: {name: $n, parentId: $p}) "
            "{ id } }",
            n=f"Sub {n}",
            p=root_id,
        )
        categories.append(body["data"]["createCategory"]["id"])
    ids = []
    for n in range(120):
        body = await gql(
            "mutation($n: String!, $c: ID!) { createProduct(input: "
            '{name: $n, price: "10.00", categoryId: $c}) { id } }',
            n=f"Entity {n:03}",
            c=categories[n % 4],
        )
        ids.append(body["data"]["createProduct"]["id"])
    return ids


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def count_statements(products_app: FastAPI) -> Iterator[StatementCounter]:
    with StatementCounter(products_app.state.engine) as counter:
        yield counter


async def test_entities_resolve_in_order_with_unknowns_as_null(
    gql: Any, catalog: list[str]
) -> None:
    representations = [
        {"__typename": "Product", "id": catalog[5]},
        {"__typename": "Product", "id": "99999999"},
        {"__typename": "Category", "id": "1"},
        {"__typename": "Product", "id": catalog[0]},
        {"__typename": "Product", "id": "garbage"},
    ]
    body = await gql(ENTITIES, representations=representations)
    assert "errors" not in body, body
    entities = body["data"]["_entities"]
    assert entities[0]["name"] == "Entity 005"
    assert entities[0]["category"]["parent"]["name"] == "Root"
    assert entities[1] is None
    assert entities[2]["__typename"] == "Category"
    assert entities[3]["name"] == "Entity 000"
    assert entities[4] is None


async def test_soft_deleted_product_still_resolves_as_entity(gql: Any, catalog: list[str]) -> None:
    target = catalog[-1]
    await gql("mutation($id: ID!) { deleteProduct(id: $id) { id } }", id=target)
    body = await gql(ENTITIES, representations=[{"__typename": "Product", "id": target}])
    entity = body["data"]["_entities"][0]
    assert entity["id"] == target
    assert entity["isDeleted"] is True
    listing = await gql('query { products(filter: {search: "Entity 119"}) { edges { cursor } } }')
    assert listing["data"]["products"]["edges"] == []


async def test_entity_batches_cost_a_constant_number_of_statements(
    gql: Any, catalog: list[str], count_statements: StatementCounter
) -> None:
    async def run(n: int) -> int:
        count_statements.statements.clear()
        reps = [{"__typename": "Product", "id": pid} for pid in catalog[:n]]
        body = await gql(ENTITIES, representations=reps)
        assert "errors" not in body, body
        assert len(body["data"]["_entities"]) == n
        assert all(e["category"]["parent"]["name"] == "Root" for e in body["data"]["_entities"])
        return len(count_statements.statements)

    ten, hundred = await run(10), await run(100)
    assert ten == hundred, count_statements.statements
    # products, categories, parent categories, images, active discounts (+ their methods
    # only when some exist): one statement each, whatever the batch size.
    assert hundred <= 6, count_statements.statements
