"""`@requires` on a field of the subgraph the planner is already in: shipping's own root
fields return objects whose `shippingCost`/`cost` require `weight`, which only products has.
The planner must not select the field inline (shipping would compute it without `weight`):
it fetches `weight` from products first, then the field through `_entities` on shipping with
`weight` in the representation. Also through an interface (only one implementation requires)
and inside fragments."""

from typing import Any

from tests.support.subgraph_server import Info, Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "weight": 20},
    {"id": "p2", "name": "Chair", "weight": 5},
]
BOXES = [{"id": "b1", "weight": 3}]


def shipping_cost(product: dict[str, Any], _info: Info) -> int:
    # KeyError (a subgraph error) when the router did not send `weight`.
    return int(product["weight"]) * 3


def box_cost(box: dict[str, Any], _info: Info) -> int:
    return int(box["weight"]) * 2


def weight_sent_to_shipping(recorder: Recorder) -> None:
    root, entities = recorder.of("shipping")
    assert not root.is_entities
    assert entities.is_entities
    assert all("weight" in rep for rep in entities.representations), entities.representations
    (products,) = recorder.of("products")
    assert products.finished < entities.started


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            entities={
                "Product": entity_by_key(PRODUCTS, "id"),
                "Box": entity_by_key(BOXES, "id"),
            },
        ),
        SubgraphSpec(
            "shipping",
            resolvers={
                "Query": {
                    "pending": lambda _p, _i: [
                        {"id": "i1", "product": {"id": "p1"}},
                        {"id": "i2", "product": {"id": "p2"}},
                    ],
                    "parcels": lambda _p, _i: [
                        {"__typename": "Box", "id": "b1"},
                        {"__typename": "Envelope", "id": "e1", "cost": 1},
                    ],
                },
                "Product": {"shippingCost": shipping_cost},
                "Box": {"cost": box_cost},
            },
            entities={
                "Product": lambda rep, _i: {"id": rep["id"]},
                "Box": lambda rep, _i: {"id": rep["id"]},
            },
        ),
    ],
    operations=[
        Operation(
            name="own_root_field",
            query="{ pending { id product { name shippingCost } } }",
            data={
                "pending": [
                    {"id": "i1", "product": {"name": "Table", "shippingCost": 60}},
                    {"id": "i2", "product": {"name": "Chair", "shippingCost": 15}},
                ]
            },
            # name and weight come from products in one fetch.
            requests={"shipping": 2, "products": 1},
            check=weight_sent_to_shipping,
        ),
        Operation(
            name="through_an_interface",
            # `cost` on the interface: Envelope resolves it inline, Box requires weight.
            query="{ parcels { id cost } }",
            data={"parcels": [{"id": "b1", "cost": 6}, {"id": "e1", "cost": 1}]},
            requests={"shipping": 2, "products": 1},
            check=weight_sent_to_shipping,
        ),
        Operation(
            name="inside_fragments",
            query="""
              query { pending { product { ...Cost } } parcels { ... on Box { cost } } }
              fragment Cost on Product { shippingCost }
            """,
            data={
                "pending": [{"product": {"shippingCost": 60}}, {"product": {"shippingCost": 15}}],
                "parcels": [{"cost": 6}, {}],
            },
            # Product and Box weights in one batched products request, then one batched
            # shipping request for both costs.
            requests={"shipping": 2, "products": 1},
            check=weight_sent_to_shipping,
        ),
    ],
)
