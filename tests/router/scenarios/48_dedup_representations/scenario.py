"""Six reviews of two products: the `_entities` call carries each distinct representation
once (Apollo Router deduplicates representations) and every review gets its product."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

REVIEWS = [{"id": f"r{i}", "product": {"id": "p1" if i % 2 else "p2"}} for i in range(1, 7)]
PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]


def two_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("products")
    assert sorted(rep["id"] for rep in fetch.representations) == ["p1", "p2"]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("reviews", resolvers={"Query": {"latestReviews": lambda _p, _i: REVIEWS}}),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
    ],
    operations=[
        Operation(
            name="deduplicated",
            query="{ latestReviews { id product { name } } }",
            data={
                "latestReviews": [
                    {"id": "r1", "product": {"name": "Table"}},
                    {"id": "r2", "product": {"name": "Chair"}},
                    {"id": "r3", "product": {"name": "Table"}},
                    {"id": "r4", "product": {"name": "Chair"}},
                    {"id": "r5", "product": {"name": "Table"}},
                    {"id": "r6", "product": {"name": "Chair"}},
                ]
            },
            requests={"reviews": 1, "products": 1},
            check=two_representations,
        ),
    ],
)
