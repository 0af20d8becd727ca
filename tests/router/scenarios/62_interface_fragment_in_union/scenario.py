"""An interface fragment inside a union selection (`... on Node { id }` under `Result`)
expands to the union's members that implement the interface; a union has no fields of its
own, so nothing may be selected on it but `__typename` (dropping `id` was the bug). Members
that do not implement it (Song) get nothing from that fragment."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

ITEMS = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Arrival"},
]
MIXED = [*ITEMS, {"__typename": "Song", "title": "Hey Jude"}]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "media",
            resolvers={"Query": {"search": lambda _p, _i: ITEMS, "mixed": lambda _p, _i: MIXED}},
        ),
        SubgraphSpec("films", entities={"Movie": lambda rep, _i: {"rating": 5}}),
    ],
    operations=[
        Operation(
            name="every_member_implements",
            query="{ search { ... on Node { id } } }",
            data={"search": [{"id": "b1"}, {"id": "m1"}]},
            requests={"media": 1},
        ),
        Operation(
            name="some_members_implement",
            query="{ mixed { __typename ... on Node { id } ... on Song { title } } }",
            data={
                "mixed": [
                    {"__typename": "Book", "id": "b1"},
                    {"__typename": "Movie", "id": "m1"},
                    {"__typename": "Song", "title": "Hey Jude"},
                ]
            },
            requests={"media": 1},
        ),
        Operation(
            name="with_a_jump_for_one_member",
            query="{ search { ... on Node { id } ... on Movie { rating } } }",
            data={"search": [{"id": "b1"}, {"id": "m1", "rating": 5}]},
            requests={"media": 1, "films": 1},
        ),
    ],
)
