"""Query plans shared by router replicas through Redis (``query_planning.cache.redis``).

The engine's own LRU of plans is the first level; on a miss there, before planning, it asks
this store (``polyshop:router:plan:<sha256>``), and after planning a new operation it writes
the plan here (with ``ttl``), so each operation is planned once for all replicas. The key
names everything a plan depends on: the supergraph's hash, the plan format and the router's
release, the planner's options, the operation text and name, the enabled override labels
and the values of the operation's ``@skip``/``@include`` conditions (`plan_key`). A Redis
that cannot answer is a
miss (the engine plans locally); `router.shared.state.SharedState` logs it, counts it and
tries again later, as for APQ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from redis import asyncio as aioredis

from router.shared.state import UNAVAILABLE, SharedState


def plan_key(parts: Iterable[str]) -> str:
    """SHA-256 (hex) of ``parts``, each length-prefixed so that no two lists collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class SharedPlans:
    """Encoded plans in Redis by `plan_key`."""

    def __init__(self, shared: SharedState, ttl: float | None = None) -> None:
        self.shared = shared
        self.ttl = ttl

    async def get(self, key: str) -> bytes | None:
        """The encoded plan, or None (not there, or Redis unavailable)."""
        name = self.shared.key("plan", key)

        async def call(client: aioredis.Redis) -> Any:
            return await client.get(name)

        reply = await self.shared.run("plan.get", call)
        if reply is UNAVAILABLE or reply is None:
            return None
        return reply if isinstance(reply, bytes) else str(reply).encode("utf-8")

    async def put(self, key: str, data: bytes) -> None:
        name = self.shared.key("plan", key)
        ttl = self.ttl

        async def call(client: aioredis.Redis) -> Any:
            if ttl is None:
                return await client.set(name, data)
            return await client.set(name, data, px=int(ttl * 1000))

        await self.shared.run("plan.put", call)
