"""`/graphql` over real HTTP: GET/POST, content negotiation, request errors, limits, batching."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio

from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

TOP = "{ topProducts(first: 2) { id name } }"
TOP_DATA = {"topProducts": [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]}
JSON_HEADERS = {"content-type": "application/json"}
PREFLIGHT = {"apollo-require-preflight": "true"}


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    async with running_router(
        settings_for(subgraphs, limits={"http_max_request_bytes": 4096})
    ) as running:
        yield running


async def post(
    router: RunningRouter, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    async with router.session.post(
        router.graphql, data=data, headers={**JSON_HEADERS, **(headers or {})}
    ) as response:
        return response.status, dict(response.headers), orjson.loads(await response.read())


async def get(
    router: RunningRouter, params: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    async with router.session.get(
        router.graphql, params=params, headers={**PREFLIGHT, **(headers or {})}
    ) as response:
        return response.status, dict(response.headers), orjson.loads(await response.read())


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_post_runs_the_operation(router: RunningRouter) -> None:
    status, headers, body = await post(router, {"query": TOP})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == {"data": TOP_DATA}


async def test_post_passes_variables_and_operation_name(router: RunningRouter) -> None:
    query = (
        "query A { topProducts(first: 1) { id } } query B($id: ID!) { product(id: $id) { name } }"
    )
    status, _, body = await post(
        router, {"query": query, "operationName": "B", "variables": {"id": "p3"}}
    )
    assert status == 200
    assert body == {"data": {"product": {"name": "Lamp"}}}


async def test_get_runs_a_query(router: RunningRouter) -> None:
    status, _, body = await get(
        router,
        {"query": "query($n: Int) { topProducts(first: $n) { id } }", "variables": '{"n": 1}'},
    )
    assert status == 200
    assert body == {"data": {"topProducts": [{"id": "p1"}]}}


async def test_get_refuses_mutations_with_405(router: RunningRouter) -> None:
    status, headers, body = await get(
        router, {"query": 'mutation { renameProduct(id: "p1", name: "X") { name } }'}
    )
    assert status == 405
    assert headers["Allow"] == "POST"
    assert error_code(body) == "MUTATION_FORBIDDEN"
    assert "POST" in body["errors"][0]["message"]


async def test_post_runs_mutations(router: RunningRouter) -> None:
    status, _, body = await post(
        router, {"query": 'mutation { renameProduct(id: "p3", name: "Lamp") { id name } }'}
    )
    assert status == 200
    assert body == {"data": {"renameProduct": {"id": "p3", "name": "Lamp"}}}


async def test_get_without_parameters_is_an_invalid_request(router: RunningRouter) -> None:
    status, _, body = await get(router, {})
    assert status == 400
    assert error_code(body) == "INVALID_GRAPHQL_REQUEST"
    assert "query" in body["errors"][0]["extensions"]["details"]


async def test_get_with_variables_that_are_not_json(router: RunningRouter) -> None:
    status, _, body = await get(router, {"query": TOP, "variables": "{nope"})
    assert status == 400
    assert error_code(body) == "INVALID_GRAPHQL_REQUEST"


# --------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        (
            "application/graphql-response+json, application/json;q=0.9",
            "application/graphql-response+json",
        ),
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
    ],
)
async def test_response_media_type_follows_accept(
    router: RunningRouter, accept: str | None, media: str
) -> None:
    headers = {} if accept is None else {"accept": accept}
    status, response_headers, body = await post(router, {"query": TOP}, headers)
    assert status == 200
    assert response_headers["Content-Type"] == media
    assert body == {"data": TOP_DATA}


async def test_unacceptable_accept_header_is_406(router: RunningRouter) -> None:
    status, _, body = await post(router, {"query": TOP}, {"accept": "text/plain"})
    assert status == 406
    assert error_code(body) == "INVALID_ACCEPT_HEADER"


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_validation_errors_are_400_like_apollo_router(
    router: RunningRouter, accept: str
) -> None:
    status, headers, body = await post(router, {"query": "{ nope }"}, {"accept": accept})
    assert status == 400
    assert headers["Content-Type"] == accept
    assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"


async def test_parse_errors_are_400(router: RunningRouter) -> None:
    status, _, body = await post(router, {"query": "{ topProducts { "})
    assert status == 400
    assert error_code(body) == "GRAPHQL_PARSE_FAILED"


async def test_spec_json_status_answers_200_for_application_json(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(subgraphs, spec_json_status=True)
    async with running_router(settings) as spec_router:
        status, _, body = await post(
            spec_router, {"query": "{ nope }"}, {"accept": "application/json"}
        )
        assert status == 200
        assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"
        status, _, _ = await post(
            spec_router, {"query": "{ nope }"}, {"accept": "application/graphql-response+json"}
        )
        assert status == 400


# --------------------------------------------------------------------- malformed requests


async def test_malformed_json_is_400_with_a_graphql_error(router: RunningRouter) -> None:
    status, headers, body = await post(router, b'{"query": ')
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert body["errors"][0]["message"] == "Invalid GraphQL request"
    assert error_code(body) == "INVALID_GRAPHQL_REQUEST"
    assert "JSON" in body["errors"][0]["extensions"]["details"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": 1}, "query"),
        ({"query": TOP, "variables": [1]}, "variables"),
        ({"query": TOP, "operationName": 5}, "operationName"),
        ({"query": TOP, "extensions": "x"}, "extensions"),
        ("just a string", "object"),
    ],
)
async def test_wrongly_typed_request_fields_are_400(
    router: RunningRouter, payload: Any, field: str
) -> None:
    status, _, body = await post(router, payload)
    assert status == 400
    assert error_code(body) == "INVALID_GRAPHQL_REQUEST"
    assert field in body["errors"][0]["extensions"]["details"]


async def test_post_needs_a_json_content_type(router: RunningRouter) -> None:
    status, _, body = await post(
        router, {"query": TOP}, {"content-type": "application/xml", **PREFLIGHT}
    )
    assert status == 415
    assert error_code(body) == "INVALID_CONTENT_TYPE_HEADER"


async def test_unsupported_method_is_405(router: RunningRouter) -> None:
    async with router.session.put(router.graphql, json={"query": TOP}) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET, POST"


# --------------------------------------------------------------------- limits


async def test_body_over_the_limit_is_413(router: RunningRouter) -> None:
    padding = " " * 5000
    status, _, body = await post(router, f'{{"query": "{TOP}"{padding}}}'.encode())
    assert status == 413
    assert error_code(body) == "PAYLOAD_TOO_LARGE"
    assert "4096" in body["errors"][0]["extensions"]["details"]


async def test_streamed_body_over_the_limit_is_413(router: RunningRouter) -> None:
    """Without a Content-Length the limit holds while the chunks arrive."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "' + TOP.encode() + b'"'
        for _ in range(10):
            yield b" " * 1000
        yield b"}"

    async with router.session.post(router.graphql, data=chunks(), headers=JSON_HEADERS) as response:
        assert response.status == 413
        body = orjson.loads(await response.read())
    assert error_code(body) == "PAYLOAD_TOO_LARGE"


