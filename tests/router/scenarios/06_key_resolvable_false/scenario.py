"""reviews references Product with `@key(resolvable: false)`: it can hand out product ids but
never resolves Product entities, so the router never sends `_entities` to reviews."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

REVIEWS = [
    {"id": "r1", "body": "Great", "product": {"id": "p2"}},
    {"id": "r2", "body": "Meh", "product": {"id": "p1"}},
]
PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]


def reviews_only_queried_at_root(recorder: Recorder) -> None:
    assert all(not r.is_entities for r in recorder.of("reviews"))


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("reviews", resolvers={"Query": {"latestReviews": lambda _p, _i: REVIEWS}}),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
    ],
    operations=[
        Operation(
            name="ids_without_jump",
            query="{ latestReviews { body product { id } } }",
            data={
                "latestReviews": [
                    {"body": "Great", "product": {"id": "p2"}},
                    {"body": "Meh", "product": {"id": "p1"}},
                ]
            },
            requests={"reviews": 1},
        ),
        Operation(
            name="names_from_products",
            query="{ latestReviews { body product { id name } } }",
            data={
                "latestReviews": [
                    {"body": "Great", "product": {"id": "p2", "name": "Chair"}},
                    {"body": "Meh", "product": {"id": "p1", "name": "Table"}},
                ]
            },
            requests={"reviews": 1, "products": 1},
            check=reviews_only_queried_at_root,
        ),
    ],
)
