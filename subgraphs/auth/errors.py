"""Client errors specific to the auth service."""

from __future__ import annotations

from subgraphs.kit.errors import ServiceError

TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"


class TooManyRequests(ServiceError):
    """Too many failed logins; ``extensions.retryAfter`` says how many seconds to wait."""

    code = TOO_MANY_REQUESTS
