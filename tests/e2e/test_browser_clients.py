"""Browser-facing features on a real `polyshop up`, driven by clients we did not write.

An administrator uploads a product image through the router with Apollo Client and
apollo-upload-client (Node, pinned in ``tests/clients/package-lock.json``, installed by
``make test``); the products service stores it and serves the same bytes at the returned
``url``. The dev stack's ``router.yaml`` allows the storefront's origin (4010 plus the port
offset) and no other, and the router answers compressed to clients that ask.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest
import pytest_asyncio

from polyshop.devstack.demo_flow import ADMIN, DEMO_PASSWORD
from polyshop.services import STOREFRONT_PORT
from tests.conftest import server_data_dir
from tests.e2e.test_stack_up import RunningStack, running_stack

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
FIRST_PRODUCT = "{ products(first: 1) { edges { node { id images { id url } } } } }"
CATALOGUE = "{ products(first: 20) { edges { node { id name description price } } } }"


def png(width: int = 16, height: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[RunningStack]:
    with server_data_dir("browser-clients") as data_dir, pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLYSHOP_DEMO_ORDERS", "false")
        async with running_stack(data_dir) as running:
            yield running


async def graphql(
    session: aiohttp.ClientSession,
    url: str,
    query: str,
    token: str | None = None,
    **variables: object,
) -> dict[str, object]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with session.post(
        url, json={"query": query, "variables": variables}, headers=headers
    ) as r:
        body = orjson.loads(await r.read())
    assert "errors" not in body, body
    data: dict[str, object] = body["data"]
    return data


async def test_apollo_upload_client_uploads_a_product_image(
    stack: RunningStack, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Apollo Client upload test needs Node.js >= 20.4")
    if not (CLIENTS / "node_modules" / "apollo-upload-client").is_dir():
        pytest.skip("tests/clients/node_modules is missing: run `make test` (npm ci there)")
    async with aiohttp.ClientSession() as session:
        login = await graphql(session, stack.router_url, LOGIN, e=ADMIN, p=DEMO_PASSWORD)
        token = login["login"]["accessToken"]  # type: ignore[index]
        listing = await graphql(session, stack.router_url, FIRST_PRODUCT)
        product_id = listing["products"]["edges"][0]["node"]["id"]  # type: ignore[index]
        image = png()
        path = tmp_path / "lens.png"
        path.write_bytes(image)
        process = await asyncio.create_subprocess_exec(
            node,
            "upload.mjs",
            stack.router_url,
            str(token),
            str(product_id),
            str(path),
            cwd=CLIENTS,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        uploaded = orjson.loads(out)["uploadProductImage"]
        assert uploaded["altText"] == "Uploaded by Apollo Client"
        async with session.get(uploaded["url"]) as response:
            assert response.status == 200
            assert response.headers["content-type"] == "image/png"
            assert await response.read() == image
        after = await graphql(session, stack.router_url, FIRST_PRODUCT)
        images = after["products"]["edges"][0]["node"]["images"]  # type: ignore[index]
        assert {"id": uploaded["id"], "url": uploaded["url"]} in images


async def test_the_dev_router_allows_the_storefront_origin_only(stack: RunningStack) -> None:
    storefront = f"http://127.0.0.1:{STOREFRONT_PORT + stack.port_offset}"
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    async with aiohttp.ClientSession() as session:
        async with session.options(
            stack.router_url, headers={"origin": storefront, **preflight}
        ) as response:
            assert response.status == 204
            assert response.headers["access-control-allow-origin"] == storefront
        async with session.options(
            stack.router_url, headers={"origin": "https://evil.example", **preflight}
        ) as response:
            assert response.status == 403
            assert "access-control-allow-origin" not in response.headers
        async with session.post(
            stack.router_url,
            json={"query": CATALOGUE},
            headers={"origin": storefront, "accept-encoding": "br"},
        ) as response:
            assert response.status == 200
            assert response.headers["access-control-allow-origin"] == storefront
            assert response.headers["content-encoding"] == "br"
            assert "products" in (await response.json())["data"]
