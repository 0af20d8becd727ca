"""The added-latency measurement: our plan's fetches as a chain, replayed directly, and the table.

The pure tests check how recorded requests are placed in a plan and how the report pairs rounds;
the tiny run starts the real benchmark subgraphs and our router (Node, wrk) and checks that
``python -m bench``'s run produces the chain and the added latency per query. No timing is
asserted: only that there are numbers and they come from the plan's requests.
"""

from __future__ import annotations

import json
import shutil

import pytest

from bench import chain, load, table
from bench.routers import BENCH, OURS
from bench.run import Options, run
from router.planning import nodes

ROOT = "query A__products__0 { topProducts { upc __typename } }"
INVENTORY = "query($representations:[_Any!]!){_entities(representations:$representations){a}}"
REVIEWS = "query($representations:[_Any!]!){_entities(representations:$representations){b}}"


def body(query: str, representations: int = 0) -> str:
    variables = {"representations": [{"upc": str(i)} for i in range(representations)]}
    return json.dumps({"query": query, "variables": variables})


def plan() -> nodes.PlanNode:
    """products first, then inventory and reviews at the same time (list100's shape)."""
    return nodes.SequenceNode(
        (
            nodes.FetchNode("products", ROOT, "query"),
            nodes.ParallelNode(
                (
                    nodes.FlattenNode(
                        ("topProducts", "@"), nodes.FetchNode("inventory", INVENTORY, "query")
                    ),
                    nodes.FlattenNode(
                        ("topProducts", "@"), nodes.FetchNode("reviews", REVIEWS, "query")
                    ),
                )
            ),
        )
    )


def test_recorded_requests_take_the_plans_order_and_parallelism() -> None:
    # Recorded in arrival order, which need not be the plan's.
    recorded = [
        ("/reviews", body(REVIEWS, 2)),
        ("/products", body(ROOT)),
        ("/inventory", body(INVENTORY, 2)),
    ]
    found = chain.from_plan(plan(), recorded)
    assert found == chain.ChainSteps(
        False,
        (
            chain.ChainFetch("/products", body(ROOT)),
            chain.ChainSteps(
                True,
                (
                    chain.ChainFetch("/inventory", body(INVENTORY, 2)),
                    chain.ChainFetch("/reviews", body(REVIEWS, 2)),
                ),
            ),
        ),
    )
    assert chain.fetch_count(found) == 3
    assert chain.stages(found) == 2
    assert chain.from_json(json.loads(json.dumps(chain.to_json(found)))) == found


def test_requests_the_plan_does_not_explain_or_a_silent_fetch_are_refused() -> None:
    extra = [
        ("/products", body(ROOT)),
        ("/inventory", body(INVENTORY)),
        ("/reviews", body(REVIEWS)),
    ]
    with pytest.raises(chain.ChainError, match="does not explain"):
        chain.from_plan(plan(), [*extra, ("/accounts", body("{ me { id } }"))])
    with pytest.raises(chain.ChainError, match="reviews sent nothing"):
        chain.from_plan(plan(), extra[:2])


def test_added_latency_pairs_ours_and_the_chain_round_by_round() -> None:
    def cell(router: str, round_number: int, p50: float, connections: int = 1) -> table.Cell:
        return table.Cell(
            router,
            router,
            "heavy",
            connections,
            100,
            1.0,
            0,
            p50,
            p50,
            p50,
            0.1,
            1,
            0.0,
            7,
            round_number,
        )

    cells = [
        cell("polyshop", 1, 3.0),
        cell(table.CHAIN_KEY, 1, 0.5),
        cell("polyshop", 2, 1.2),
        cell(table.CHAIN_KEY, 2, 0.6),
        cell("polyshop", 3, 1.4),
        cell(table.CHAIN_KEY, 3, 0.2),
        cell("polyshop", 1, 99.0, connections=50),
    ]
    (found,) = table.added_latency(cells, "polyshop")
    assert found.added_ms == pytest.approx(1.2)  # median of 2.5, 0.6, 1.2
    assert (found.ours_p50_ms, found.chain_p50_ms, found.fetches, found.rounds) == (1.4, 0.5, 7, 3)
    assert not found.ok
    assert "FAIL" in table.added_latency_table([found])
    # The chain never counts as the fastest router in the headroom check.
    assert table.headroom(cells) == []


@pytest.mark.skipif(
    shutil.which("node") is None or not (BENCH / "node_modules").exists(),
    reason="needs Node.js and `npm ci` in bench/ (make test runs it where npm exists)",
)
@pytest.mark.skipif(load.wrk_binary() is None, reason="needs wrk (python -m bench installs it)")
async def test_a_tiny_bench_run_prints_added_latency_per_query() -> None:
    options = Options(
        seconds=1.0,
        warmup=0.5,
        connections=(1,),
        routers=(OURS,),
        queries=("small", "heavy", "list100"),
        subgraphs_direct=False,
        profile_seconds=0.0,
        subgraph_workers=1,
    )
    saved = await run(options)
    result = json.loads(saved.read_text())
    added = {item["query"]: item for item in result["added_latency"]}
    assert set(added) == {"small", "heavy", "list100"}
    # The plan's own fetch counts: our router's recorded requests, in the plan's steps.
    assert {q: a["fetches"] for q, a in added.items()} == result["fetches_per_request"][OURS.label]
    for item in added.values():
        assert item["chain_p50_ms"] > 0
        assert item["ours_p50_ms"] > 0
        assert item["added_ms"] == pytest.approx(item["ours_p50_ms"] - item["chain_p50_ms"])
    chains = [c for c in result["cells"] if c["router"] == table.CHAIN_KEY]
    assert len(chains) == 3
    assert all(c["requests"] > 0 and c["errors"] == 0 for c in chains)
    heavy = chain.from_json(json.loads((saved.with_suffix("") / "heavy.chain.json").read_text()))
    # Steps in sequence and fetches side by side, as the plan has them.
    assert 1 < chain.stages(heavy) < chain.fetch_count(heavy) == added["heavy"]["fetches"]
