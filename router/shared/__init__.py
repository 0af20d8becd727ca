"""State shared by router replicas (Redis when ``POLYSHOP_REDIS_URL`` is set): `state`."""

from router.shared.state import (
    KEY_PREFIX,
    UNAVAILABLE,
    SharedState,
    SharedStateObserver,
    as_text,
)

__all__ = ["KEY_PREFIX", "UNAVAILABLE", "SharedState", "SharedStateObserver", "as_text"]
