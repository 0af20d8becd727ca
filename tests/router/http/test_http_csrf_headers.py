"""CSRF prevention (Apollo Router's rule) and what the router sends on to subgraphs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
import pytest_asyncio

from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

TOP = "{ topProducts(first: 1) { id } }"


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    settings = settings_for(subgraphs, propagate_headers_extra=["X-Tenant"])
    async with running_router(settings) as running:
        yield running


# --------------------------------------------------------------------- CSRF


async def test_simple_get_is_blocked(router: RunningRouter) -> None:
    async with router.session.get(router.graphql, params={"query": TOP}) as response:
        assert response.status == 400
        body = orjson.loads(await response.read())
    assert body["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    assert "apollo-require-preflight" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"apollo-require-preflight": "true"},
        {"x-apollo-operation-name": "Top"},
        {"content-type": "application/json"},
    ],
)
async def test_get_with_a_preflight_forcing_header_runs(
    router: RunningRouter, headers: dict[str, str]
) -> None:
    async with router.session.get(
        router.graphql, params={"query": TOP}, headers=headers
    ) as response:
        assert response.status == 200
        assert await response.json() == {"data": {"topProducts": [{"id": "p1"}]}}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ],
)
async def test_post_with_a_simple_content_type_is_blocked(
    router: RunningRouter, content_type: str
) -> None:
    data = orjson.dumps({"query": TOP})
    async with router.session.post(
        router.graphql, data=data, headers={"content-type": content_type}
    ) as response:
        assert response.status == 400
        body = orjson.loads(await response.read())
    assert body["errors"][0]["extensions"]["code"] == "CSRF_ERROR"


async def test_csrf_prevention_can_be_turned_off_and_reconfigured(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    async with (
        running_router(settings_for(subgraphs, csrf_prevention=False)) as open_router,
        open_router.session.get(open_router.graphql, params={"query": TOP}) as response,
    ):
        assert response.status == 200
    settings = settings_for(subgraphs, csrf_required_headers="X-My-CSRF")
    async with running_router(settings) as custom:
        for headers, status in [
            ({"apollo-require-preflight": "true"}, 400),
            ({"x-my-csrf": "1"}, 200),
        ]:
            async with custom.session.get(
                custom.graphql, params={"query": TOP}, headers=headers
            ) as response:
                assert response.status == status


# --------------------------------------------------------------------- headers


async def test_allowed_headers_reach_subgraphs_and_others_are_stripped(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer]
) -> None:
    products = subgraphs["products"]
    products.received.clear()
    async with router.session.post(
        router.graphql,
        json={"query": TOP},
        headers={
            "Authorization": "Bearer abc",
            "X-Correlation-ID": "corr-123",
            "X-Tenant": "acme",
            "Cookie": "session=secret",
            "X-Forwarded-User": "admin",
            "X-Other": "no",
        },
    ) as response:
        assert response.status == 200
        assert response.headers["X-Correlation-ID"] == "corr-123"
    (received,) = products.received
    assert received.headers["authorization"] == "Bearer abc"
    assert received.headers["x-correlation-id"] == "corr-123"
    assert received.headers["x-tenant"] == "acme"
    for stripped in ("cookie", "x-forwarded-user", "x-other"):
        assert stripped not in received.headers


async def test_headers_reach_every_subgraph_of_a_federated_query(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer]
) -> None:
    for server in subgraphs.values():
        server.received.clear()
    async with router.session.post(
        router.graphql,
        json={"query": "{ topProducts(first: 1) { name reviews { body } } }"},
        headers={"Authorization": "Bearer fed", "Cookie": "a=b", "X-Correlation-ID": "fed-1"},
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body == {
        "data": {
            "topProducts": [{"name": "Table", "reviews": [{"body": "Solid"}, {"body": "Wobbly"}]}]
        }
    }
    for name in ("products", "reviews"):
        (received,) = subgraphs[name].received
        assert received.headers["authorization"] == "Bearer fed"
        assert received.headers["x-correlation-id"] == "fed-1"
        assert "cookie" not in received.headers


async def test_a_correlation_id_is_generated_echoed_and_propagated(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer]
) -> None:
    products = subgraphs["products"]
    products.received.clear()
    ids = []
    for _ in range(2):
        async with router.session.post(router.graphql, json={"query": TOP}) as response:
            assert response.status == 200
            ids.append(response.headers["X-Correlation-ID"])
    assert ids[0] != ids[1]
    assert [r.headers["x-correlation-id"] for r in products.received] == ids


async def test_an_unsafe_correlation_id_is_replaced(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer]
) -> None:
    products = subgraphs["products"]
    products.received.clear()
    unsafe = "x" * 500
    async with router.session.post(
        router.graphql, json={"query": TOP}, headers={"X-Correlation-ID": unsafe}
    ) as response:
        echoed = response.headers["X-Correlation-ID"]
    assert echoed != unsafe
    assert products.received[0].headers["x-correlation-id"] == echoed


async def test_request_errors_carry_the_correlation_id(router: RunningRouter) -> None:
    async with router.session.post(
        router.graphql,
        data=b"{",
        headers={"content-type": "application/json", "x-correlation-id": "bad-json-1"},
    ) as response:
        assert response.status == 400
        assert response.headers["X-Correlation-ID"] == "bad-json-1"
