"""Amplification shapes through the running router with its production defaults, each next to a
bystander that must be served: refused or answered within a budget of work, counted by the
engine's `WorkStats` (selections visited), never timed.

Also the caps around execution: the response-size limit, the per-subgraph concurrency cap and
the planning timeout.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import orjson
import pytest

from router.engine import Engine
from router.http.runtime import engine_config
from router.supergraph import Supergraph
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

pytestmark = pytest.mark.slow  # attacks measured against running routers

BYSTANDER = "{ topProducts { name } }"
BYSTANDER_DATA = {"topProducts": [{"name": "Table"}, {"name": "Chair"}, {"name": "Lamp"}]}
WORK_BUDGET = 2_000
"""Most selections any shape below may cost (the fan-outs are 2^18 and 2^40 as trees)."""


def fan_out(count: int, extra: str = "") -> str:
    """The report's query: ``count`` fragments, each spreading the next one twice."""
    fragments = [f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count)]
    fragments.append(f"fragment F{count} on Product {{ id name }}")
    return "{ " + extra + " topProducts { ...F0 } } " + " ".join(fragments)


def nested_inline_fragments(levels: int) -> str:
    return "{ " + "... on Query { " * levels + "topProducts { id }" + " }" * levels + " }"


SHAPES: list[tuple[str, str, str | None]] = [
    ("fragment fan-out x18", fan_out(18), None),
    ("fragment fan-out x40", fan_out(40), None),
    (
        "alias fan-out, 500 aliases of a list field",
        "{ topProducts { " + " ".join(f"a{i}: reviews {{ id body }}" for i in range(500)) + " } }",
        "MAX_ALIASES_LIMIT",
    ),
    (
        "many root fields",
        "{ " + " ".join(f'p{i}: product(id: "p1") {{ id }}' for i in range(25)) + " }",
        "MAX_ROOT_FIELDS_LIMIT",
    ),
    ("nested inline fragments x150", nested_inline_fragments(150), None),
    ("nesting past the parser's limit", nested_inline_fragments(300), "GRAPHQL_PARSE_FAILED"),
    ("huge token count", "{ topProducts { " + "id " * 20_000 + "} }", "GRAPHQL_PARSE_FAILED"),
]


def engine_of(router: RunningRouter) -> Engine:
    assert router.app.holder is not None
    engine = router.app.holder.engine
    assert isinstance(engine, Engine)
    return engine


async def post(router: RunningRouter, query: str) -> tuple[int, dict[str, Any]]:
    async with router.session.post(router.graphql, json={"query": query}) as response:
        return response.status, orjson.loads(await response.read())


@pytest.mark.parametrize(("shape", "query", "code"), SHAPES, ids=[s[0] for s in SHAPES])
async def test_amplification_shape_is_bounded_and_a_bystander_is_served(
    subgraphs: dict[str, SubgraphServer], shape: str, query: str, code: str | None
) -> None:
    async with running_router(settings_for(subgraphs)) as router:
        engine = engine_of(router)
        assert (await post(router, BYSTANDER))[1] == {"data": BYSTANDER_DATA}  # plan cached
        before = engine.work.total
        (status, body), (by_status, by_body) = await asyncio.gather(
            post(router, query), post(router, BYSTANDER)
        )
        work = engine.work.total - before
    assert (by_status, by_body) == (200, {"data": BYSTANDER_DATA})
    if code is None:
        assert status == 200, body
        assert "errors" not in body
        products = body["data"]["topProducts"]
        assert [p["id"] for p in products] == ["p1", "p2", "p3"]
    else:
        assert status == 400, body
        assert body["errors"][0]["extensions"]["code"] == code
        assert "data" not in body
    assert work <= WORK_BUDGET, f"{shape}: {work} selections visited"
    print(f"{shape}: {work} selections visited")


