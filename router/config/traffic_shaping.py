"""``traffic_shaping``: per-subgraph timeouts, retries, circuit breaker and pool size, with
Apollo Router's layout (``all``, then ``subgraphs.<name>`` overriding it key by key).

.. code-block:: yaml

    traffic_shaping:
      all:
        timeout: 10s             # else the flat subgraph_timeout setting (30 s)
        max_connections: 64      # requests in flight (and pool size) per subgraph
        retry:                   # queries only, never mutations
          attempts: 2
          min_per_sec: 10
          retry_percent: 0.2
          ttl: 10s
        circuit_breaker:
          enabled: true
          failure_threshold: 5   # consecutive failures that open it
          cool_down: 10s         # then one probe request (half-open)
      subgraphs:
        payments:
          timeout: 3s
          retry: {attempts: 0}

Circuit breakers and retry budgets are per router process (each replica and each worker
counts its own failures): see docs/decisions/0012-traffic-shaping-per-subgraph.md.

Durations are seconds (``2.5``) or strings with a unit (``500ms``, ``10s``, ``1m``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from router.execution.traffic import TrafficPolicy

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> Any:
    """``"500ms"``/``"10s"``/``"1m"``/``"1h"`` → seconds; numbers pass through."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration (seconds, or e.g. '500ms', '10s', '1m')")
        return float(match.group(1)) * _UNITS[match.group(2)]
    return value


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": _DURATION.pattern},
            ]
        }
    ),
]
"""Seconds, given as a number or as a string with a unit."""


class RetryConfig(BaseModel):
    """Retries of failed subgraph *queries* (never mutations: they are not idempotent), under a
    budget like Apollo's ``experimental_retry``: within any ``ttl`` window, retries may number
    at most ``min_per_sec * ttl + retry_percent * requests``. A failure is a refused or broken
    connection, a timeout, or HTTP 502/503/504."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    attempts: int | None = Field(default=None, ge=0, le=10)
    """Retries per request after the first attempt (0: none; default 0)."""
    min_per_sec: float | None = Field(default=None, ge=0)
    """Retries per second always allowed, whatever the traffic (default 10)."""
    retry_percent: float | None = Field(default=None, ge=0, le=1000)
    """Retries allowed as a share of requests in the window (default 0.2: one in five)."""
    ttl: Duration | None = Field(default=None, gt=0)
    """The budget's window (default 10 s)."""


class CircuitBreakerConfig(BaseModel):
    """Stop calling a failing subgraph: after ``failure_threshold`` consecutive failures the
    breaker opens and requests fail at once (``SUBGRAPH_CIRCUIT_OPEN``); after ``cool_down``
    one probe request goes through (half-open): a success closes it, a failure reopens it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool | None = None
    """Default false."""
    failure_threshold: int | None = Field(default=None, ge=1)
    """Consecutive failed requests that open the breaker (default 5)."""
    cool_down: Duration | None = Field(default=None, gt=0)
    """How long it stays open before a probe (default 10 s)."""


class SubgraphTrafficConfig(BaseModel):
    """Traffic policy of one subgraph (or of ``all``); unset keys inherit from ``all``."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    timeout: Duration | None = Field(default=None, gt=0)
    """Whole-request timeout (default: the ``subgraph_timeout`` setting)."""
    max_connections: int | None = Field(default=None, ge=1)
    """Requests in flight to this subgraph at most, all client requests together, each on a
    connection of its own pool of this size; more wait for a slot within the timeout, then
    fail (default 64). Replaces the flat ``subgraph_max_concurrency`` setting (an alias of
    ``all.max_connections`` now, see `router.config.moved`)."""
    retry: RetryConfig = Field(default_factory=RetryConfig)
    """Retries of failed queries."""
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
    """Fast failure while the subgraph is failing."""


class TrafficShapingConfig(BaseModel):
    """``all`` applies to every subgraph; ``subgraphs.<name>`` overrides it key by key."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    all: SubgraphTrafficConfig = Field(default_factory=SubgraphTrafficConfig)
    """Defaults for every subgraph."""
    subgraphs: dict[str, SubgraphTrafficConfig] = Field(default_factory=dict)
    """Per-subgraph overrides, by subgraph name."""

    def policy(self, subgraph: str, default_timeout: float) -> TrafficPolicy:
        """The effective policy of ``subgraph``: its section over ``all`` over the defaults
        (``default_timeout`` is the flat ``subgraph_timeout`` setting)."""
        own = self.subgraphs.get(subgraph, SubgraphTrafficConfig())
        base = self.all
        defaults = TrafficPolicy(timeout=default_timeout)

        def pick(name: str, section: str | None = None) -> Any:
            for layer in (own, base):
                holder = getattr(layer, section) if section else layer
                value = getattr(holder, name)
                if value is not None:
                    return value
            return None

        values: dict[str, Any] = {
            "timeout": pick("timeout"),
            "max_connections": pick("max_connections"),
            "retry_attempts": pick("attempts", "retry"),
            "retry_min_per_sec": pick("min_per_sec", "retry"),
            "retry_percent": pick("retry_percent", "retry"),
            "retry_ttl": pick("ttl", "retry"),
            "breaker_enabled": pick("enabled", "circuit_breaker"),
            "breaker_failure_threshold": pick("failure_threshold", "circuit_breaker"),
            "breaker_cool_down": pick("cool_down", "circuit_breaker"),
        }
        return dataclasses.replace(defaults, **{k: v for k, v in values.items() if v is not None})
