"""Compressed responses (``Accept-Encoding``) and compressed request bodies (``Content-Encoding``).

Responses: `compressing` wraps an ASGI ``send`` so that a complete response body (one body
message, the only kind `/graphql` sends) of at least ``min_size`` bytes goes out compressed with
the best algorithm both sides accept, with ``Content-Encoding``, a corrected ``Content-Length``
and ``Vary: Accept-Encoding``. Responses that already carry a ``Content-Encoding`` or arrive in
several messages (streams) pass unchanged. Bodies above `OFFLOAD_BYTES` are compressed in a
worker thread so one big answer does not stall the event loop.

Requests: `read_request_body` reads the body (compressed size capped at the request limit),
then decompresses it with its output capped at the same limit: a small body that would expand
past it (a zip bomb) is refused with 413 before the expansion happens, and an unknown
``Content-Encoding`` with 415.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from collections.abc import Callable, Mapping

import brotli
import zstandard

from router.config.compression import Algorithm, CompressionConfig

from .asgi import Message, Receive, Send, payload_too_large, read_body
from .errors import HttpError

OFFLOAD_BYTES = 256 * 1024
"""Bodies at least this large are compressed in a thread."""
IDENTITY = "identity"


def negotiate(accept_encoding: str | None, offered: tuple[Algorithm, ...]) -> Algorithm | None:
    """The algorithm to answer with: the highest client q-value among ``offered``; ties go to
    the router's order. None: send the body as it is."""
    if not accept_encoding:
        return None
    qualities: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, *params = part.split(";")
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[name.strip().lower()] = quality
    wildcard = qualities.get("*", 0.0)
    best: Algorithm | None = None
    best_quality = 0.0
    for algorithm in offered:
        quality = qualities.get(algorithm, wildcard)
        if quality > best_quality:
            best, best_quality = algorithm, quality
    return best


def compressor(algorithm: Algorithm, config: CompressionConfig) -> Callable[[bytes], bytes]:
    if algorithm == "gzip":
        level = config.gzip_level
        return lambda data: _gzip(data, level)
    if algorithm == "br":
        quality = config.brotli_quality

        def brotli_compress(data: bytes) -> bytes:
            packed: bytes = brotli.compress(data, quality=quality)
            return packed

        return brotli_compress
    zstd = zstandard.ZstdCompressor(level=config.zstd_level)
    return zstd.compress


def _gzip(data: bytes, level: int) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container
    return packer.compress(data) + packer.flush()


def compressing(headers: Mapping[str, str], send: Send, config: CompressionConfig) -> Send:
    """``send`` compressing the response for this request's ``Accept-Encoding`` (``send``
    itself when compression is off or the client accepts none of the algorithms)."""
    if not config.enabled:
        return send
    algorithm = negotiate(headers.get("accept-encoding"), config.algorithms)
    if algorithm is None:
        return send
    compress = compressor(algorithm, config)
    encoding = algorithm.encode()
    min_size = config.min_size
    start: Message | None = None

    async def send_compressed(message: Message) -> None:
        nonlocal start
        kind = message["type"]
        if kind == "http.response.start":
            start = message
            return
        if kind != "http.response.body" or start is None:
            await send(message)
            return
        held, start = start, None
        body: bytes = message.get("body", b"")
        response_headers: list[tuple[bytes, bytes]] = list(held.get("headers", ()))
        if (
            message.get("more_body", False)
            or len(body) < min_size
            or any(name == b"content-encoding" for name, _ in response_headers)
        ):
            await send(held)
            await send(message)
            return
        packed = await asyncio.to_thread(compress, body) if len(body) >= OFFLOAD_BYTES else None
        if packed is None:
            packed = compress(body)
        response_headers = [
            (name, value) for name, value in response_headers if name != b"content-length"
        ]
        response_headers += [
            (b"content-encoding", encoding),
            (b"content-length", str(len(packed)).encode()),
            (b"vary", b"accept-encoding"),
        ]
        await send({**held, "headers": response_headers})
        await send({"type": "http.response.body", "body": packed})

    return send_compressed


def _unsupported(encoding: str) -> HttpError:
    return HttpError(
        415,
        "UNSUPPORTED_CONTENT_ENCODING",
        f"Content-Encoding '{encoding}' is not supported; use gzip, br, zstd or none",
    )


def decompress(data: bytes, encoding: str, limit: int) -> bytes:
    """``data`` decoded; 413 as soon as the output would pass ``limit`` bytes, 400 when the
    bytes are not valid for the encoding."""
    try:
        if encoding in ("gzip", "x-gzip"):
            unpacker = zlib.decompressobj(31)
            out: bytes = unpacker.decompress(data, limit + 1)
            if len(out) > limit or unpacker.unconsumed_tail:
                raise payload_too_large(limit)
            if not unpacker.eof:
                raise zlib.error("truncated gzip stream")
            return out
        if encoding == "br":
            decompressor = brotli.Decompressor()
            out = decompressor.process(data, output_buffer_limit=limit + 1)
            if len(out) > limit or not decompressor.can_accept_more_data():
                raise payload_too_large(limit)
            if not decompressor.is_finished():
                raise brotli.error("truncated brotli stream")
            return out
        if encoding == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
            out = reader.read(limit + 1)
            if len(out) > limit:
                raise payload_too_large(limit)
            return out
    except HttpError:
        raise
    except (zlib.error, brotli.error, zstandard.ZstdError) as error:
        raise HttpError(
            400,
            "INVALID_CONTENT_ENCODING",
            f"The request body is not valid {encoding} data",
            str(error),
        ) from error
    raise _unsupported(encoding)


async def read_request_body(
    receive: Receive, headers: Mapping[str, str], limit: int, config: CompressionConfig
) -> bytes:
    """The request body, decoded per ``Content-Encoding``, never more than ``limit`` bytes."""
    body = await read_body(receive, limit)
    encoding = headers.get("content-encoding", IDENTITY).strip().lower()
    if encoding in (IDENTITY, ""):
        return body
    if not config.request_decompression:
        raise _unsupported(encoding)
    if "," in encoding:
        raise _unsupported(encoding)
    if len(body) >= OFFLOAD_BYTES:
        return await asyncio.to_thread(decompress, body, encoding, limit)
    return decompress(body, encoding, limit)