async def test_bystander_is_answered_while_the_attack_is_in_flight(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """The fan-out rides with a slow field; once the subgraph has it, the bystander's request
    goes out and comes back while the attack is still unanswered."""
    products = subgraphs["products"]
    async with running_router(settings_for(subgraphs)) as router:
        await post(router, BYSTANDER)
        products.request_arrived.clear()
        attack = asyncio.create_task(post(router, fan_out(30, "slow(seconds: 2)")))
        await products.request_arrived.wait()
        assert not attack.done()
        assert await post(router, BYSTANDER) == (200, {"data": BYSTANDER_DATA})
        assert not attack.done(), "the bystander had to wait for the attack"
        status, body = await attack
    assert status == 200
    assert body["data"]["slow"] == "slept"
    assert len(body["data"]["topProducts"]) == 3


async def test_response_size_limit_refuses_what_the_limits_let_through(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """With the alias and height limits off, 400 aliases of a list field are still refused
    by the response-size cap, with a clear error instead of a huge answer."""
    query = "{ topProducts { " + " ".join(f"a{i}: reviews {{ body }}" for i in range(400)) + " } }"
    settings = settings_for(
        subgraphs,
        limits={"max_aliases": None, "max_height": None, "max_response_bytes": 20_000},
    )
    async with running_router(settings) as router:
        status, body = await post(router, query)
        assert await post(router, BYSTANDER) == (200, {"data": BYSTANDER_DATA})
    assert status == 200
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RESPONSE_SIZE_LIMIT_EXCEEDED"
    assert "20000 bytes" in error["message"]


async def test_subgraph_response_larger_than_its_cap_is_abandoned(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """Apollo's ``http_max_response_size``: the body is dropped as it arrives, the fetch fails
    with a fixed reason."""
    query = (
        "{ topProducts { name " + " ".join(f"a{i}: reviews {{ body }}" for i in range(25)) + " } }"
    )
    settings = settings_for(subgraphs, limits={"subgraph_max_response_bytes": 1_000})
    async with running_router(settings) as router:
        status, body = await post(router, query)
    assert status == 200
    assert body["data"] is None  # ``reviews`` is non-null: the missing lists null the root
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["service"] == "reviews"
    assert error["message"] == (
        "HTTP fetch failed from 'reviews': response exceeds the limit of 1000 bytes"
    )


@pytest.mark.parametrize(
    "cap",
    [
        {"traffic_shaping": {"subgraphs": {"products": {"max_connections": 2}}}},
        {"subgraph_max_concurrency": 2},  # the deprecated alias of all.max_connections
    ],
)
async def test_per_subgraph_concurrency_cap(
    subgraphs: dict[str, SubgraphServer], cap: dict[str, Any]
) -> None:
    """Six slow requests at once, two slots for products (``max_connections``): all answered,
    never more than two in flight to the subgraph."""
    settings = settings_for(subgraphs, **cap)
    async with running_router(settings) as router:
        engine = engine_of(router)
        answers = await asyncio.gather(
            *(post(router, f"{{ slow(seconds: {0.2 + i / 1000}) }}") for i in range(6))
        )
        peak = engine.fetcher.peak_in_flight["products"]
    assert [status for status, _ in answers] == [200] * 6
    assert all(body["data"]["slow"] == "slept" for _, body in answers)
    assert peak == 2


@pytest.mark.parametrize(("per_request", "peak"), [(2, 2), (None, 6)])
async def test_one_request_cannot_take_every_slot_of_a_subgraph(
    subgraphs: dict[str, SubgraphServer], per_request: int | None, peak: int
) -> None:
    """Six aliases, six parallel entity fetches to reviews (batching off, else they are one
    request): with a per-request cap of two, at most two are in flight (without it, all six:
    the measure can tell)."""
    query = "{ " + " ".join(f"a{i}: topProducts {{ reviews {{ body }} }}" for i in range(6)) + " }"
    # the six fetches are identical: deduplication (on by default) would make them one
    settings = settings_for(
        subgraphs,
        subgraph_max_concurrency_per_request=per_request,
        batch_entity_fetches=False,
        deduplicate=False,
    )
    async with running_router(settings) as router:
        engine = engine_of(router)
        status, body = await post(router, query)
        measured = engine.fetcher.peak_in_flight["reviews"]
    assert status == 200
    assert body["data"]["a5"][0]["reviews"] == [{"body": "Solid"}, {"body": "Wobbly"}]
    assert measured == peak


class GatedEngine(Engine):
    """A real engine whose planning of new plans first waits for ``gate``: a plan that takes
    as long as the test says, on the planning thread (cache hits, on the loop, never wait)."""

    gate = threading.Event()

    def _plan_for(self, *args: Any, **kwargs: Any) -> Any:
        on_planning_thread = threading.current_thread() is not threading.main_thread()
        if on_planning_thread and not self.gate.wait(timeout=30):
            raise RuntimeError("the test never opened the gate")
        return super()._plan_for(*args, **kwargs)


async def test_slow_planning_times_out_off_the_event_loop(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """A plan that does not finish within ``planning_timeout`` is answered 503
    ``QUERY_PLANNING_TIMEOUT`` while requests with cached plans keep being served; once it
    completes, the plan is cached and the operation runs."""
    settings = settings_for(subgraphs, planning_timeout=0.2)

    async def build(supergraph: Supergraph) -> Engine:
        engine = GatedEngine(supergraph, engine_config(settings))
        await engine.start()
        return engine

    GatedEngine.gate.set()
    query = "{ topProducts { id name reviews { body } } }"
    async with running_router(settings, build) as router:
        assert await post(router, BYSTANDER) == (200, {"data": BYSTANDER_DATA})
        GatedEngine.gate.clear()
        slow = asyncio.create_task(post(router, query))
        assert await post(router, BYSTANDER) == (200, {"data": BYSTANDER_DATA})
        assert not slow.done()
        status, body = await slow
        assert status == 503
        assert body["errors"][0]["extensions"]["code"] == "QUERY_PLANNING_TIMEOUT"
        GatedEngine.gate.set()
        status, body = await post(router, query)
    assert status == 200
    assert body["data"]["topProducts"][0]["reviews"] == [{"body": "Solid"}, {"body": "Wobbly"}]


async def test_batching_sends_same_stage_entity_fetches_as_one_request(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """The same six aliases with batching on (the default): one request to reviews."""
    query = "{ " + " ".join(f"a{i}: topProducts {{ reviews {{ body }} }}" for i in range(6)) + " }"
    async with running_router(settings_for(subgraphs)) as router:
        engine = engine_of(router)
        status, body = await post(router, query)
        measured = engine.fetcher.peak_in_flight["reviews"]
    assert status == 200
    assert body["data"]["a5"][0]["reviews"] == [{"body": "Solid"}, {"body": "Wobbly"}]
    assert measured == 1
