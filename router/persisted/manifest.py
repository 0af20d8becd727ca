"""Trusted-document manifests: parsing, loading from a file or URL, hot reload, sharing.

Two formats are read:

* Apollo's: ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations":
  [{"id": ..., "body": ..., "name": ..., "type": "query"}]}``;
* Relay's and Hive's: a JSON object ``{"<id>": "<document>"}``.

`TrustedDocuments` holds the manifest in force. `load` reads it (a file, or an http(s) URL
with a timeout); a manifest that cannot be read or parsed raises `ManifestError`, and `watch`
logs it (``persisted_queries.manifest_rejected``) and keeps the one in force, as the router
does with a broken ``router.yaml``. With shared state each load is also published to Redis
(one hash, replaced atomically), and an id missing here is looked up there: a replica that has
not polled the new manifest yet still serves ids another replica already loaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import structlog
from graphql import GraphQLError, parse, print_ast
from redis import asyncio as aioredis

from router.planning.cache import LRU
from router.shared import UNAVAILABLE, SharedState, as_text

log = structlog.get_logger("router.persisted")

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """The manifest cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Manifest:
    operations: Mapping[str, str]
    """id → operation text."""
    normalized: frozenset[str]
    """Each operation's text in canonical form (to recognise free-form text)."""
    digest: str
    """SHA-256 of the manifest's bytes (tells versions apart)."""


def normalize(document: str) -> str | None:
    """The canonical printing of ``document`` (None when it does not parse)."""
    try:
        return print_ast(parse(document, no_location=True))
    except GraphQLError:
        return None


def parse_manifest(raw: bytes, source: str) -> Manifest:
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"{source}: not JSON: {error}") from error
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: a manifest is a JSON object")
    operations: dict[str, str] = {}
    if "format" in data or "operations" in data:
        if data.get("format") != APOLLO_FORMAT:
            raise ManifestError(f"{source}: unknown manifest format {data.get('format')!r}")
        if data.get("version") != 1:
            raise ManifestError(f"{source}: unsupported manifest version {data.get('version')!r}")
        entries = data.get("operations")
        if not isinstance(entries, list):
            raise ManifestError(f"{source}: 'operations' must be a list")
        for index, entry in enumerate(entries):
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("id"), str)
                and isinstance(entry.get("body"), str)
            ):
                raise ManifestError(f"{source}: operations[{index}] needs string 'id' and 'body'")
            operations[entry["id"]] = entry["body"]
    else:
        for key, value in data.items():
            if not isinstance(value, str):
                raise ManifestError(f"{source}: the value of id {key!r} is not a document string")
            operations[key] = value
    normalized = set()
    for op_id, body in operations.items():
        canonical = normalize(body)
        if canonical is None:
            raise ManifestError(f"{source}: operation {op_id!r} is not valid GraphQL")
        normalized.add(canonical)
    return Manifest(operations, frozenset(normalized), hashlib.sha256(raw).hexdigest())


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def read_source(source: str, timeout_seconds: float = 10.0) -> bytes:
    """The manifest's bytes from a file path or an http(s) URL."""
    if is_url(source):
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=timeout_seconds)
                ) as session,
                session.get(source) as response,
            ):
                if response.status != 200:
                    raise ManifestError(f"{source}: answered HTTP {response.status}")
                return await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ManifestError(
                f"{source}: unreachable: {error or type(error).__name__}"
            ) from error
    try:
        return await asyncio.to_thread(Path(source).read_bytes)
    except OSError as error:
        raise ManifestError(f"{source}: cannot read: {error}") from error


class TrustedDocuments:
    """The manifest in force for one router process (see the module docstring)."""

    def __init__(self, source: str, shared: SharedState, *, poll_interval: float = 10.0) -> None:
        self.source = source
        self.shared = shared
        self.poll_interval = poll_interval
        self.manifest: Manifest | None = None
        self._stamp: tuple[float, int] | None = None
        self._shared_hits: LRU[str, str] = LRU(1024)
        self.loads = 0

    async def load(self) -> Manifest:
        """Read, parse and put the manifest in force; `ManifestError` keeps the old one."""
        raw = await read_source(self.source)
        manifest = parse_manifest(raw, self.source)
        changed = self.manifest is None or manifest.digest != self.manifest.digest
        self.manifest = manifest
        self.loads += 1
        if changed:
            self._shared_hits.clear()
            log.info(
                "persisted_queries.manifest_loaded",
                source=self.source,
                operations=len(manifest.operations),
                digest=manifest.digest[:12],
            )
            await self._publish(manifest)
        return manifest

    async def start(self) -> None:
        """First load; a failure is logged and the router serves without a manifest (every
        id is unknown) until a later check succeeds."""
        try:
            await self.load()
        except ManifestError as error:
            log.error(
                "persisted_queries.manifest_unavailable", source=self.source, error=str(error)
            )
        self._stamp = self._file_stamp()

    async def watch(self) -> None:
        """Re-check until cancelled: a file when its mtime/size move, a URL every interval."""
        while True:
            await asyncio.sleep(self.poll_interval)
            await self.check()

    async def check(self) -> bool:
        """Reload when the source may have changed; False when a reload failed."""
        if not is_url(self.source) and self.manifest is not None:
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return True
            self._stamp = stamp
        try:
            await self.load()
        except ManifestError as error:
            log.error("persisted_queries.manifest_rejected", source=self.source, error=str(error))
            return False
        return True

    def _file_stamp(self) -> tuple[float, int] | None:
        if is_url(self.source):
            return None
        try:
            info = os.stat(self.source)
        except OSError:
            return None
        return (info.st_mtime, info.st_size)

    async def lookup(self, op_id: str) -> str | None:
        """The text of ``op_id``: from the manifest in force, else the shared one."""
        manifest = self.manifest
        if manifest is not None:
            found = manifest.operations.get(op_id)
            if found is not None:
                return found
        if not self.shared.configured:
            return None
        cached = self._shared_hits.get(op_id)
        if cached is not None:
            return cached
        key = self.shared.key("trusted")

        async def call(client: aioredis.Redis) -> Any:
            return await client.hget(key, op_id)

        reply = await self.shared.run("trusted.get", call)
        text = None if reply is UNAVAILABLE else as_text(reply)
        if text is not None:
            self._shared_hits.put(op_id, text)
        return text

    def contains_text(self, canonical: str) -> bool:
        manifest = self.manifest
        return manifest is not None and canonical in manifest.normalized

    async def _publish(self, manifest: Manifest) -> None:
        if not self.shared.configured or not manifest.operations:
            return
        key = self.shared.key("trusted")
        staging = self.shared.key("trusted", "staging", manifest.digest)
        operations: Mapping[Any, Any] = dict(manifest.operations)

        async def call(client: aioredis.Redis) -> Any:
            async with client.pipeline(transaction=True) as pipe:
                pipe.delete(staging)
                pipe.hset(staging, mapping=operations)
                pipe.rename(staging, key)
                return await pipe.execute()

        await self.shared.run("trusted.publish", call)
