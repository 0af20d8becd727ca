"""CORS (Apollo Router's ``cors`` section) through a running router: real HTTP requests, and
headless Chromium pages on allowed and foreign origins."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from structlog.testing import capture_logs

from router.config.cors import CorsConfig, CorsPolicy
from tests.support.cdp import chromium_page, find_chromium
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

TOP = {"query": "{ topProducts(first: 1) { id } }"}
STOREFRONT = "http://127.0.0.1:4010"
PARTNER = "https://shop.partner.example"


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    cors = CorsConfig(
        max_age="10m",
        expose_headers=("x-correlation-id",),
        policies=(
            CorsPolicy(origins=(STOREFRONT,)),
            CorsPolicy(
                match_origins=(r"https://[a-z]+\.partner\.example",),
                allow_credentials=True,
                allow_headers=("content-type", "authorization"),
            ),
        ),
    )
    async with running_router(settings_for(subgraphs, cors=cors)) as running:
        yield running


def preflight_headers(
    origin: str, method: str = "POST", headers: str = "content-type"
) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": headers,
    }


async def test_preflight_from_an_allowed_origin_is_answered_without_the_engine(
    router: RunningRouter, subgraphs: dict[str, SubgraphServer]
) -> None:
    before = len(subgraphs["products"].received)
    async with router.session.options(
        router.graphql, headers=preflight_headers(STOREFRONT, headers="content-type,x-custom")
    ) as response:
        assert response.status == 204
        headers = response.headers
        assert headers["access-control-allow-origin"] == STOREFRONT
        assert headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
        # No allow_headers configured: the requested ones are mirrored (Apollo Router).
        assert headers["access-control-allow-headers"] == "content-type,x-custom"
        assert headers["access-control-max-age"] == "600"
        assert "access-control-allow-credentials" not in headers
        assert "origin" in headers.getall("vary")
    assert len(subgraphs["products"].received) == before


async def test_actual_request_from_an_allowed_origin_carries_cors_headers(
    router: RunningRouter,
) -> None:
    async with router.session.post(
        router.graphql, json=TOP, headers={"origin": STOREFRONT}
    ) as response:
        assert response.status == 200
        assert response.headers["access-control-allow-origin"] == STOREFRONT
        assert response.headers["access-control-expose-headers"] == "x-correlation-id"
        assert await response.json() == {"data": {"topProducts": [{"id": "p1"}]}}


async def test_regex_policy_has_its_own_credentials_and_headers(router: RunningRouter) -> None:
    async with router.session.options(
        router.graphql, headers=preflight_headers(PARTNER, headers="x-anything")
    ) as response:
        assert response.status == 204
        assert response.headers["access-control-allow-origin"] == PARTNER
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["access-control-allow-headers"] == "content-type, authorization"
    # The regex must match the whole origin.
    async with router.session.options(
        router.graphql, headers=preflight_headers(PARTNER + ".evil.example")
    ) as response:
        assert response.status == 403


async def test_preflight_from_a_foreign_origin_gets_a_clear_error_and_no_cors_headers(
    router: RunningRouter,
) -> None:
    async with router.session.options(
        router.graphql, headers=preflight_headers("https://evil.example")
    ) as response:
        assert response.status == 403
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
        body = orjson.loads(await response.read())
    error = body["errors"][0]
    assert error["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert "https://evil.example" in error["message"]
    # The router stays up and serves the next request.
    async with router.session.post(router.graphql, json=TOP) as response:
        assert response.status == 200


async def test_preflight_for_a_method_not_allowed_is_refused(router: RunningRouter) -> None:
    async with router.session.options(
        router.graphql, headers=preflight_headers(STOREFRONT, method="DELETE")
    ) as response:
        assert response.status == 403
        body = orjson.loads(await response.read())
    assert body["errors"][0]["extensions"]["code"] == "CORS_METHOD_NOT_ALLOWED"


async def test_actual_request_from_a_foreign_origin_is_served_without_cors_headers(
    router: RunningRouter,
) -> None:
    async with router.session.post(
        router.graphql, json=TOP, headers={"origin": "https://evil.example"}
    ) as response:
        assert response.status == 200
        assert "access-control-allow-origin" not in response.headers


async def test_default_allows_the_dev_storefront_only(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    async with running_router(settings_for(subgraphs)) as running:
        for origin, allowed in (
            ("http://localhost:4010", True),
            ("http://127.0.0.1:4010", True),
            ("http://localhost:4011", False),
            ("https://studio.apollographql.com", False),
        ):
            async with running.session.options(
                running.graphql, headers=preflight_headers(origin)
            ) as response:
                assert (response.status == 204) is allowed, origin
                assert (response.headers.get("access-control-allow-origin") == origin) is allowed


async def test_allow_any_origin_answers_a_wildcard(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(subgraphs, cors=CorsConfig(allow_any_origin=True, policies=()))
    async with (
        running_router(settings) as running,
        running.session.post(
            running.graphql, json=TOP, headers={"origin": "https://anyone.example"}
        ) as response,
    ):
        assert response.status == 200
        assert response.headers["access-control-allow-origin"] == "*"


def test_credentials_with_any_origin_is_refused_at_configuration() -> None:
    with pytest.raises(ValueError, match="allow_credentials cannot be combined"):
        CorsConfig(allow_any_origin=True, allow_credentials=True)
    with pytest.raises(ValueError, match="not a regular expression"):
        CorsPolicy(match_origins=("https://(",))


def test_cors_section_in_router_yaml(tmp_path: object) -> None:
    from pathlib import Path

    from router.settings import RouterSettings

    config = Path(str(tmp_path)) / "router.yaml"
    config.write_text(
        "cors:\n"
        "  allow_credentials: true\n"
        "  max_age: 24h\n"
        "  policies:\n"
        "    - origins: [https://shop.example]\n"
        "      match_origins: ['^https://.*\\\\.shop\\\\.example$']\n"
    )
    cors = RouterSettings(config=str(config)).cors
    assert cors.allow_credentials
    assert cors.max_age is not None
    assert cors.max_age.total_seconds() == 86400
    assert cors.policies[0].origins == ("https://shop.example",)
    config.write_text("cors:\n  allow_origins: [https://shop.example]\n")
    with pytest.raises(ValueError, match="allow_origins"):
        RouterSettings(config=str(config))


def test_the_dev_router_yaml_allows_the_storefront_at_the_port_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from polyshop.devstack.stack import ROUTER_CONFIG_FILE
    from router.http.cors import Cors
    from router.settings import RouterSettings

    monkeypatch.setenv("POLYSHOP_STOREFRONT_PORT", "4110")  # as `polyshop up` sets it
    cors = Cors(RouterSettings(config=str(ROUTER_CONFIG_FILE)).cors)
    assert cors.grant_for("http://127.0.0.1:4110") is not None
    assert cors.grant_for("http://localhost:4110") is not None
    assert cors.grant_for("http://127.0.0.1:4010") is None
    assert cors.grant_for("https://evil.example") is None


async def test_a_refused_origin_is_logged_once(router: RunningRouter) -> None:
    origin = "https://logged.example"
    with capture_logs() as logs:
        for _ in range(3):
            async with router.session.options(
                router.graphql, headers=preflight_headers(origin)
            ) as response:
                assert response.status == 403
    refused = [entry for entry in logs if entry["event"] == "cors.origin_refused"]
    assert len(refused) == 1
    assert refused[0]["origin"] == origin
    assert refused[0]["log_level"] == "warning"


# --------------------------------------------------------------------- a real browser

CHROMIUM = find_chromium()
PAGE = b"<!doctype html><html><head><title>storefront</title></head><body>shop</body></html>"
FETCH = """
fetch(%s, {
  method: "POST",
  headers: {"content-type": "application/json"},
  body: JSON.stringify({query: "{ topProducts(first: 1) { id } }"}),
}).then(
  async (response) => ({ok: true, status: response.status, body: await response.json(),
                        correlation: response.headers.get("x-correlation-id")}),
  (error) => ({ok: false, error: String(error)}),
)
"""


async def page_server() -> tuple[web.AppRunner, str]:
    """A web page on its own origin (another port: another origin)."""

    async def index(_request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.slow  # a browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)
async def test_chromium_pages_call_the_router_only_from_allowed_origins(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    assert CHROMIUM is not None
    allowed_runner, allowed = await page_server()
    foreign_runner, foreign = await page_server()
    cors = CorsConfig(
        expose_headers=("x-correlation-id",), policies=(CorsPolicy(origins=(allowed,)),)
    )
    try:
        async with (
            running_router(settings_for(subgraphs, cors=cors)) as running,
            chromium_page(CHROMIUM) as page,
        ):
            await page.send("Network.enable")
            await page.send("Page.navigate", url=allowed + "/")
            await page.wait_for("document.title === 'storefront'")
            ok = await page.evaluate(FETCH % orjson.dumps(running.graphql).decode())
            await page.send("Page.navigate", url=foreign + "/")
            await page.wait_for(f"location.origin === {orjson.dumps(foreign).decode()}")
            with capture_logs() as logs:
                blocked = await page.evaluate(FETCH % orjson.dumps(running.graphql).decode())
    finally:
        await allowed_runner.cleanup()
        await foreign_runner.cleanup()
    assert ok["ok"], ok
    assert ok["status"] == 200
    assert ok["body"] == {"data": {"topProducts": [{"id": "p1"}]}}
    assert ok["correlation"]  # exposed to the page by expose_headers
    assert blocked == {"ok": False, "error": "TypeError: Failed to fetch"}
    # The browser's own preflight reached the router and was refused there.
    refused = [e for e in logs if e["event"] == "cors.origin_refused"]
    assert [e["origin"] for e in refused] == [foreign]


async def test_a_reloaded_router_yaml_changes_the_allowed_origins(
    subgraphs: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    from router.config.watcher import ReloadOutcome
    from router.settings import RouterSettings
    from tests.support.router_harness import SUPERGRAPH

    urls = ", ".join(f"{name}: {server.url}" for name, server in subgraphs.items())
    path = tmp_path / "router.yaml"
    path.write_text(
        f"subgraph_urls: {{{urls}}}\ncors:\n  policies: [{{origins: [{STOREFRONT}]}}]\n"
    )
    settings = RouterSettings(
        config=str(path), supergraph=str(SUPERGRAPH), port=0, hot_reload=True, reload_interval=60
    )
    async with running_router(settings) as running:
        watcher = running.app.config_watcher
        assert watcher is not None

        async def status(origin: str) -> int:
            async with running.session.options(
                running.graphql, headers=preflight_headers(origin)
            ) as response:
                return response.status

        assert await status(STOREFRONT) == 204
        assert await status(PARTNER) == 403
        path.write_text(
            f"subgraph_urls: {{{urls}}}\ncors:\n  policies: [{{origins: [{PARTNER}]}}]\n"
        )
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert await status(STOREFRONT) == 403
        assert await status(PARTNER) == 204