async def test_body_under_the_limit_passes(router: RunningRouter) -> None:
    status, _, body = await post(router, f'{{"query": "{TOP}"{" " * 3000}}}'.encode())
    assert status == 200
    assert body == {"data": TOP_DATA}


async def test_query_string_over_the_limit_is_414(router: RunningRouter) -> None:
    status, _, body = await get(router, {"query": "{" + " " * 5000 + "topProducts { id } }"})
    assert status == 414
    assert error_code(body) == "URI_TOO_LONG"


# --------------------------------------------------------------------- batching


async def test_batches_are_refused_by_default(router: RunningRouter) -> None:
    status, _, body = await post(router, [{"query": TOP}, {"query": TOP}])
    assert status == 400
    assert error_code(body) == "BATCHING_NOT_ENABLED"


async def test_batches_run_when_enabled(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(subgraphs, batching=True, max_batch_size=2)
    async with running_router(settings) as batch_router:
        status, _, body = await post(
            batch_router,
            [
                {"query": TOP},
                {
                    "query": "query($id: ID!) { product(id: $id) { name } }",
                    "variables": {"id": "p2"},
                },
            ],
        )
        assert status == 200
        assert body == [{"data": TOP_DATA}, {"data": {"product": {"name": "Chair"}}}]

        status, _, body = await post(batch_router, [{"query": TOP}] * 3)
        assert status == 422
        assert error_code(body) == "BATCH_LIMIT_EXCEEDED"

        status, _, body = await post(batch_router, [])
        assert status == 400
        assert error_code(body) == "INVALID_GRAPHQL_REQUEST"


# --------------------------------------------------------------------- other endpoints


async def test_health(router: RunningRouter) -> None:
    async with router.session.get(router.url + "/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "UP"}


async def test_unknown_path_is_404(router: RunningRouter) -> None:
    async with router.session.get(router.url + "/nope") as response:
        assert response.status == 404
