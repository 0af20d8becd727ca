"""The storefront (``web/``) in headless Chromium against a real `polyshop up`.

Playwright (``playwright-core``, pinned in ``web/package-lock.json``, installed by ``make
test``) drives the machine's Chromium through ``web/e2e/checkout.mjs``: the page, served by the
dev stack on the storefront port, signs alice in, adds a product to the cart, orders, pays with
the sandbox card and waits for PAID, all through the router on another origin (so every call is
a CORS request). The script reports what the browser saw; this test asserts on it. The
screenshot stays under ``.polyshop/test-artifacts/`` (its path is printed).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from polyshop.devstack.storefront import WEB_DIR, start_storefront
from polyshop.services import STOREFRONT_PORT
from tests.conftest import server_data_dir
from tests.e2e.test_stack_up import RunningStack, running_stack

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".polyshop" / "test-artifacts"


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[RunningStack]:
    with server_data_dir("storefront") as data_dir, pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLYSHOP_DEMO_ORDERS", "false")
        async with running_stack(data_dir) as running:
            yield running


def storefront_url(stack: RunningStack) -> str:
    return f"http://127.0.0.1:{STOREFRONT_PORT + stack.port_offset}"


async def test_up_serves_the_storefront_with_the_routers_url(stack: RunningStack) -> None:
    url = storefront_url(stack)
    assert f"Storefront     {url}" in stack.output, "the storefront's URL is printed"
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/") as response:
            assert response.status == 200
            page = await response.text()
        assert '<script src="/config.js"></script>' in page
        async with session.get(url + "/config.js") as response:
            assert response.status == 200
            assert response.content_type == "text/javascript"
            assert f'"graphqlUrl": "{stack.router_url}"' in await response.text()
        script = page.split('<script type="module" crossorigin src="')[1].split('"')[0]
        async with session.get(url + script) as response:
            assert response.status == 200
            assert "immutable" in response.headers["cache-control"]
        async with session.get(url + "/assets/..%2f..%2fpackage.json") as response:
            assert response.status == 404
        async with session.get(url + "/assets/missing.js") as response:
            assert response.status == 404


def browser_tools() -> str:
    """Node's path; skips (saying what is missing) where Node, Chromium or Playwright is not."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the storefront's browser test needs Node.js >= 20")
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (.ci/run installs it with apt-get)")
    if not (WEB_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("web/node_modules is missing: run `make test` (npm ci there)")
    return node


def fresh_artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    return path


async def checkout_in_chromium(
    storefront: str, router_url: str, screenshot: Path, *extra: str
) -> tuple[int | None, dict[str, Any], str]:
    """Run web/e2e/checkout.mjs; its exit code, its report and its stderr."""
    process = await asyncio.create_subprocess_exec(
        browser_tools(),
        "e2e/checkout.mjs",
        storefront,
        router_url,
        str(screenshot),
        *extra,
        cwd=WEB_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 240)
    print(f"storefront screenshot: {screenshot}")
    assert out, err.decode()
    report: dict[str, Any] = orjson.loads(out)
    return process.returncode, report, err.decode()


def assert_clean_cross_origin_session(report: dict[str, Any], storefront: str) -> None:
    """Every call crossed origins and the router allowed exactly the storefront's; the browser
    logged no error and no request failed (a request blocked by CORS fails)."""
    assert report["pageOrigin"] == storefront
    assert report["routerResponses"], "the page never called the router"
    assert {r["allowOrigin"] for r in report["routerResponses"]} == {storefront}
    assert {r["status"] for r in report["routerResponses"]} == {200}
    assert report["consoleErrors"] == []
    assert report["pageErrors"] == []
    assert report["failedRequests"] == []


async def test_chromium_signs_in_orders_pays_and_sees_paid(stack: RunningStack) -> None:
    browser_tools()
    screenshot = fresh_artifact("storefront-order-paid.png")
    storefront = storefront_url(stack)
    code, report, err = await checkout_in_chromium(storefront, stack.router_url, screenshot)
    assert code == 0, (report, err)
    assert report["steps"] == ["products", "login", "cart", "order", "paid", "history"]
    assert report["graphqlUrl"] == stack.router_url
    assert report["signedInAs"] == "alice@example.com"
    assert report["firstStock"].endswith("in stock")
    assert report["cartLines"] == 1
    assert report["orderStatus"] == "PAID"
    assert report["paymentStatus"] == "SUCCESS"
    assert "····4242" in report["payment"]
    assert "PAID" in report["historyFirstRow"]
    # The order page's payment and notifications came as @defer parts of its one query,
    # answered as Apollo Router's multipart, and the payment part rendered (above).
    orders = [r for r in report["routerResponses"] if r["operation"] == "StorefrontOrder"]
    assert orders, "the order page never queried its order"
    assert {r["contentType"] for r in orders} == {
        'multipart/mixed;boundary="graphql";deferSpec=20220824'
    }
    assert not any(r["operation"] == "StorefrontOrderSlowParts" for r in report["routerResponses"])
    assert_clean_cross_origin_session(report, storefront)
    assert screenshot.read_bytes().startswith(b"\x89PNG")


async def test_a_declined_card_cancels_the_order_and_says_why(stack: RunningStack) -> None:
    browser_tools()
    screenshot = fresh_artifact("storefront-order-declined.png")
    storefront = storefront_url(stack)
    code, report, err = await checkout_in_chromium(
        storefront, stack.router_url, screenshot, "declined"
    )
    assert code == 0, (report, err)
    assert report["steps"] == ["products", "login", "cart", "order", "declined", "history"]
    assert report["orderStatus"] == "CANCELLED"
    assert report["paymentStatus"] == "FAILED"
    assert "The card was declined" in report["payment"]
    assert "CANCELLED" in report["historyFirstRow"]
    assert_clean_cross_origin_session(report, storefront)


async def test_a_storefront_on_a_foreign_origin_is_blocked_by_cors(stack: RunningStack) -> None:
    """The same page served from an origin the dev router.yaml does not allow: Chromium
    blocks every call, and the checks above would see it (they are not blind)."""
    browser_tools()
    screenshot = fresh_artifact("storefront-foreign-origin.png")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    foreign = await start_storefront("127.0.0.1", port, stack.router_url, url_host="127.0.0.1")
    assert foreign is not None
    try:
        code, report, err = await checkout_in_chromium(foreign.url, stack.router_url, screenshot)
    finally:
        await foreign.stop()
    assert code == 1, (report, err)
    assert report["steps"] == []
    assert "Failed to fetch" in report["failure"]
    assert any("blocked by CORS policy" in text for text in report["consoleErrors"]), report
    assert any(r["url"] == stack.router_url for r in report["failedRequests"]), report
