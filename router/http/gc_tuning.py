"""Garbage-collector settings for a router process.

Profiling under load (bench/README.md) showed the cyclic collector taking ~20 % of busy CPU:
every request allocates many short-lived containers (parsed JSON, merged results), so the
default generation-0 threshold (700) runs collections constantly, and each one walks the
long-lived schema, plans and caches again. A higher threshold collects less often; freezing
moves everything alive after start-up (supergraph model, API schema) out of the collector's
sight. Reference counting still frees almost everything at once; only cycles wait longer.
"""

from __future__ import annotations

import gc


def tune_garbage_collector(threshold: int, *, freeze: bool) -> None:
    """Call once the supergraph and engine are built, before serving."""
    if freeze:
        gc.collect()
        gc.freeze()
    if threshold:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)
