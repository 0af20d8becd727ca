"""A union defined in search whose members are entities completed by products and users."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

RESULTS = [
    {"__typename": "Product", "id": "p1"},
    {"__typename": "User", "id": "u1"},
    {"__typename": "Product", "id": "p2"},
]
PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]
USERS = [{"id": "u1", "username": "ada"}]


def search(_parent: Any, _info: Any, term: str) -> list[dict[str, Any]]:
    return RESULTS if term else []


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("search", resolvers={"Query": {"search": search}}),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
        SubgraphSpec("users", entities={"User": entity_by_key(USERS, "id")}),
    ],
    operations=[
        Operation(
            name="typename_only",
            query='{ search(term: "x") { __typename } }',
            data={
                "search": [
                    {"__typename": "Product"},
                    {"__typename": "User"},
                    {"__typename": "Product"},
                ]
            },
            requests={"search": 1},
        ),
        Operation(
            name="both_members",
            query="""{
              search(term: "x") {
                __typename
                ... on Product { name }
                ... on User { username }
              }
            }""",
            data={
                "search": [
                    {"__typename": "Product", "name": "Table"},
                    {"__typename": "User", "username": "ada"},
                    {"__typename": "Product", "name": "Chair"},
                ]
            },
            requests={"search": 1, "products": 1, "users": 1},
        ),
        Operation(
            name="one_member",
            query='{ search(term: "x") { ... on User { id username } } }',
            data={"search": [{}, {"id": "u1", "username": "ada"}, {}]},
            requests={"search": 1, "users": 1},
        ),
    ],
)
