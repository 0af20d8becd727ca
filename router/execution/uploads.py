"""Files of the current request (GraphQL multipart request spec), sent on to subgraphs.

The HTTP layer spools each uploaded file to a temporary file (never whole in memory) and puts
an `upload_marker` string where the spec has ``null`` in the variables, so the operation flows
through validation, planning and execution like any other (the ``Upload`` scalar accepts any
value). When a subgraph request body carries markers, `SubgraphFetcher` sends it as a multipart
request instead of JSON (`RequestFiles.form`): the markers become ``null`` again, ``map`` names
their places in the *subgraph's* variables, and the files are streamed from disk by aiohttp.
A file no fetch uses is never sent; every file is deleted when the request ends.

The files travel in a context variable (`current_files`) rather than through the engine's
signatures: only the HTTP edge and the fetcher know of them, as with request telemetry. The
marker carries a per-request random nonce, so a client cannot forge one in a string value.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

MARKER_PREFIX = "\u0000polyshop-upload:"


@dataclass(slots=True)
class SpooledFile:
    """One uploaded file on disk."""

    key: str
    """Its name in the client's multipart request (the key of ``map``)."""
    path: Path
    filename: str
    content_type: str
    size: int = 0


@dataclass(slots=True)
class RequestFiles:
    """The uploaded files of one request, in a private temporary directory."""

    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="polyshop-up-")))
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))
    files: dict[str, SpooledFile] = field(default_factory=dict)

    def marker(self, key: str) -> str:
        """The variable value standing for file ``key`` until a fetch sends it."""
        return f"{MARKER_PREFIX}{self.nonce}:{key}"

    @property
    def encoded_prefix(self) -> bytes:
        """The JSON encoding of every marker's start (what the fetcher looks for)."""
        return orjson.dumps(MARKER_PREFIX + self.nonce)[:-1]

    def key_of(self, value: Any) -> str | None:
        if isinstance(value, str) and value.startswith(MARKER_PREFIX):
            nonce, _, key = value[len(MARKER_PREFIX) :].partition(":")
            if nonce == self.nonce and key in self.files:
                return key
        return None

    def form(self, body: bytes) -> aiohttp.FormData:
        """The multipart request for a subgraph request ``body`` holding markers."""
        operation = orjson.loads(body)
        paths: dict[str, list[str]] = {}

        def walk(value: Any, path: str) -> Any:
            key = self.key_of(value)
            if key is not None:
                paths.setdefault(key, []).append(path)
                return None
            if isinstance(value, dict):
                return {name: walk(item, f"{path}.{name}") for name, item in value.items()}
            if isinstance(value, list):
                return [walk(item, f"{path}.{index}") for index, item in enumerate(value)]
            return value

        operation["variables"] = walk(operation.get("variables") or {}, "variables")
        form = aiohttp.FormData(quote_fields=False)
        form.add_field(
            "operations", orjson.dumps(operation).decode(), content_type="application/json"
        )
        keys = {key: str(index) for index, key in enumerate(paths)}
        form.add_field(
            "map",
            orjson.dumps({keys[key]: where for key, where in paths.items()}).decode(),
            content_type="application/json",
        )
        for key, name in keys.items():
            spooled = self.files[key]
            form.add_field(
                name,
                spooled.path.open("rb"),
                filename=spooled.filename,
                content_type=spooled.content_type,
            )
        return form

    async def close(self) -> None:
        await asyncio.to_thread(shutil.rmtree, self.directory, True)


current_files: ContextVar[RequestFiles | None] = ContextVar("current_files", default=None)


async def release_files() -> None:
    """Delete the current request's files, if it has any (when the request ends)."""
    files = current_files.get()
    if files is not None:
        current_files.set(None)
        await files.close()
