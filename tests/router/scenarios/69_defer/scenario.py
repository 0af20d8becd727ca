"""`@defer`: deferred fragments get fetches of their own, the primary part never waits for them.

Same subgraphs as scenario 01 (products owns `Product`, reviews adds `Product.reviews`). A
deferred fragment whose fields live in another subgraph is one entity fetch there; one whose
fields live in the subgraph the primary part already calls goes back to it through the key
(two requests, as Apollo Router plans it). `@defer(if: false)` is inlined (one request), nested
fragments are delivered outer first, a deferred root field is a root fetch of its own, and
an error in a deferred fetch goes into that fragment's payload with its path. Each operation
runs inline (one response, the client did not accept multipart) and incrementally.
"""

from typing import Any

from graphql import GraphQLError

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import ABSENT, Err, Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 120},
    {"id": "p2", "name": "Chair", "price": 40},
    {"id": "p3", "name": "Lamp", "price": 25},
]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid", "stars": 5}, {"id": "r2", "body": "Wobbly", "stars": 2}],
    "p2": [],
}


def top_products(_parent: object, _info: object, first: int) -> list[dict[str, object]]:
    return PRODUCTS[:first]


def product_reviews(product: dict[str, str], _info: object) -> list[dict[str, object]]:
    if product["id"] not in REVIEWS:
        raise GraphQLError("reviews unavailable", extensions={"code": "UNAVAILABLE"})
    return REVIEWS[product["id"]]


def price_refetched_by_key(recorder: Recorder) -> None:
    """The deferred `price` is a second products request: `_entities` by the key."""
    root, deferred = recorder.of("products")
    assert not root.is_entities
    assert deferred.is_entities
    assert deferred.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


def entry(data: Any, path: list[str | int], label: str | None = None, **more: Any) -> Any:
    """One ``incremental`` entry, keys in Apollo Router's order."""
    out: dict[str, Any] = {}
    if label is not None:
        out["label"] = label
    out["path"] = path
    out["data"] = data
    out.update(more)
    return out


