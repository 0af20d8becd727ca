"""GraphiQL served by the router from vendored assets, checked over HTTP and in Chromium."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import orjson
import pytest
import pytest_asyncio

from router.http.graphiql import ASSET_FILES, STATIC_DIR
from tests.support.cdp import chromium_page, find_chromium
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROMIUM = find_chromium()


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    async with running_router(settings_for(subgraphs)) as running:
        yield running


async def page_html(router: RunningRouter) -> str:
    async with router.session.get(router.graphql, headers={"accept": BROWSER_ACCEPT}) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        return await response.text()


async def test_browsers_get_graphiql_pointed_at_the_endpoint(router: RunningRouter) -> None:
    html = await page_html(router)
    assert 'data-endpoint="/graphql"' in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(sources) == 5
    assert all(source.startswith("/_graphiql/") for source in sources)


async def test_assets_are_served_locally_with_long_caching(router: RunningRouter) -> None:
    html = await page_html(router)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    for source in sources:
        async with router.session.get(
            router.url + source, headers={"accept-encoding": "identity"}, auto_decompress=False
        ) as response:
            assert response.status == 200, source
            assert "immutable" in response.headers["Cache-Control"]
            plain = await response.read()
        expected = "text/css" if source.endswith(".css") else "text/javascript"
        assert response.headers["Content-Type"].startswith(expected)
        assert len(plain) > 200
        async with router.session.get(
            router.url + source, headers={"accept-encoding": "gzip"}, auto_decompress=False
        ) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(await response.read()) == plain


async def test_unknown_asset_versions_are_404(router: RunningRouter) -> None:
    async with router.session.get(router.url + "/_graphiql/0000/graphiql.min.js") as response:
        assert response.status == 404


async def test_api_clients_are_not_sent_graphiql(router: RunningRouter) -> None:
    async with router.session.get(
        router.graphql,
        params={"query": "{ topProducts(first: 1) { id } }"},
        headers={"accept": "application/json", "apollo-require-preflight": "1"},
    ) as response:
        assert response.status == 200
        assert orjson.loads(await response.read()) == {"data": {"topProducts": [{"id": "p1"}]}}


async def test_graphiql_can_be_turned_off(subgraphs: dict[str, SubgraphServer]) -> None:
    async with (
        running_router(settings_for(subgraphs, graphiql=False)) as running,
        running.session.get(running.graphql, headers={"accept": BROWSER_ACCEPT}) as response,
    ):
        assert response.headers["Content-Type"] != "text/html; charset=utf-8"


@pytest.mark.slow  # a browser
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium chromium-driver)",
)
async def test_graphiql_runs_a_query_in_chromium_without_leaving_the_router(
    router: RunningRouter,
) -> None:
    assert CHROMIUM is not None
    query = "{ topProducts(first: 2) { id name } }"
    url = f"{router.graphql}?{urlencode({'query': query})}"
    async with chromium_page(CHROMIUM) as page:
        await page.send("Network.enable")
        await page.send("Runtime.enable")
        await page.send("Page.navigate", url=url)
        await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        result = await page.wait_for(
            "(() => { const cm = document.querySelector('.result-window .CodeMirror');"
            " const text = cm && cm.CodeMirror.getValue();"
            " return text && text.includes('{') ? text : null; })()"
        )
        # The schema came from the router's introspection: the docs list every type.
        await page.evaluate(
            "document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()"
        )
        docs = await page.wait_for(
            "(() => { const d = document.querySelector('.graphiql-doc-explorer');"
            " return d && d.innerText.includes('Review') ? d.innerText : null; })()"
        )
        requested = [
            event["params"]["request"]["url"]
            for event in page.events
            if event.get("method") == "Network.requestWillBeSent"
        ]
        exceptions = [e for e in page.events if e.get("method") == "Runtime.exceptionThrown"]
    assert "query: Query" in docs
    assert "mutation: Mutation" in docs
    assert orjson.loads(result) == {
        "data": {"topProducts": [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]}
    }
    assert requested, "the page made no requests"
    outside = [u for u in requested if not u.startswith((router.url, "data:", "blob:"))]
    assert outside == [], f"GraphiQL fetched from outside the router: {outside}"
    assert exceptions == []


async def test_the_root_path_leads_browsers_to_graphiql(router: RunningRouter) -> None:
    async with router.session.get(router.url + "/", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "/graphql"


def test_vendored_assets_match_the_checksums_in_their_readme() -> None:
    readme = (STATIC_DIR / "README.md").read_text()
    listed = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    assert set(listed) == {name for name in ASSET_FILES if name != "graphiql-init.js"}
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
