"""Entities whose key cannot be built are skipped: a knows books by `upc`, c by `id`, and only
b converts one into the other — but b does not know book b3 (null entity). The router must not
send c a representation without `id` (a real subgraph fails on it); b3's author is null.

Same case as the Hive federation-gateway-audit suite `null-keys`
(the-guild-org/graphql-federation-gateway-audit, src/test-suites/null-keys/test.ts), whose
expected data this follows; whether an error accompanies the skipped entity is not compared."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import ANY, Operation, Scenario

BOOKS = [
    {"id": "1", "upc": "b1", "author": {"id": "a1", "name": "Alice"}},
    {"id": "2", "upc": "b2", "author": {"id": "a2", "name": "Bob"}},
    {"id": "3", "upc": "b3", "author": {"id": "a3", "name": "Jack"}},
]


def b_book(rep: dict[str, Any], _info: Any) -> dict[str, Any] | None:
    for book in BOOKS:
        if book["id"] == rep.get("id") or book["upc"] == rep.get("upc"):
            # b has no record of book 3: its entity resolves to null
            return None if book["id"] == "3" else {"id": book["id"], "upc": book["upc"]}
    return None


def c_book(rep: dict[str, Any], _info: Any) -> dict[str, Any] | None:
    book = next((b for b in BOOKS if b["id"] == rep["id"]), None)
    return None if book is None else {"id": book["id"], "author": book["author"]}


def c_gets_complete_keys_only(recorder: Recorder) -> None:
    (fetch,) = recorder.of("c")
    assert [rep.get("id") for rep in fetch.representations] == ["1", "2"]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "a",
            resolvers={
                "Query": {
                    "bookContainers": lambda _p, _i: [{"book": {"upc": b["upc"]}} for b in BOOKS]
                }
            },
        ),
        SubgraphSpec("b", entities={"Book": b_book}),
        SubgraphSpec("c", entities={"Book": c_book}),
    ],
    operations=[
        Operation(
            name="author_through_key_conversion",
            query="{ bookContainers { book { upc author { name } } } }",
            data={
                "bookContainers": [
                    {"book": {"upc": "b1", "author": {"name": "Alice"}}},
                    {"book": {"upc": "b2", "author": {"name": "Bob"}}},
                    {"book": {"upc": "b3", "author": None}},
                ]
            },
            errors=ANY,
            requests={"a": 1, "b": 1, "c": 1},
            check=c_gets_complete_keys_only,
        ),
    ],
)
