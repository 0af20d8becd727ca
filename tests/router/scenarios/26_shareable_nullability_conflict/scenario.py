"""A shareable field whose nullability differs between subgraphs: the supergraph has
`Book.size: Int` (nullable, as books declares it) while catalog declares `Int!`. The client may
ask `... on Book { size } ... on Movie { size }` (both `Int` in the supergraph), but sent as is
to catalog that selection is invalid (`Int!` vs `Int` under one response key), so the router
must alias one of them internally and undo the alias in the response.

Same case as the Hive federation-gateway-audit suite `child-type-mismatch`
(the-guild-org/graphql-federation-gateway-audit, src/test-suites/child-type-mismatch/test.ts,
operations `NestedInternalAlias`)."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

ITEMS = [
    {"__typename": "Book", "id": "b1", "size": 300},
    {"__typename": "Movie", "id": "m1", "size": 120},
    {"__typename": "Movie", "id": "m2", "size": None},
]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("catalog", resolvers={"Query": {"items": lambda _p, _i: ITEMS}}),
        SubgraphSpec("books", entities={"Book": lambda rep, _i: {"size": 300, "pages": 412}}),
    ],
    operations=[
        Operation(
            name="conflicting_nullability",
            query="{ items { id ... on Book { size } ... on Movie { size } } }",
            data={
                "items": [
                    {"id": "b1", "size": 300},
                    {"id": "m1", "size": 120},
                    {"id": "m2", "size": None},
                ]
            },
            requests={"catalog": 1},
        ),
        Operation(
            name="conflict_plus_entity_field",
            query="{ items { ... on Book { size pages } ... on Movie { size } } }",
            data={
                "items": [
                    {"size": 300, "pages": 412},
                    {"size": 120},
                    {"size": None},
                ]
            },
            requests={"catalog": 1, "books": 1},
        ),
    ],
)
