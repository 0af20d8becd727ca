"""The ``compression`` section of ``router.yaml``: compressed responses and requests.

Responses are compressed when the client's ``Accept-Encoding`` names an algorithm the router
offers (``algorithms``, in the router's order of preference when the client's q-values tie)
and the body is at least ``min_size`` bytes. Request bodies sent with ``Content-Encoding:
gzip|br|zstd`` are decompressed, and refused with 413 once the decompressed size passes
``max_request_bytes`` (zip bombs). Subgraph responses: the router's HTTP client asks for gzip,
deflate and br (``Accept-Encoding``) and decompresses what comes back.

The levels are those the benchmark (``bench/compression.py``) chose: most of the size win at a
small share of a request's CPU (see docs/decisions/0013-response-compression.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Algorithm = Literal["gzip", "br", "zstd"]


class CompressionConfig(BaseModel):
    """Response compression negotiated from ``Accept-Encoding``; compressed request bodies."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool = True
    """Compress responses for clients that accept it."""
    algorithms: tuple[Algorithm, ...] = ("zstd", "br", "gzip")
    """Offered algorithms, preferred first (used when the client's q-values tie)."""
    min_size: int = Field(default=1024, ge=0)
    """Bodies smaller than this many bytes are sent as they are (compression would not pay)."""
    gzip_level: int = Field(default=6, ge=1, le=9)
    """zlib level of gzip responses."""
    brotli_quality: int = Field(default=4, ge=0, le=11)
    """Brotli quality of br responses (11 is for static assets, far too slow per request)."""
    zstd_level: int = Field(default=3, ge=1, le=22)
    """Zstandard level of zstd responses."""
    request_decompression: bool = True
    """Accept request bodies with ``Content-Encoding: gzip``, ``br`` or ``zstd``."""
