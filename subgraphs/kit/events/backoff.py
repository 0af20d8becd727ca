"""Growing delays between retries: exponential, capped, with jitter so replicas spread out."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


def exponential_delay(attempt: int, *, initial: float, maximum: float) -> float:
    """``initial * 2**(attempt-1)`` capped at ``maximum``; ``attempt`` counts from 1."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return float(min(maximum, initial * 2.0 ** min(attempt - 1, 62)))


@dataclass(slots=True)
class Backoff:
    """Successive failures wait longer; `reset` after a success."""

    initial: float
    maximum: float
    jitter: float = 0.2
    attempt: int = field(default=0, init=False)

    def next_delay(self) -> float:
        self.attempt += 1
        base = exponential_delay(self.attempt, initial=self.initial, maximum=self.maximum)
        return base * (1 - self.jitter * random.random())

    def reset(self) -> None:
        self.attempt = 0
