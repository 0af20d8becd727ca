"""Shareable value types (no `@key`) whose subfields live in different subgraphs: `Stats` on a
root field both subgraphs share, `Size` under an entity's field. The planner picks the subgraph
that can serve every requested subfield (warehouse for `stats { views stored }`), or goes back
through the parent entity's key (`Product` → warehouse for `size { width height }`) instead of
failing with "cannot resolve Size.height from subgraph catalog"; it stays in catalog when
catalog has everything."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

SIZES = {"p1": {"width": 10, "height": 20}, "p2": {"width": 3, "height": 4}}

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "catalog",
            resolvers={
                "Query": {
                    "products": lambda _p, _i: [
                        {"id": "p1", "name": "Table", "size": {"width": 10}},
                        {"id": "p2", "name": "Pen", "size": {"width": 3}},
                    ],
                    "stats": lambda _p, _i: {"views": 7},
                }
            },
        ),
        SubgraphSpec(
            "warehouse",
            resolvers={"Query": {"stats": lambda _p, _i: {"views": 7, "stored": 2}}},
            entities={"Product": lambda rep, _i: {"size": SIZES[rep["id"]]}},
        ),
    ],
    operations=[
        Operation(
            name="shared_root_field_whole_selection",
            query="{ stats { views stored } }",
            data={"stats": {"views": 7, "stored": 2}},
            requests={"warehouse": 1},
        ),
        Operation(
            name="shared_root_field_one_subgraph_enough",
            query="{ stats { views } }",
            data={"stats": {"views": 7}},
            requests={"catalog": 1},
        ),
        Operation(
            name="under_an_entity_through_its_key",
            query="{ products { name size { width height } } }",
            data={
                "products": [
                    {"name": "Table", "size": {"width": 10, "height": 20}},
                    {"name": "Pen", "size": {"width": 3, "height": 4}},
                ]
            },
            requests={"catalog": 1, "warehouse": 1},
        ),
        Operation(
            name="under_an_entity_served_in_place",
            query="{ products { size { width } } }",
            data={"products": [{"size": {"width": 10}}, {"size": {"width": 3}}]},
            requests={"catalog": 1},
        ),
    ],
)
