"""Back to the origin: products → reviews → products again (`alsoLiked` points at another
product whose name only products knows). The second products call is an entity fetch merged
two levels down."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table"},
    {"id": "p2", "name": "Chair"},
    {"id": "p3", "name": "Lamp"},
]
REVIEWS = {
    "p1": [
        {"body": "Solid", "alsoLiked": {"id": "p2"}},
        {"body": "Heavy", "alsoLiked": {"id": "p3"}},
    ],
    "p2": [{"body": "Comfy", "alsoLiked": {"id": "p1"}}],
}


def second_products_call(recorder: Recorder) -> None:
    root, entities = recorder.of("products")
    assert not root.is_entities
    assert entities.is_entities
    assert sorted(rep["id"] for rep in entities.representations) == ["p1", "p2", "p3"]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={"Query": {"topProducts": lambda _p, _i: PRODUCTS[:2]}},
            entities={"Product": entity_by_key(PRODUCTS, "id")},
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": lambda product, _i: REVIEWS.get(product["id"], [])}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="round_trip",
            query="{ topProducts { name reviews { body alsoLiked { name } } } }",
            data={
                "topProducts": [
                    {
                        "name": "Table",
                        "reviews": [
                            {"body": "Solid", "alsoLiked": {"name": "Chair"}},
                            {"body": "Heavy", "alsoLiked": {"name": "Lamp"}},
                        ],
                    },
                    {
                        "name": "Chair",
                        "reviews": [{"body": "Comfy", "alsoLiked": {"name": "Table"}}],
                    },
                ]
            },
            requests={"products": 2, "reviews": 1},
            check=second_products_call,
        ),
        Operation(
            name="key_only_no_return",
            query="{ topProducts { reviews { alsoLiked { id } } } }",
            data={
                "topProducts": [
                    {"reviews": [{"alsoLiked": {"id": "p2"}}, {"alsoLiked": {"id": "p3"}}]},
                    {"reviews": [{"alsoLiked": {"id": "p1"}}]},
                ]
            },
            requests={"products": 1, "reviews": 1},
        ),
    ],
)
