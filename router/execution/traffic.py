"""Traffic shaping of subgraph requests: the resolved policy, the retry budget, the breaker.

One `SubgraphTraffic` per subgraph and engine (a reloaded configuration builds new ones, so
their state starts afresh). The fetcher asks it before each attempt (`CircuitBreaker.allow`)
and tells it how each attempt ended; retries of queries draw on a `RetryBudget` so that a
struggling subgraph never sees more than ``retry_percent`` extra load (plus a small floor).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({502, 503, 504})
"""HTTP answers worth another attempt: the subgraph (or its proxy) was unavailable."""
CIRCUIT_OPEN = "SUBGRAPH_CIRCUIT_OPEN"
"""``extensions.code`` of a request refused because the subgraph's breaker is open."""

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class TrafficPolicy:
    """The effective policy of one subgraph (``all`` merged with its own section)."""

    timeout: float = 30.0
    max_connections: int = 64
    """Requests in flight to the subgraph at most, each on a connection of a pool this size."""
    retry_attempts: int = 0
    retry_min_per_sec: float = 10.0
    retry_percent: float = 0.2
    retry_ttl: float = 10.0
    breaker_enabled: bool = False
    breaker_failure_threshold: int = 5
    breaker_cool_down: float = 10.0


class RetryBudget:
    """A sliding-window budget (like Tower's and Apollo's): every first attempt deposits one
    request, every retry withdraws one; a retry is allowed while the window's retries stay
    below ``min_per_sec * ttl + retry_percent * requests``. The window is kept in ten slots
    of ``ttl / 10`` seconds, so bookkeeping is O(1) per request."""

    SLOTS = 10

    def __init__(
        self, min_per_sec: float, retry_percent: float, ttl: float, clock: Clock = time.monotonic
    ) -> None:
        self.reserve = min_per_sec * ttl
        self.percent = retry_percent
        self.slot_seconds = ttl / self.SLOTS
        self.clock = clock
        self._requests = [0] * self.SLOTS
        self._retries = [0] * self.SLOTS
        self._epoch = self._now_slot()

    def _now_slot(self) -> int:
        return int(self.clock() / self.slot_seconds)

    def _advance(self) -> int:
        now = self._now_slot()
        stale = min(now - self._epoch, self.SLOTS)
        for step in range(1, stale + 1):
            index = (self._epoch + step) % self.SLOTS
            self._requests[index] = 0
            self._retries[index] = 0
        self._epoch = max(self._epoch, now)
        return now % self.SLOTS

    def deposit(self) -> None:
        """A first attempt was made."""
        self._requests[self._advance()] += 1

    def withdraw(self) -> bool:
        """Take one retry from the budget; False (and nothing taken) when it is spent."""
        index = self._advance()
        allowed = self.reserve + self.percent * sum(self._requests)
        if sum(self._retries) + 1 > allowed:
            return False
        self._retries[index] += 1
        return True


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Consecutive-failure breaker with a single half-open probe.

    ``allow()`` before a request: True when closed; when open, False until ``cool_down`` has
    passed, then True for exactly one caller (the probe; the state is half-open and others
    are refused until it reports). ``success()``/``failure()`` after it."""

    def __init__(self, threshold: int, cool_down: float, clock: Clock = time.monotonic) -> None:
        self.threshold = threshold
        self.cool_down = cool_down
        self.clock = clock
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.on_change: Callable[[BreakerState], None] | None = None

    def allow(self) -> bool:
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.cool_down:
            self._set(BreakerState.HALF_OPEN)
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        if self.state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED)

    def failure(self) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or (
            self.state is BreakerState.CLOSED and self.failures >= self.threshold
        ):
            self.opened_at = self.clock()
            self._set(BreakerState.OPEN)

    def abandoned(self) -> None:
        """A request ended without an outcome (cancelled): if it was the probe, the next
        request may probe at once instead of the breaker staying half-open for ever."""
        if self.state is BreakerState.HALF_OPEN:
            self.opened_at = self.clock() - self.cool_down
            self._set(BreakerState.OPEN)

    def _set(self, state: BreakerState) -> None:
        self.state = state
        if self.on_change is not None:
            self.on_change(state)


class SubgraphTraffic:
    """The state of one subgraph's policy: its budget and breaker (None when unused)."""

    __slots__ = ("breaker", "budget", "policy")

    def __init__(self, policy: TrafficPolicy, clock: Clock = time.monotonic) -> None:
        self.policy = policy
        self.budget = (
            RetryBudget(policy.retry_min_per_sec, policy.retry_percent, policy.retry_ttl, clock)
            if policy.retry_attempts > 0
            else None
        )
        self.breaker = (
            CircuitBreaker(policy.breaker_failure_threshold, policy.breaker_cool_down, clock)
            if policy.breaker_enabled
            else None
        )
