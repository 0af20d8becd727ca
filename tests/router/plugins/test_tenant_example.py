"""The example plugin of docs/plugins.md (docs/examples/tenant_plugin.py): a tenant header from
a verified JWT claim, on a router verifying real tokens against a real JWKS endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from router.security.settings import SecuritySettings
from tests.router.plugins.test_plugins import TOP, post
from tests.support.keys import TestKeys
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.router_security import JwksServer
from tests.support.subgraph_server import SubgraphServer

TENANT = "docs.examples.tenant_plugin:TenantPlugin"


@pytest_asyncio.fixture(scope="module")
async def key() -> TestKeys:
    return TestKeys.ec()


@pytest_asyncio.fixture(scope="module")
async def jwks(key: TestKeys) -> AsyncIterator[JwksServer]:
    server = JwksServer(key)
    await server.start()
    yield server
    await server.close()


@pytest_asyncio.fixture(scope="module")
async def router(
    subgraphs: dict[str, SubgraphServer], jwks: JwksServer
) -> AsyncIterator[RunningRouter]:
    settings = settings_for(
        subgraphs,
        # A client's own x-tenant-id would be propagated: the plugin must override it.
        propagate_headers_extra=("x-tenant-id",),
        plugins=[{"name": TENANT, "config": {"claim": "org", "required": True}}],
        security=SecuritySettings(
            jwks_urls=(jwks.url,), issuers=("polyshop-auth",), audiences=("polyshop",)
        ),
    )
    async with running_router(settings) as running:
        yield running


def bearer(key: TestKeys, **claims: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {key.sign(claims)}"}


async def test_the_tenant_claim_becomes_the_subgraph_header_and_is_echoed(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer], key: TestKeys
) -> None:
    for server in subgraphs.values():
        server.received.clear()
    headers = {**bearer(key, org="acme"), "x-tenant-id": "someone-else"}
    status, response_headers, body = await post(router, {"query": TOP}, headers)
    assert status == 200
    assert body["data"]["topProducts"][0]["id"] == "p1"
    assert response_headers["x-tenant-id"] == "acme"
    sent = [r.headers.get("x-tenant-id") for s in subgraphs.values() for r in s.received]
    assert sent == ["acme", "acme"]  # products, then reviews; never the client's value


@pytest.mark.parametrize("claims", [{}, {"org": ""}])
async def test_without_the_claim_the_operation_is_refused_before_any_subgraph(
    router: RunningRouter,
    subgraphs: dict[str, SubgraphServer],
    key: TestKeys,
    claims: dict[str, Any],
) -> None:
    before = len(subgraphs["products"].received)
    status, headers, body = await post(router, {"query": TOP}, bearer(key, **claims))
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "TENANT_REQUIRED"
    assert body["errors"][0]["message"] == "This operation needs a token with a 'org' claim"
    assert "x-tenant-id" not in headers
    assert len(subgraphs["products"].received) == before


async def test_an_anonymous_caller_is_refused_too(router: RunningRouter) -> None:
    status, _, body = await post(router, {"query": TOP})
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "TENANT_REQUIRED"
