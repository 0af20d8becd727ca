"""The ``rate_limit`` section: token buckets for the whole router, per client, per subgraph.

Apollo Router puts its rate limits under ``traffic_shaping`` (``traffic_shaping.router.
global_rate_limit``, ``traffic_shaping.subgraphs.<name>.global_rate_limit``, each a
``capacity`` per ``interval``). Ours are the same buckets with the same two numbers, in a
section of their own, because ``traffic_shaping`` holds the per-subgraph transport policy
(timeouts, retries, circuit breaker, pool) and rate limits are also per client, which Apollo's
are not: ``rate_limit.router`` is Apollo's ``traffic_shaping.router.global_rate_limit``,
``rate_limit.all`` / ``rate_limit.subgraphs.<name>`` its ``traffic_shaping.all`` /
``subgraphs.<name>.global_rate_limit``, and ``rate_limit.per_client`` is new.

A bucket holds ``capacity`` tokens and refills ``capacity`` tokens per ``interval`` (evenly:
one every ``interval / capacity``); each request takes one. With ``POLYSHOP_REDIS_URL`` set
the buckets live in Redis and every router replica draws from the same ones.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_FROZEN = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> Any:
    """Seconds from a number or a string such as ``"500ms"``, ``"1s"``, ``"5m"``."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"'{value}' is not a duration (examples: 1s, 500ms, 5m)")
        return float(match.group(1)) * _UNIT[match.group(2)]
    return value


class Bucket(BaseModel):
    """``capacity`` requests per ``interval``; bursts up to ``capacity``."""

    model_config = _FROZEN

    capacity: int = Field(ge=1)
    """Tokens in a full bucket: the largest burst."""
    interval: float = Field(gt=0)
    """Seconds (or ``"1s"``, ``"500ms"``, ``"1m"``) to refill ``capacity`` tokens."""

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.capacity / self.interval


class ClientBucket(Bucket):
    """A bucket per client, told apart by ``key``."""

    key: Literal["ip", "sub", "header"] = "ip"
    """``ip``: the connection's peer address; ``sub``: the verified JWT's subject (callers
    without a token fall back to their IP); ``header``: the value of ``header`` (requests
    without it fall back to their IP)."""
    header: str | None = None
    """The header naming the client when ``key`` is ``header`` (e.g. ``x-api-key``)."""

    @model_validator(mode="after")
    def _header_given(self) -> Self:
        if (self.key == "header") != (self.header is not None):
            raise ValueError("'header' is required with key: header, and only then")
        if self.header is not None:
            object.__setattr__(self, "header", self.header.lower())
        return self


class RateLimitConfig(BaseModel):
    """``rate_limit``: all buckets are off unless configured."""

    model_config = _FROZEN

    router: Bucket | None = None
    """One bucket for every request to the router (Apollo's ``traffic_shaping.router.
    global_rate_limit``). Over it: HTTP 429, ``REQUEST_RATE_LIMITED``, ``Retry-After``."""
    per_client: ClientBucket | None = None
    """One bucket per client. Over it: HTTP 429 as above."""
    all: Bucket | None = None
    """A bucket per subgraph, for every subgraph without its own entry in ``subgraphs``.
    Over it, that subgraph's fetch fails with ``REQUEST_RATE_LIMITED`` (partial data)."""
    subgraphs: dict[str, Bucket] = Field(default_factory=dict)
    """A bucket for one subgraph (by name), instead of ``all``."""

    @property
    def active(self) -> bool:
        return bool(self.router or self.per_client or self.all or self.subgraphs)
