"""Product has two keys in products (`id`, `sku`); search knows it only by `id`, legacy only
by `sku`. Reaching legacy from search needs a hop through products, which converts the key."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Direct, Operation, Scenario

PRODUCTS = [
    {"id": "1", "sku": "TBL-1", "name": "Table"},
    {"id": "2", "sku": "CHR-2", "name": "Chair"},
    {"id": "3", "sku": "STL-3", "name": "Stool"},
]
LEGACY = {"TBL-1": "L-0001", "CHR-2": "L-0002", "STL-3": "L-0003"}


def search(_parent: Any, _info: Any, term: str) -> list[dict[str, Any]]:
    return [{"id": p["id"]} for p in PRODUCTS if term.lower() in p["name"].lower()]


def product_entity(rep: dict[str, Any], _info: Any) -> dict[str, Any] | None:
    for product in PRODUCTS:
        if ("id" in rep and product["id"] == rep["id"]) or (
            "sku" in rep and product["sku"] == rep["sku"]
        ):
            return dict(product)
    return None


def legacy_by_sku(recorder: Recorder) -> None:
    (products,) = recorder.of("products")
    assert products.representations == [
        {"__typename": "Product", "id": "1"},
        {"__typename": "Product", "id": "2"},
    ]
    (legacy,) = recorder.of("legacy")
    assert legacy.representations == [
        {"__typename": "Product", "sku": "TBL-1"},
        {"__typename": "Product", "sku": "CHR-2"},
    ]
    assert products.finished < legacy.started


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("search", resolvers={"Query": {"search": search}}),
        SubgraphSpec("products", entities={"Product": product_entity}),
        SubgraphSpec(
            "legacy",
            entities={"Product": lambda rep, _i: {"legacyCode": LEGACY[rep["sku"]]}},
        ),
    ],
    operations=[
        Operation(
            name="name_by_id",
            query='{ search(term: "a") { id name } }',
            data={"search": [{"id": "1", "name": "Table"}, {"id": "2", "name": "Chair"}]},
            requests={"search": 1, "products": 1},
        ),
        Operation(
            name="legacy_through_sku",
            query='{ search(term: "a") { id name sku legacyCode } }',
            data={
                "search": [
                    {"id": "1", "name": "Table", "sku": "TBL-1", "legacyCode": "L-0001"},
                    {"id": "2", "name": "Chair", "sku": "CHR-2", "legacyCode": "L-0002"},
                ]
            },
            requests={"search": 1, "products": 1, "legacy": 1},
            check=legacy_by_sku,
        ),
        Operation(
            name="legacy_only",
            query='{ search(term: "stool") { legacyCode } }',
            data={"search": [{"legacyCode": "L-0003"}]},
            requests={"search": 1, "products": 1, "legacy": 1},
        ),
    ],
    direct=[
        Direct(
            "products",
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku } } }",
            variables={"r": [{"__typename": "Product", "sku": "STL-3"}]},
            data={"_entities": [{"id": "3", "sku": "STL-3"}]},
        )
    ],
)
