"""The APQ registry: SHA-256 hash → operation text.

Each process keeps an LRU of registrations; with shared state they are also written to Redis
(``polyshop:router:apq:<hash>``, with the optional ``apq.ttl``) so a hash registered through
one replica is known to all. A Redis that cannot answer only means a local miss (the client
sends the text again, as the APQ protocol expects).
"""

from __future__ import annotations

from typing import Any

from redis import asyncio as aioredis

from router.planning.cache import LRU
from router.shared import UNAVAILABLE, SharedState, as_text


class ApqStore:
    def __init__(self, shared: SharedState, capacity: int, ttl: float | None = None) -> None:
        self.shared = shared
        self.ttl = ttl
        self._local: LRU[str, str] = LRU(capacity)

    async def get(self, digest: str) -> str | None:
        found = self._local.get(digest)
        if found is not None or not self.shared.configured:
            return found
        key = self.shared.key("apq", digest)

        async def call(client: aioredis.Redis) -> Any:
            return await client.get(key)

        reply = await self.shared.run("apq.get", call)
        if reply is UNAVAILABLE:
            return None
        text = as_text(reply)
        if text is not None:
            self._local.put(digest, text)
        return text

    async def put(self, digest: str, query: str) -> None:
        known = self._local.get(digest)
        self._local.put(digest, query)
        if known is not None or not self.shared.configured:
            return
        key = self.shared.key("apq", digest)
        ttl = self.ttl

        async def call(client: aioredis.Redis) -> Any:
            if ttl is None:
                return await client.set(key, query)
            return await client.set(key, query, px=int(ttl * 1000))

        await self.shared.run("apq.put", call)
