"""The coprocessor against a coprocessor written for Apollo Router in another language: a Node
server (`coprocessor.mjs`, plain ``node:http``) speaking the protocol as Apollo documents it.

What the router sends at each stage is checked field by field, and what the coprocessor
answers (header, body and context changes, ``break`` with a custom status, a string body,
invalid answers, timeouts) is checked in the client's response and the subgraphs' requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from router.plugins.coprocessor.config import CoprocessorConfig, SelectiveContext
from router.settings import RouterSettings
from tests.router.plugins.test_plugins import TOP, metrics, post
from tests.support.router_harness import SUPERGRAPH, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

COPROCESSOR = Path(__file__).parent / "coprocessor.mjs"
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.slow,  # a Node coprocessor per test
    pytest.mark.skipif(NODE is None, reason="Node.js (node) is not installed"),
]

EVERY_PART: dict[str, Any] = {
    "router": {
        "request": {
            "headers": True,
            "body": True,
            "context": "all",
            "sdl": True,
            "path": True,
            "method": True,
        },
        "response": {
            "headers": True,
            "body": True,
            "context": "all",
            "sdl": True,
            "status_code": True,
        },
    },
    "supergraph": {
        "request": {"headers": True, "body": True, "context": "all", "sdl": True, "method": True},
        "response": {
            "headers": True,
            "body": True,
            "context": "all",
            "sdl": True,
            "status_code": True,
        },
    },
    "execution": {
        "request": {
            "headers": True,
            "body": True,
            "context": "all",
            "sdl": True,
            "method": True,
            "query_plan": True,
        },
        "response": {"headers": True, "body": True, "context": "all", "status_code": True},
    },
    "subgraph": {
        "all": {
            "request": {
                "headers": True,
                "body": True,
                "context": "all",
                "uri": True,
                "method": True,
                "service_name": True,
            },
            "response": {
                "headers": True,
                "body": True,
                "context": "all",
                "service_name": True,
                "status_code": True,
            },
        }
    },
}


@dataclass
class NodeCoprocessor:
    url: str
    session: aiohttp.ClientSession

    async def scenario(self, name: str) -> None:
        async with self.session.post(self.url + "/__scenario", json={"scenario": name}) as reply:
            assert reply.status == 200

    async def received(self) -> list[dict[str, Any]]:
        async with self.session.get(self.url + "/__received") as reply:
            found: list[dict[str, Any]] = orjson.loads(await reply.read())
            return found


@pytest_asyncio.fixture(scope="module")
async def coprocessor() -> AsyncIterator[NodeCoprocessor]:
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE, str(COPROCESSOR), "0", stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    port = orjson.loads(line)["port"]
    try:
        async with aiohttp.ClientSession() as session:
            yield NodeCoprocessor(f"http://127.0.0.1:{port}", session)
    finally:
        process.terminate()
        with contextlib.suppress(ProcessLookupError):
            await process.wait()


def with_coprocessor(
    subgraphs: dict[str, SubgraphServer], coprocessor: NodeCoprocessor, **section: Any
) -> RouterSettings:
    return settings_for(
        subgraphs,
        batching=True,
        coprocessor={"url": coprocessor.url, "timeout": "2s", **section},
    )


async def test_every_stage_sends_the_documented_fields_and_applies_the_answer(
    subgraphs: dict[str, SubgraphServer], coprocessor: NodeCoprocessor
) -> None:
    await coprocessor.scenario("modify")
    for server in subgraphs.values():
        server.received.clear()
    request = {"query": TOP, "operationName": "Top", "variables": {"first": 3}}
    async with running_router(with_coprocessor(subgraphs, coprocessor, **EVERY_PART)) as router:
        status, headers, body = await post(router, request, {"x-client": "c1"})
    assert status == 200
    # SupergraphRequest set first=1; SubgraphResponse renamed; SupergraphResponse added the
    # context it saw (entries set at RouterRequest and SupergraphRequest travelled along).
    assert body["data"] == {
        "topProducts": [
            {"id": "p1", "name": "Table (coprocessed)", "reviews": [{"id": "r1"}, {"id": "r2"}]}
        ]
    }
    context = body["extensions"]["context"]
    assert context["example::router_request"] == "POST /graphql"
    assert context["example::operation"] == "Top"
    assert context["apollo::supergraph::operation_name"] == "Top"
    assert context["apollo::supergraph::operation_kind"] == "query"
    assert headers["x-coprocessor-supergraph"] == "200"
    assert headers["x-coprocessor-router-response"] == "done"
    products = subgraphs["products"].received[-1]
    assert products.headers["x-coprocessor-subgraph"] == "products"
    assert products.headers["x-coprocessor-execution"] == "planned"
    assert products.body["variables"] == {"first": 1}

    sent = await coprocessor.received()
    stages = [payload["stage"] for payload in sent]
    assert stages == [
        "RouterRequest",
        "SupergraphRequest",
        "ExecutionRequest",
        "SubgraphRequest",
        "SubgraphResponse",
        "SubgraphRequest",
        "SubgraphResponse",
        "ExecutionResponse",
        "SupergraphResponse",
        "RouterResponse",
    ]
    by_stage = {payload["stage"]: payload for payload in sent}
    request_id = by_stage["RouterRequest"]["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    for payload in sent:
        assert (payload["version"], payload["control"], payload["id"]) == (
            1,
            "continue",
            request_id,
        )
        assert isinstance(payload["context"]["entries"], dict)
    sdl = SUPERGRAPH.read_text(encoding="utf-8")

    router_request = by_stage["RouterRequest"]
    assert router_request["headers"]["x-client"] == ["c1"]
    assert router_request["headers"]["content-type"] == ["application/json"]
    assert orjson.loads(router_request["body"]) == request  # a string at the router stage
    assert (router_request["path"], router_request["method"]) == ("/graphql", "POST")
    assert router_request["sdl"] == sdl

    supergraph_request = by_stage["SupergraphRequest"]
    assert supergraph_request["body"] == request  # an object at the other stages
    assert supergraph_request["method"] == "POST"
    assert supergraph_request["headers"]["x-coprocessor-router"] == ["seen"]

    execution_request = by_stage["ExecutionRequest"]
    plan = execution_request["queryPlan"]["formatted_query_plan"]
    assert plan.startswith("QueryPlan {")
    assert 'Fetch(service: "products")' in plan
    assert execution_request["body"]["variables"] == {"first": 1}

    subgraph_requests = [p for p in sent if p["stage"] == "SubgraphRequest"]
    subgraph_responses = [p for p in sent if p["stage"] == "SubgraphResponse"]
    assert [p["serviceName"] for p in subgraph_requests] == ["products", "reviews"]
    assert subgraph_requests[0]["uri"] == subgraphs["products"].url
    assert subgraph_requests[0]["method"] == "POST"
    assert subgraph_requests[0]["body"]["variables"] == {"first": 1}
    assert "_entities" in subgraph_requests[1]["body"]["query"]
    for asked, answered in zip(subgraph_requests, subgraph_responses, strict=True):
        assert asked["subgraphRequestId"] == answered["subgraphRequestId"]
        assert answered["statusCode"] == 200
        assert answered["serviceName"] == asked["serviceName"]
    assert len({p["subgraphRequestId"] for p in subgraph_requests}) == 2

    assert by_stage["SupergraphResponse"]["statusCode"] == 200
    assert by_stage["SupergraphResponse"]["body"]["data"]["topProducts"][0]["id"] == "p1"
    router_response = by_stage["RouterResponse"]
    assert router_response["statusCode"] == 200
    assert router_response["headers"]["content-type"] == ["application/json"]
    assert orjson.loads(router_response["body"])["data"] == body["data"]


async def test_only_the_configured_parts_are_sent(
    subgraphs: dict[str, SubgraphServer], coprocessor: NodeCoprocessor
) -> None:
    await coprocessor.scenario("modify")
    section = {"supergraph": {"request": {"body": True, "context": {"selective": ["nothing"]}}}}
    async with running_router(with_coprocessor(subgraphs, coprocessor, **section)) as router:
        status, _, _ = await post(router, {"query": TOP})
    assert status == 200
    sent = await coprocessor.received()
    assert len(sent) == 1
    assert set(sent[0]) == {"version", "stage", "control", "id", "body", "context"}
    assert sent[0]["context"] == {"entries": {}}


async def test_break_at_the_router_stage_answers_with_the_status_body_and_headers(
    subgraphs: dict[str, SubgraphServer], coprocessor: NodeCoprocessor
) -> None:
    await coprocessor.scenario("deny-router")
    before = len(subgraphs["products"].received)
    section = {"router": {"request": {"headers": True}, "response": {"headers": True}}}
    async with running_router(with_coprocessor(subgraphs, coprocessor, **section)) as router:
        status, headers, body = await post(router, {"query": TOP})
    assert status == 401
    assert headers["www-authenticate"] == 'Bearer realm="polyshop"'
    assert body == {
        "errors": [{"message": "Not authenticated.", "extensions": {"code": "ERR_UNAUTHENTICATED"}}]
    }
    assert len(subgraphs["products"].received) == before
    # As in Apollo Router, a break at a request stage skips that stage's response call.
    assert [p["stage"] for p in await coprocessor.received()] == ["RouterRequest"]


@pytest.mark.parametrize(
    ("scenario", "status", "expected"),
    [
        (
            "deny-supergraph",
            403,
            {"errors": [{"message": "Tenant blocked.", "extensions": {"code": "TENANT_BLOCKED"}}]},
        ),
        ("answer-supergraph", 200, {"data": {"topProducts": []}}),
        ("string-break", 418, {"errors": [{"message": "I'm a teapot"}]}),
    ],
)
async def test_break_at_the_supergraph_stage(
    subgraphs: dict[str, SubgraphServer],
    coprocessor: NodeCoprocessor,
    scenario: str,
    status: int,
    expected: dict[str, Any],
) -> None:
    await coprocessor.scenario(scenario)
    before = len(subgraphs["products"].received)
    section = {"supergraph": {"request": {"body": True, "headers": True}}}
    async with running_router(with_coprocessor(subgraphs, coprocessor, **section)) as router:
        got_status, _, body = await post(router, {"query": TOP})
    assert (got_status, body) == (status, expected)
    assert len(subgraphs["products"].received) == before


@pytest.mark.parametrize(
    ("scenario", "on_error", "status", "code", "message"),
    [
        ("slow", "fail_closed", 504, "PLUGIN_TIMEOUT", "Coprocessor timed out at "),
        ("bad-version", "fail_closed", 500, "PLUGIN_FAILED", "'version' must be 1"),
        ("http-500", "fail_closed", 500, "PLUGIN_FAILED", "Coprocessor answered HTTP 500"),
        ("slow", "fail_open", 200, None, None),
        ("http-500", "fail_open", 200, None, None),
    ],
)
async def test_a_failed_call_fails_closed_or_open_as_configured_and_is_counted(
    subgraphs: dict[str, SubgraphServer],
    coprocessor: NodeCoprocessor,
    scenario: str,
    on_error: str,
    status: int,
    code: str | None,
    message: str | None,
) -> None:
    await coprocessor.scenario(scenario)
    stage = {"body": True, "timeout": "300ms", "on_error": on_error}
    settings = with_coprocessor(subgraphs, coprocessor, supergraph={"request": stage})
    async with running_router(settings) as router:
        started = asyncio.get_running_loop().time()
        got_status, _, body = await post(router, {"query": TOP, "variables": {"first": 1}})
        elapsed = asyncio.get_running_loop().time() - started
        counted = await metrics(router)
    assert got_status == status
    assert elapsed < 1.5  # bounded by the stage's timeout, not the coprocessor's 2 s
    reason = "timeout" if scenario == "slow" else "error"
    assert counted == {("coprocessor", "supergraph_request", reason): 1.0}
    if code is None:
        assert body["data"]["topProducts"][0]["id"] == "p1"
        assert "errors" not in body
    else:
        assert body.get("data") is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == code
        assert error["extensions"]["plugin"] == "coprocessor"
        assert error["extensions"]["stage"] == "supergraph_request"
        assert message is not None
        assert message in error["message"]


def test_an_apollo_router_coprocessor_section_is_accepted_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(
        """
