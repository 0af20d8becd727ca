"""Compressed responses and requests through a running router, read by aiohttp's decoders."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import aiohttp
import brotli
import orjson
import pytest
import pytest_asyncio
import zstandard

from router.config.compression import CompressionConfig
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

QUERY = orjson.dumps({"query": "{ topProducts(first: 3) { id name price } }"})
EXPECTED = {
    "data": {
        "topProducts": [
            {"id": "p1", "name": "Table", "price": 120},
            {"id": "p2", "name": "Chair", "price": 40},
            {"id": "p3", "name": "Lamp", "price": 25},
        ]
    }
}
JSON = {"content-type": "application/json"}
DECODERS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().stream_reader(data).read(),
}


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    # min_size 0: the test answers are small; the threshold has a test of its own.
    settings = settings_for(subgraphs, compression=CompressionConfig(min_size=0))
    async with running_router(settings) as running:
        yield running


async def raw_post(
    router: RunningRouter, headers: dict[str, str], body: bytes = QUERY
) -> tuple[int, dict[str, str], bytes]:
    """The response as sent: aiohttp's automatic decompression off."""
    async with router.session.post(
        router.graphql,
        data=body,
        headers={**JSON, "accept-encoding": "identity", **headers},
        auto_decompress=False,
    ) as response:
        return response.status, dict(response.headers), await response.read()


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
async def test_response_is_compressed_as_the_client_asks(
    router: RunningRouter, encoding: str
) -> None:
    status, headers, body = await raw_post(router, {"accept-encoding": encoding})
    assert status == 200
    assert headers["Content-Encoding"] == encoding
    assert headers["Vary"] == "accept-encoding"
    assert int(headers["Content-Length"]) == len(body)
    assert orjson.loads(DECODERS[encoding](body)) == EXPECTED


async def test_q_values_decide_and_ties_go_to_the_router_preference(router: RunningRouter) -> None:
    _, headers, _ = await raw_post(router, {"accept-encoding": "gzip;q=1, br;q=0.5"})
    assert headers["Content-Encoding"] == "gzip"
    _, headers, _ = await raw_post(router, {"accept-encoding": "gzip, br"})
    assert headers["Content-Encoding"] == "br"
    _, headers, body = await raw_post(router, {"accept-encoding": "identity"})
    assert "Content-Encoding" not in headers
    assert orjson.loads(body) == EXPECTED
    _, headers, _ = await raw_post(router, {"accept-encoding": "gzip;q=0, deflate"})
    assert "Content-Encoding" not in headers


async def test_a_client_library_decodes_it_transparently(router: RunningRouter) -> None:
    async with router.session.post(router.graphql, data=QUERY, headers=JSON) as response:
        # aiohttp sends its own Accept-Encoding (gzip, deflate, br, zstd where it can).
        assert response.headers["Content-Encoding"] in ("gzip", "br", "zstd")
        assert await response.json() == EXPECTED


async def test_small_bodies_are_not_compressed(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(subgraphs, compression=CompressionConfig(min_size=4096))
    async with running_router(settings) as running:
        status, headers, body = await raw_post(running, {"accept-encoding": "gzip"})
    assert status == 200
    assert "Content-Encoding" not in headers
    assert orjson.loads(body) == EXPECTED


async def test_compression_can_be_turned_off(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(subgraphs, compression=CompressionConfig(enabled=False, min_size=0))
    async with running_router(settings) as running:
        _, headers, _ = await raw_post(running, {"accept-encoding": "gzip, br, zstd"})
    assert "Content-Encoding" not in headers


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
    ],
)
async def test_compressed_request_bodies_are_accepted(
    router: RunningRouter, encoding: str, encode: object
) -> None:
    assert callable(encode)
    status, _, body = await raw_post(router, {"content-encoding": encoding}, encode(QUERY))
    assert status == 200
    assert orjson.loads(body) == EXPECTED


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("br", lambda data: brotli.compress(data, quality=5)),
        ("zstd", zstandard.ZstdCompressor().compress),
    ],
)
async def test_a_zip_bomb_is_refused_with_413(
    router: RunningRouter, encoding: str, encode: object
) -> None:
    assert callable(encode)
    # 100 MB of JSON whitespace compresses to kilobytes (brotli, zstd: bytes).
    bomb_source = b"{" + b" " * (100 * 1024 * 1024) + b"}"
    bomb = encode(bomb_source)
    assert len(bomb) < 1_000_000
    status, _, body = await raw_post(router, {"content-encoding": encoding}, bomb)
    assert status == 413
    assert orjson.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    status, _, _ = await raw_post(router, {})
    assert status == 200


async def test_unknown_or_broken_encodings_get_clear_errors(router: RunningRouter) -> None:
    status, _, body = await raw_post(router, {"content-encoding": "compress"}, QUERY)
    assert status == 415
    assert orjson.loads(body)["errors"][0]["extensions"]["code"] == "UNSUPPORTED_CONTENT_ENCODING"
    status, _, body = await raw_post(router, {"content-encoding": "gzip"}, QUERY)
    assert status == 400
    assert orjson.loads(body)["errors"][0]["extensions"]["code"] == "INVALID_CONTENT_ENCODING"


async def test_the_router_asks_subgraphs_for_compressed_responses() -> None:
    products = await sample_subgraph("products", compress=True).start()
    reviews = await sample_subgraph("reviews").start()
    try:
        async with (
            running_router(settings_for({"products": products, "reviews": reviews})) as running,
            running.session.post(running.graphql, data=QUERY, headers=JSON) as response,
        ):
            assert await response.json() == EXPECTED
        accepted = products.received[-1].headers["accept-encoding"]
        assert "gzip" in accepted
        assert "br" in accepted
        assert products.compressed >= 1
    finally:
        await products.close()
        await reviews.close()


def test_aiohttp_client_has_brotli() -> None:
    """The router's client decodes br only with a brotli package installed."""
    assert aiohttp.http_parser.HAS_BROTLI  # type: ignore[attr-defined]
