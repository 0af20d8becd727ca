"""Mutation root fields run one after another in document order, even across subgraphs
(GraphQL spec, "Mutation": serial execution). carts answers slowly, so a router that ran
them in parallel would let inventory start before carts finished."""

import itertools
from typing import Any

from tests.support.subgraph_server import RecordedRequest, Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [{"sku": "TBL", "name": "Table"}, {"sku": "CHR", "name": "Chair"}]


def add_to_cart(_parent: Any, _info: Any, sku: str, qty: int) -> dict[str, Any]:
    return {"sku": sku, "qty": qty, "product": {"sku": sku}}


def reserve(_parent: Any, _info: Any, sku: str, qty: int) -> dict[str, Any]:
    return {"id": f"res-{sku}-{qty}", "sku": sku, "qty": qty}


def mutations(recorder: Recorder) -> list[RecordedRequest]:
    return [r for r in recorder.requests if r.operation_type == "mutation"]


def strictly_serial(requests: list[RecordedRequest]) -> None:
    for before, after in itertools.pairwise(requests):
        assert before.finished < after.started, f"{before.subgraph} overlapped {after.subgraph}"


def interleaved_in_order(recorder: Recorder) -> None:
    sent = mutations(recorder)
    assert [(r.subgraph, r.root_fields) for r in sent] == [
        ("carts", ["addToCart"]),
        ("inventory", ["reserve"]),
        ("carts", ["addToCart"]),
    ]
    strictly_serial(sent)
    (lookup,) = recorder.of("products")
    assert lookup.started > sent[-1].finished


def same_subgraph_first(recorder: Recorder) -> None:
    sent = mutations(recorder)
    assert [r.subgraph for r in sent][-1] == "inventory"
    assert {r.subgraph for r in sent[:-1]} == {"carts"}
    assert [f for r in sent[:-1] for f in r.root_fields] == ["addToCart", "addToCart"]
    strictly_serial(sent)


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "carts",
            resolvers={
                "Query": {"cart": lambda _p, _i: []},
                "Mutation": {"addToCart": add_to_cart},
            },
            delay=0.05,
        ),
        SubgraphSpec("inventory", resolvers={"Mutation": {"reserve": reserve}}),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "sku")}),
    ],
    operations=[
        Operation(
            name="interleaved_subgraphs",
            query="""mutation {
              first: addToCart(sku: "TBL", qty: 2) { sku qty }
              hold: reserve(sku: "TBL", qty: 2) { id qty }
              second: addToCart(sku: "CHR") { sku qty product { name } }
            }""",
            data={
                "first": {"sku": "TBL", "qty": 2},
                "hold": {"id": "res-TBL-2", "qty": 2},
                "second": {"sku": "CHR", "qty": 1, "product": {"name": "Chair"}},
            },
            requests={"carts": 2, "inventory": 1, "products": 1},
            check=interleaved_in_order,
        ),
        Operation(
            name="consecutive_same_subgraph",
            query="""mutation {
              a: addToCart(sku: "A") { sku }
              b: addToCart(sku: "B") { sku }
              c: reserve(sku: "A", qty: 1) { id }
            }""",
            data={"a": {"sku": "A"}, "b": {"sku": "B"}, "c": {"id": "res-A-1"}},
            check=same_subgraph_first,
            requests={"carts": 1, "inventory": 1},
        ),
    ],
)