TABLE_REVIEWS = [{"body": "Solid", "stars": 5}, {"body": "Wobbly", "stars": 2}]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={"Query": {"topProducts": top_products}},
            entities={"Product": entity_by_key(PRODUCTS, "id")},
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": product_reviews}},
            entities={"Product": lambda rep, _info: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="defer_other_subgraph",
            query=(
                '{ topProducts(first: 2) { name ... @defer(label: "reviews") '
                "{ reviews { body stars } } } }"
            ),
            data={
                "topProducts": [
                    {"name": "Table", "reviews": TABLE_REVIEWS},
                    {"name": "Chair", "reviews": []},
                ]
            },
            requests={"products": 1, "reviews": 1},
            incremental=[
                {"data": {"topProducts": [{"name": "Table"}, {"name": "Chair"}]}, "hasNext": True},
                {
                    "hasNext": False,
                    "incremental": [
                        entry({"reviews": TABLE_REVIEWS}, ["topProducts", 0], "reviews"),
                        entry({"reviews": []}, ["topProducts", 1], "reviews"),
                    ],
                },
            ],
        ),
        Operation(
            name="defer_same_subgraph",
            query="{ topProducts(first: 2) { name ... @defer { price } } }",
            data={"topProducts": [{"name": "Table", "price": 120}, {"name": "Chair", "price": 40}]},
            requests={"products": 2},
            check=price_refetched_by_key,
            incremental=[
                {"data": {"topProducts": [{"name": "Table"}, {"name": "Chair"}]}, "hasNext": True},
                {
                    "hasNext": False,
                    "incremental": [
                        entry({"price": 120}, ["topProducts", 0]),
                        entry({"price": 40}, ["topProducts", 1]),
                    ],
                },
            ],
        ),
        Operation(
            name="defer_if_false_is_inlined",
            query=(
                "query Later($later: Boolean!) { topProducts(first: 2) { name "
                "... @defer(if: $later) { price } } }"
            ),
            variables={"later": False},
            data={"topProducts": [{"name": "Table", "price": 120}, {"name": "Chair", "price": 40}]},
            requests={"products": 1},
        ),
        Operation(
            name="defer_literal_if_false_is_inlined",
            query="{ topProducts(first: 1) { name ... @defer(if: false) { price } } }",
            data={"topProducts": [{"name": "Table", "price": 120}]},
            requests={"products": 1},
        ),
        Operation(
            name="defer_if_variable_true",
            query=(
                "query Later($later: Boolean!) { topProducts(first: 1) { name "
                '... @defer(if: $later, label: "price") { price } } }'
            ),
            variables={"later": True},
            data={"topProducts": [{"name": "Table", "price": 120}]},
            requests={"products": 2},
            incremental=[
                {"data": {"topProducts": [{"name": "Table"}]}, "hasNext": True},
                {
                    "hasNext": False,
                    "incremental": [entry({"price": 120}, ["topProducts", 0], "price")],
                },
            ],
        ),
        Operation(
            name="nested_defers",
            query=(
                '{ topProducts(first: 1) { name ... @defer(label: "outer") { price '
                '... @defer(label: "inner") { reviews { stars } } } } }'
            ),
            data={
                "topProducts": [
                    {"name": "Table", "price": 120, "reviews": [{"stars": 5}, {"stars": 2}]}
                ]
            },
            requests={"products": 2, "reviews": 1},
            incremental=[
                {"data": {"topProducts": [{"name": "Table"}]}, "hasNext": True},
                {
                    "hasNext": True,
                    "incremental": [entry({"price": 120}, ["topProducts", 0], "outer")],
                },
                {
                    "hasNext": False,
                    "incremental": [
                        entry(
                            {"reviews": [{"stars": 5}, {"stars": 2}]},
                            ["topProducts", 0],
                            "inner",
                        )
                    ],
                },
            ],
        ),
        Operation(
            name="deferred_root_field",
            query=(
                '{ topProducts(first: 1) { name } ... @defer(label: "more") '
                "{ more: topProducts(first: 3) { id } } }"
            ),
            data={
                "topProducts": [{"name": "Table"}],
                "more": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}],
            },
            requests={"products": 2},
            incremental=[
                {"data": {"topProducts": [{"name": "Table"}]}, "hasNext": True},
                {
                    "hasNext": False,
                    "incremental": [
                        entry({"more": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}]}, [], "more")
                    ],
                },
            ],
        ),
        Operation(
            name="deferred_fetch_error",
            query='{ topProducts { name ... @defer(label: "reviews") { reviews { stars } } } }',
            # Inline, the null propagates to `data` (`topProducts` and its items are non-null);
            # incrementally it stops at the fragment: the primary part stays delivered.
            data=None,
            errors=[
                Err(
                    code="UNAVAILABLE",
                    message="reviews unavailable",
                    path=["topProducts", 2, "reviews"],
                )
            ],
            requests={"products": 1, "reviews": 1},
            incremental=[
                {
                    "data": {
                        "topProducts": [{"name": "Table"}, {"name": "Chair"}, {"name": "Lamp"}]
                    },
                    "hasNext": True,
                },
                {
                    "hasNext": False,
                    "incremental": [
                        entry(
                            {"reviews": [{"stars": 5}, {"stars": 2}]}, ["topProducts", 0], "reviews"
                        ),
                        entry({"reviews": []}, ["topProducts", 1], "reviews"),
                        entry(
                            None,
                            ["topProducts", 2],
                            "reviews",
                            errors=[
                                Err(
                                    code="UNAVAILABLE",
                                    message="reviews unavailable",
                                    path=["topProducts", 2, "reviews"],
                                )
                            ],
                        ),
                    ],
                },
            ],
        ),
        Operation(
            name="duplicate_labels",
            query=(
                '{ topProducts(first: 1) { ... @defer(label: "a") { name } '
                '... @defer(label: "a") { price } } }'
            ),
            data=ABSENT,
            status=400,
            errors=[
                Err(
                    code="GRAPHQL_VALIDATION_FAILED",
                    message="Defer/Stream directive label argument must be unique.",
                )
            ],
            requests={},
            plan=False,
        ),
        Operation(
            name="label_not_static",
            query=(
                "query Labelled($label: String) { topProducts(first: 1) { "
                "... @defer(label: $label) { name } } }"
            ),
            data=ABSENT,
            status=400,
            errors=[
                Err(
                    code="GRAPHQL_VALIDATION_FAILED",
                    message="Defer directive label argument must be a static string.",
                )
            ],
            requests={},
            plan=False,
        ),
    ],
)
