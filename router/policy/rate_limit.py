"""Token-bucket rate limits (the ``rate_limit`` section, `router.config.rate_limit`).

A bucket of ``capacity`` tokens refills at ``capacity / interval`` tokens per second; a request
takes one token or is refused with the time until one is there (``Retry-After``). Buckets are
kept in Redis when shared state is configured (a Lua script refills, takes and expires
atomically, on Redis' clock so replicas agree) and in this process otherwise — or while
Redis is unreachable, in which case each replica enforces the limit on its own share of the
traffic (`router.shared` logs and counts the fallback).

A round trip to Redis costs more router CPU than everything else a request needs from the rate
limiter, so a process takes a lease of ``capacity // LEASE_SHARE`` tokens (at least one) per
call and spends it locally. Tokens are never over-granted: the cost is that a lease held by one
replica can make another refuse up to that many requests early (5 % of the capacity per
replica); small buckets (capacity under 40) take one token per call and are exact.

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

from polyshop.runtime.principal import Principal
from router.config.rate_limit import Bucket, RateLimitConfig
from router.shared import UNAVAILABLE, SharedState

RATE_LIMITED = "REQUEST_RATE_LIMITED"
MAX_LOCAL_BUCKETS = 100_000
"""Per-client buckets kept in memory; past it, buckets that have refilled are dropped (a full
bucket and a missing one are the same)."""

LEASE_SHARE = 20
"""With Redis, a process takes ``capacity // LEASE_SHARE`` tokens (at least one) per round trip
and spends them locally: one Redis call per that many requests instead of one per request."""

# KEYS[1]: the bucket; ARGV: capacity, tokens per millisecond, tokens wanted.
# Returns {granted, wait_ms}: granted > 0 tokens taken, else the wait for one token.
TAKE_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local granted = math.min(wanted, math.floor(tokens))
local wait = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {granted, wait}
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


@dataclass(frozen=True, slots=True)
class Spec:
    """A configured bucket as plain numbers (read on every request)."""

    capacity: float
    rate: float
    """Tokens per second."""
    interval: float
    suffix: str
    """Part of the shared key: a reconfigured bucket starts afresh."""
    lease: int
    """Tokens taken from Redis per round trip."""

    @classmethod
    def of(cls, bucket: Bucket) -> Spec:
        return cls(
            float(bucket.capacity),
            bucket.rate,
            bucket.interval,
            f"{bucket.capacity}/{bucket.interval:g}",
            max(1, bucket.capacity // LEASE_SHARE),
        )


class LocalBuckets:
    """Token buckets in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self.leases: dict[str, int] = {}
        """Shared-bucket tokens this process took from Redis and has not spent yet."""

    def take(self, key: str, spec: Spec | Bucket) -> Decision:
        if isinstance(spec, Bucket):
            spec = Spec.of(spec)
        now = self._clock()
        buckets = self._buckets
        found = buckets.get(key)
        if found is None:
            tokens = spec.capacity
        else:
            tokens = found[0] + (now - found[1]) * spec.rate
            if tokens > spec.capacity:
                tokens = spec.capacity
        if tokens >= 1.0:
            buckets[key] = (tokens - 1.0, now)
            decision = ALLOWED
        else:
            buckets[key] = (tokens, now)
            decision = Decision(False, (1.0 - tokens) / spec.rate)
        if len(buckets) > MAX_LOCAL_BUCKETS:
            horizon = now - spec.interval
            for stale in [k for k, (_, at) in buckets.items() if at < horizon]:
                del buckets[stale]
        return decision


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
        self._router = Spec.of(config.router) if config.router is not None else None
        per_client = config.per_client
        self._client = Spec.of(per_client) if per_client is not None else None
        self._client_key = per_client.key if per_client is not None else "ip"
        self._client_header = per_client.header if per_client is not None else None
        self._all = Spec.of(config.all) if config.all is not None else None
        self._subgraphs = {name: Spec.of(bucket) for name, bucket in config.subgraphs.items()}

    async def take(self, key: str, spec: Spec) -> Decision:
        """One token from bucket ``key``: from this process's lease of shared tokens, else a
        new lease from Redis, else (Redis unavailable) the local bucket."""
        script = self._script
        if script is None:
            return self.local.take(key, spec)
        shared_key = self.shared.key("rate", key, spec.suffix)
        leased = self.local.leases.get(shared_key, 0)
        if leased > 0:
            self.local.leases[shared_key] = leased - 1
            return ALLOWED

        async def call(client: aioredis.Redis) -> Any:
            return await script(
                keys=[shared_key],
                args=[spec.capacity, spec.rate / 1000.0, spec.lease],
                client=client,
            )

        reply = await self.shared.run("rate_limit", call)
        if reply is UNAVAILABLE:
            return self.local.take(key, spec)
        granted, wait_ms = reply  # type: ignore[misc]
        if int(granted) >= 1:
            self.local.leases[shared_key] = int(granted) - 1
            return ALLOWED
        return Decision(False, int(wait_ms) / 1000.0)

    async def check_request(
        self, client_address: str | None, principal: Principal | None, headers: dict[str, str]
    ) -> Decision:
        """The router-wide bucket, then the caller's own."""
        if self._router is not None:
            decision = await self.take("router", self._router)
            if not decision.allowed:
                self._limited("router")
                return decision
        if self._client is not None:
            who = client_address or "unknown"
            if self._client_key == "sub" and principal is not None and principal.subject:
                who = "sub=" + principal.subject
            elif self._client_header is not None:
                value = headers.get(self._client_header)
                if value:
                    who = "header=" + value
            decision = await self.take("client:" + who, self._client)
            if not decision.allowed:
                self._limited("client")
                return decision
        return ALLOWED

    async def check_subgraph(self, service: str) -> Decision:
        spec = self._subgraphs.get(service, self._all)
        if spec is None:
            return ALLOWED
        decision = await self.take("subgraph:" + service, spec)
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