coprocessor:
  url: http://127.0.0.1:8081
  timeout: 2s
  router:
    request:
      headers: true
      body: false
      context: true
      sdl: false
      path: true
      method: true
    response:
      headers: true
      status_code: true
  supergraph:
    request:
      url: http://127.0.0.1:3001
      headers: true
      context:
        selective:
          - apollo::supergraph::operation_name
    response:
      body: true
      context: deprecated
  execution:
    request:
      query_plan: true
  subgraph:
    all:
      request:
        headers: true
        body: true
        uri: true
        service_name: true
      response:
        status_code: true
        body: true
""",
        encoding="utf-8",
    )
    config = RouterSettings(config=str(path)).coprocessor
    assert isinstance(config, CoprocessorConfig)
    assert config.timeout == 2.0
    assert config.router.request is not None
    assert config.router.request.context is True
    assert config.supergraph.request is not None
    assert config.supergraph.request.url == "http://127.0.0.1:3001"
    assert config.supergraph.request.context == SelectiveContext(
        selective=("apollo::supergraph::operation_name",)
    )
    assert config.subgraph.all.request is not None
    assert config.subgraph.all.request.service_name is True
    assert config.execution.response is None
    assert CoprocessorConfig(url="http://x", timeout="250ms").timeout == 0.25
