"""Objects of an `@inaccessible` type never reach the client: catalog's `search` returns a
`Secret` among the books and `node` may return one. The client's schema has no `Secret`, so
such an object is null where it stands (per the API schema's nullability), `__typename`
included — never `{"__typename": "Secret"}`."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

ITEMS = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Secret", "id": "s1", "code": "XYZZY"},
]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "catalog",
            resolvers={
                "Query": {
                    "search": lambda _p, _i: ITEMS,
                    "node": lambda _p, _i, id: next(i for i in ITEMS if i["id"] == id),
                }
            },
        ),
        SubgraphSpec("reviews", entities={"Book": lambda rep, _i: {"stars": 4}}),
    ],
    operations=[
        Operation(
            name="typename_in_a_union_list",
            query="{ search { __typename ... on Book { title } } }",
            data={"search": [{"__typename": "Book", "title": "Dune"}, None]},
            requests={"catalog": 1},
        ),
        Operation(
            name="interface_field",
            query='{ node(id: "s1") { __typename id } }',
            data={"node": None},
            requests={"catalog": 1},
        ),
        Operation(
            name="visible_object_still_joined",
            query='{ node(id: "b1") { __typename id ... on Book { stars } } }',
            data={"node": {"__typename": "Book", "id": "b1", "stars": 4}},
            requests={"catalog": 1, "reviews": 1},
        ),
    ],
)
