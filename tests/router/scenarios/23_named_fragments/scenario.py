"""Named fragments, nested spreads and fragments reused at several places, across three
subgraphs (products → reviews → users)."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 120}, {"id": "p2", "name": "Chair", "price": 40}]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid", "author": {"id": "u1"}}],
    "p2": [
        {"id": "r2", "body": "Comfy", "author": {"id": "u2"}},
        {"id": "r3", "body": "Squeaks", "author": {"id": "u1"}},
    ],
}
USERS = [{"id": "u1", "username": "ada"}, {"id": "u2", "username": "alan"}]


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"topProducts": top}}),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": lambda product, _i: REVIEWS[product["id"]]}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
        SubgraphSpec("users", entities={"User": entity_by_key(USERS, "id")}),
    ],
    operations=[
        Operation(
            name="nested_fragments",
            operation_name="Top",
            query="""
              query Top { topProducts { ...ProductCard } }
              fragment ProductCard on Product { id name reviews { ...ReviewLine } }
              fragment ReviewLine on Review { body author { ...UserChip } }
              fragment UserChip on User { username }
            """,
            data={
                "topProducts": [
                    {
                        "id": "p1",
                        "name": "Table",
                        "reviews": [{"body": "Solid", "author": {"username": "ada"}}],
                    },
                    {
                        "id": "p2",
                        "name": "Chair",
                        "reviews": [
                            {"body": "Comfy", "author": {"username": "alan"}},
                            {"body": "Squeaks", "author": {"username": "ada"}},
                        ],
                    },
                ]
            },
            requests={"products": 1, "reviews": 1, "users": 1},
        ),
        Operation(
            name="fragment_reused_under_aliases",
            query="""
              { a: topProducts(first: 1) { ...P } b: topProducts(first: 2) { ...P price } }
              fragment P on Product { name }
            """,
            data={
                "a": [{"name": "Table"}],
                "b": [{"name": "Table", "price": 120}, {"name": "Chair", "price": 40}],
            },
            requests={"products": 1},
        ),
        Operation(
            name="fragment_and_field_merge",
            query="""
              { topProducts(first: 1) { reviews { id } ...R reviews { author { id } } } }
              fragment R on Product { reviews { body } }
            """,
            data={
                "topProducts": [
                    {"reviews": [{"id": "r1", "body": "Solid", "author": {"id": "u1"}}]}
                ]
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="inline_fragment_without_type",
            query="{ topProducts(first: 1) { ... { name ... on Product { price } } } }",
            data={"topProducts": [{"name": "Table", "price": 120}]},
            requests={"products": 1},
        ),
    ],
)
