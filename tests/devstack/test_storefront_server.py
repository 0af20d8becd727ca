"""The storefront's static server (polyshop/devstack/storefront.py) on a real port."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest

from polyshop.devstack.storefront import (
    IMMUTABLE,
    config_script,
    record_build,
    start_storefront,
)

GRAPHQL = "http://127.0.0.1:4000/graphql"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "src" / "main.jsx").write_text("export {};\n")
    (web / "dist" / "assets").mkdir(parents=True)
    (web / "dist" / "index.html").write_text('<script src="/config.js"></script>')
    (web / "dist" / "assets" / "index-abc.js").write_text("console.log(1);\n")
    (tmp_path / "secret.txt").write_text("not for the browser")
    record_build(web)
    return web


async def test_serves_the_page_its_config_and_assets(web_dir: Path) -> None:
    storefront = await start_storefront(
        "127.0.0.1", free_port(), GRAPHQL, url_host="127.0.0.1", web_dir=web_dir
    )
    assert storefront is not None
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(storefront.url + "/") as response:
                assert response.status == 200
                assert response.headers["cache-control"] == "no-cache"
                assert await response.text() == '<script src="/config.js"></script>'
            async with session.get(storefront.url + "/config.js") as response:
                assert response.status == 200
                assert response.headers["cache-control"] == "no-cache"
                assert await response.text() == config_script(GRAPHQL)
            async with session.get(storefront.url + "/assets/index-abc.js") as response:
                assert response.status == 200
                assert response.headers["cache-control"] == IMMUTABLE
            for path in ("/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"):
                async with session.get(storefront.url + path) as response:
                    assert response.status in (403, 404), path
                    assert "not for the browser" not in await response.text()
            async with session.get(storefront.url + "/assets/none.js") as response:
                assert response.status == 404
                assert "cache-control" not in response.headers
            async with session.post(storefront.url + "/") as response:
                assert response.status == 405
    finally:
        await storefront.stop()


def test_config_script_is_json_escaped() -> None:
    script = config_script('http://x/graphql";alert(1);"')
    assert (
        script == 'window.POLYSHOP_CONFIG = {"graphqlUrl": "http://x/graphql\\";alert(1);\\""};\n'
    )


async def test_no_build_means_no_storefront(tmp_path: Path) -> None:
    missing = await start_storefront(
        "127.0.0.1", free_port(), GRAPHQL, url_host="127.0.0.1", web_dir=tmp_path
    )
    assert missing is None


async def test_a_taken_port_is_a_clear_error(web_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port {port} of the storefront is taken"):
            await start_storefront(
                "127.0.0.1", port, GRAPHQL, url_host="127.0.0.1", web_dir=web_dir
            )
