"""Uploaded product images: ``uploadProductImage`` (GraphQL multipart request) stores the bytes
in PostgreSQL, and ``GET /images/<id>`` serves them with their content type."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from typing import Any

import asyncpg
import httpx
import pytest

from subgraphs.kit.auth import install_token_auth
from subgraphs.products.app import create_app
from subgraphs.products.settings import ProductsSettings
from tests.support.keys import TestKeys

UPLOAD = """
mutation($p: ID!, $file: Upload!, $alt: String) {
  uploadProductImage(productId: $p, file: $file, altText: $alt) { id url altText position }
}"""


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, valid) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def upload(
    client: httpx.AsyncClient,
    token: str | None,
    product_id: str,
    content: bytes,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"p": product_id, "file": None, "alt": "Front"}}
    headers = {"apollo-require-preflight": "true"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, content_type)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
async def product_id(gql: Any) -> str:
    category = await gql('mutation { createCategory(input: {name: "Cameras"}) { id } }')
    body = await gql(
        "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
        input={
            "name": "Lens",
            "price": "99.00",
            "categoryId": category["data"]["createCategory"]["id"],
        },
    )
    return str(body["data"]["createProduct"]["id"])


async def test_an_uploaded_image_is_stored_and_served(
    client: httpx.AsyncClient,
    gql: Any,
    admin_token: str,
    product_id: str,
    sql: asyncpg.Connection,
) -> None:
    image = png()
    body = await upload(
        client, admin_token, product_id, image, content_type="application/octet-stream"
    )
    assert "errors" not in body, body
    created = body["data"]["uploadProductImage"]
    assert created["altText"] == "Front"
    assert created["url"] == f"http://products/images/{created['id']}"
    row = await sql.fetchrow(
        "SELECT content_type, byte_size, sha256 FROM product.product_image_files "
        "WHERE image_id = $1",
        int(created["id"]),
    )
    assert dict(row) == {
        "content_type": "image/png",  # sniffed from the bytes, not the client's claim
        "byte_size": len(image),
        "sha256": hashlib.sha256(image).hexdigest(),
    }
    served = await client.get(created["url"].removeprefix("http://products"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == image
    etag = served.headers["etag"]
    again = await client.get(f"/images/{created['id']}", headers={"if-none-match": etag})
    assert again.status_code == 304
    listed = await gql("query($id: ID!) { product(id: $id) { images { id url } } }", id=product_id)
    assert {"id": created["id"], "url": created["url"]} in listed["data"]["product"]["images"]


async def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, admin_token: str, product_id: str, sql: asyncpg.Connection
) -> None:
    before = await sql.fetchval("SELECT count(*) FROM product.product_images")
    body = await upload(client, admin_token, product_id, b"#!/bin/sh\necho hi\n", filename="x.png")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not a PNG, JPEG, GIF or WebP" in body["errors"][0]["message"]
    assert await sql.fetchval("SELECT count(*) FROM product.product_images") == before


async def test_an_image_over_the_limit_is_refused(
    products_db: str, keys: TestKeys, admin_token: str, product_id: str
) -> None:
    # Its own app: the limit is a setting, which the resolvers get from the app's resources.
    settings = ProductsSettings(
        database_url=products_db, log_level="WARNING", dev_mode=False, image_max_bytes=64
    )
    app = create_app(settings, verify_tokens=False, events=False)
    install_token_auth(app, dev_mode=False, verifier=keys.verifier())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://products") as client,
    ):
        body = await upload(client, admin_token, product_id, png() + b"\0" * 100)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "exceeds the limit of 64 bytes" in body["errors"][0]["message"]


async def test_uploading_needs_catalog_write(
    client: httpx.AsyncClient, keys: TestKeys, product_id: str, sql: asyncpg.Connection
) -> None:
    refused = {
        "customer": keys.user_token(roles=["customer"], scope="profile orders:read orders:write"),
        "service without catalog:write": keys.service_token("orders", scope="products:read"),
    }
    before = await sql.fetchval("SELECT count(*) FROM product.product_image_files")
    for who, token in refused.items():
        body = await upload(client, token, product_id, png())
        assert body["data"] is None, (who, body)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", (who, error)
        assert error["path"] == ["uploadProductImage"]
    assert await sql.fetchval("SELECT count(*) FROM product.product_image_files") == before


async def test_a_file_sent_as_json_gets_a_clear_error(
    gql: Any, product_id: str, sql: asyncpg.Connection
) -> None:
    before = await sql.fetchval("SELECT count(*) FROM product.product_images")
    body = await gql(UPLOAD, p=product_id, file="not a file")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "multipart" in body["errors"][0]["message"]
    assert await sql.fetchval("SELECT count(*) FROM product.product_images") == before


async def test_unknown_images_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/images/999999")).status_code == 404
