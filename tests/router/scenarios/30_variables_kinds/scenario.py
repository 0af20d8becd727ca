"""Variables of every kind: enums, input objects (nested), lists (and a single value coerced
to a list), defaults in the operation and in the schema, explicit null, variables inside
literal objects. `echo` returns what the subgraph received, as sorted JSON. A variable is
forwarded only to the subgraph whose operation uses it."""

import json
from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS: list[dict[str, Any]] = [
    {"id": "p1", "name": "Table", "price": 120, "tags": ["wood", "big"]},
    {"id": "p2", "name": "Chair", "price": 40, "tags": ["wood"]},
    {"id": "p3", "name": "Lamp", "price": 25, "tags": ["light"]},
    {"id": "p4", "name": "Sofa", "price": 300, "tags": ["big"]},
]
RATINGS = {"p1": 4.0, "p2": 3.5, "p3": 5.0, "p4": 4.5}
SORTS = {
    "NAME": lambda p: p["name"],
    "PRICE_ASC": lambda p: p["price"],
    "PRICE_DESC": lambda p: -p["price"],
}


def products(
    _parent: Any,
    _info: Any,
    limit: int,
    sort: str,
    filter: dict[str, Any] | None = None,
    ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    rows = PRODUCTS
    if ids is not None:
        rows = [p for p in rows if p["id"] in ids]
    if filter:
        if filter.get("minPrice") is not None:
            rows = [p for p in rows if p["price"] >= filter["minPrice"]]
        if filter.get("maxPrice") is not None:
            rows = [p for p in rows if p["price"] <= filter["maxPrice"]]
        if filter.get("tags"):
            rows = [p for p in rows if set(filter["tags"]) <= set(p["tags"])]
        if filter.get("range"):
            low, high = filter["range"]["from"], filter["range"]["to"]
            rows = [p for p in rows if low <= p["price"] <= high]
    return sorted(rows, key=SORTS[sort])[:limit]


def echo(_parent: Any, _info: Any, input: dict[str, Any]) -> str:
    return json.dumps(input, sort_keys=True)


# what the subgraph received: its own default for `count` added, nulls kept
ECHOED = '{"count": 1, "nested": [[1, null], [], null], "sort": "NAME", "text": "hi"}'


def no_client_variables_sent_to_reviews(recorder: Recorder) -> None:
    (fetch,) = recorder.of("reviews")
    assert "min" not in fetch.variables


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": products, "echo": echo}}),
        SubgraphSpec(
            "reviews", entities={"Product": lambda rep, _i: {"rating": RATINGS[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="enum_variable",
            query="query($sort: Sort) { products(sort: $sort) { name } }",
            variables={"sort": "PRICE_DESC"},
            data={
                "products": [
                    {"name": "Sofa"},
                    {"name": "Table"},
                    {"name": "Chair"},
                    {"name": "Lamp"},
                ]
            },
            requests={"products": 1},
        ),
        Operation(
            name="input_object_variable",
            query="query($f: ProductFilter!) { products(filter: $f) { name } }",
            variables={"f": {"minPrice": 30, "tags": ["wood"]}},
            data={"products": [{"name": "Chair"}, {"name": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="nested_input_object",
            query="query($f: ProductFilter) { products(filter: $f) { name price } }",
            variables={"f": {"range": {"from": 100, "to": 400}}},
            data={"products": [{"name": "Sofa", "price": 300}, {"name": "Table", "price": 120}]},
            requests={"products": 1},
        ),
        Operation(
            name="list_variable",
            query="query($ids: [ID!]) { products(ids: $ids, sort: PRICE_ASC) { id } }",
            variables={"ids": ["p4", "p1"]},
            data={"products": [{"id": "p1"}, {"id": "p4"}]},
            requests={"products": 1},
        ),
        Operation(
            name="single_value_coerced_to_list",
            query="query($ids: [ID!]) { products(ids: $ids) { id } }",
            variables={"ids": "p2"},
            data={"products": [{"id": "p2"}]},
            requests={"products": 1},
        ),
        Operation(
            name="operation_default",
            query="query($limit: Int = 2) { products(limit: $limit) { name } }",
            data={"products": [{"name": "Chair"}, {"name": "Lamp"}]},
            requests={"products": 1},
        ),
        Operation(
            name="enum_default",
            query="query($s: Sort = PRICE_ASC) { products(sort: $s, limit: 2) { name price } }",
            variables={},
            data={"products": [{"name": "Lamp", "price": 25}, {"name": "Chair", "price": 40}]},
            requests={"products": 1},
        ),
        Operation(
            name="explicit_null",
            query="query($f: ProductFilter) { products(filter: $f, limit: 1) { name } }",
            variables={"f": None},
            data={"products": [{"name": "Chair"}]},
            requests={"products": 1},
        ),
        Operation(
            name="variable_inside_literal_and_jump",
            query="""query($min: Int) {
              products(filter: {minPrice: $min, tags: ["big"]}) { name rating }
            }""",
            variables={"min": 200},
            data={"products": [{"name": "Sofa", "rating": 4.5}]},
            requests={"products": 1, "reviews": 1},
            check=no_client_variables_sent_to_reviews,
        ),
        Operation(
            name="nested_lists_nulls_and_input_defaults",
            query="query($in: EchoInput!) { echo(input: $in) }",
            variables={"in": {"text": "hi", "nested": [[1, None], [], None], "sort": "NAME"}},
            data={"echo": ECHOED},
            requests={"products": 1},
        ),
    ],
)
