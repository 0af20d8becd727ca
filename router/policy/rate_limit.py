"""Token-bucket rate limits (the ``rate_limit`` section, `router.config.rate_limit`).

A bucket of ``capacity`` tokens refills at ``capacity / interval`` tokens per second; a request
takes one token or is refused with the time until one is there (``Retry-After``). Buckets are
kept in Redis when shared state is configured (one Lua script per take: refill, take, expire,
atomically, with Redis' clock so replicas agree) and in this process otherwise — or while
Redis is unreachable, in which case each replica enforces the limit on its own share of the
traffic (`router.shared` logs and counts the fallback).

Three kinds: ``router`` (one bucket), ``per_client`` (one per IP / JWT ``sub`` / header
value) — both checked by the HTTP layer before the body is read, answered 429 — and per
subgraph (``all`` / ``subgraphs``), checked by the executor before each fetch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis

from router.config.rate_limit import Bucket, RateLimitConfig
from router.security.principal import Principal
from router.shared import UNAVAILABLE, SharedState

RATE_LIMITED = "REQUEST_RATE_LIMITED"
MAX_LOCAL_BUCKETS = 100_000
"""Per-client buckets kept in memory; past it, buckets that have refilled are dropped (a full
bucket and a missing one are the same)."""

# KEYS[1]: the bucket; ARGV: capacity, tokens per millisecond. Returns {allowed, wait_ms}.
TAKE_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {allowed, wait}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    """Seconds until a token is available (when refused)."""

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` in whole seconds, at least 1."""
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True)


class LocalBuckets:
    """Token buckets in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, bucket: Bucket) -> Decision:
        now = self._clock()
        rate = bucket.rate
        tokens, at = self._buckets.get(key, (float(bucket.capacity), now))
        tokens = min(float(bucket.capacity), tokens + max(0.0, now - at) * rate)
        if tokens >= 1.0:
            self._store(key, tokens - 1.0, now, bucket)
            return ALLOWED
        self._store(key, tokens, now, bucket)
        return Decision(False, (1.0 - tokens) / rate)

    def _store(self, key: str, tokens: float, now: float, bucket: Bucket) -> None:
        buckets = self._buckets
        buckets[key] = (tokens, now)
        if len(buckets) > MAX_LOCAL_BUCKETS:
            horizon = now - bucket.interval
            for stale in [k for k, (_, at) in buckets.items() if at < horizon]:
                del buckets[stale]


class RateLimiter:
    """The configured buckets of one settings version (rebuilt on reload; the counters live in
    `LocalBuckets` / Redis, which outlive it)."""

    def __init__(
        self,
        config: RateLimitConfig,
        shared: SharedState,
        local: LocalBuckets,
        *,
        on_limited: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.shared = shared
        self.local = local
        self.on_limited = on_limited
        self._script: Any = None
        if shared.client is not None:
            self._script = shared.client.register_script(TAKE_SCRIPT)
        self.checks_requests = config.router is not None or config.per_client is not None
        self.checks_subgraphs = config.all is not None or bool(config.subgraphs)

    async def take(self, key: str, bucket: Bucket) -> Decision:
        """One token from bucket ``key`` (shared when Redis answers, else local)."""
        script = self._script
        if script is not None:
            shared_key = self.shared.key("rate", key, f"{bucket.capacity}/{bucket.interval:g}")

            async def call(client: aioredis.Redis) -> Any:
                return await script(
                    keys=[shared_key], args=[bucket.capacity, bucket.rate / 1000.0], client=client
                )

            reply = await self.shared.run("rate_limit", call)
            if reply is not UNAVAILABLE:
                allowed, wait_ms = reply  # type: ignore[misc]
                if int(allowed) == 1:
                    return ALLOWED
                return Decision(False, int(wait_ms) / 1000.0)
        return self.local.take(key, bucket)

    async def check_request(
        self, client_address: str | None, principal: Principal | None, headers: dict[str, str]
    ) -> Decision:
        """The router-wide bucket, then the caller's own."""
        config = self.config
        if config.router is not None:
            decision = await self.take("router", config.router)
            if not decision.allowed:
                self._limited("router")
                return decision
        per_client = config.per_client
        if per_client is not None:
            who = client_address or "unknown"
            if per_client.key == "sub" and principal is not None and principal.subject:
                who = "sub=" + principal.subject
            elif per_client.key == "header" and per_client.header is not None:
                value = headers.get(per_client.header)
                if value:
                    who = "header=" + value
            decision = await self.take("client:" + who, per_client)
            if not decision.allowed:
                self._limited("client")
                return decision
        return ALLOWED

    def subgraph_bucket(self, service: str) -> Bucket | None:
        return self.config.subgraphs.get(service, self.config.all)

    async def check_subgraph(self, service: str) -> Decision:
        bucket = self.subgraph_bucket(service)
        if bucket is None:
            return ALLOWED
        decision = await self.take("subgraph:" + service, bucket)
        if not decision.allowed:
            self._limited("subgraph")
        return decision

    def _limited(self, scope: str) -> None:
        if self.on_limited is not None:
            self.on_limited(scope)


def rate_limited_error(scope: str, service: str | None = None) -> dict[str, Any]:
    """The GraphQL error of a refused request or fetch (Apollo Router's code)."""
    extensions: dict[str, Any] = {"code": RATE_LIMITED}
    if service is not None:
        extensions["service"] = service
    return {"message": f"Your request has been rate limited ({scope})", "extensions": extensions}
