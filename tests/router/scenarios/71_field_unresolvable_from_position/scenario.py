"""A field no subgraph can resolve from where it is selected fails at planning, before any
fetch: `Media.note` lives only in notes, an `@interfaceObject` whose key is
`resolvable: false` and which has no root field returning `Media`, so from shelf's `media`
nothing can reach it. The answer is `data: null` with one `QUERY_PLANNING_FAILED` error naming
the field — never the selection silently dropped and a non-null error downstream. The
supergraph is composed without the satisfiability check (`compose.json`): the router may be
given one that a stricter composer would refuse."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario

MEDIA = [{"__typename": "Book", "id": "b1", "title": "Dune"}]

MESSAGE = "cannot resolve Book.note: no subgraph reaches it from subgraph shelf at media"

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("shelf", resolvers={"Query": {"media": lambda _p, _i: MEDIA}}),
        SubgraphSpec("notes", resolvers={"Query": {"noteCount": lambda _p, _i: 3}}),
    ],
    operations=[
        Operation(
            name="reachable_fields",
            query="{ media { id title } noteCount }",
            data={"media": [{"id": "b1", "title": "Dune"}], "noteCount": 3},
            requests={"shelf": 1, "notes": 1},
        ),
        Operation(
            name="unreachable_field",
            query="{ media { id note } }",
            data=None,
            errors=[Err("QUERY_PLANNING_FAILED", MESSAGE, None)],
            status=500,
            requests={},
            plan=False,
        ),
        Operation(
            name="unreachable_field_in_fragment",
            query="{ noteCount media { ... on Book { title note } } }",
            data=None,
            errors=[Err("QUERY_PLANNING_FAILED", MESSAGE, None)],
            status=500,
            requests={},
            plan=False,
        ),
    ],
)
