"""The two errors of access control, shaped like every other client error of the kit."""

from __future__ import annotations

from subgraphs.kit.errors import ServiceError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


class Unauthenticated(ServiceError):
    """No valid credentials: the caller must (re)authenticate."""

    code = UNAUTHENTICATED


class Forbidden(ServiceError):
    """Valid credentials that do not grant this operation; retrying will not help."""

    code = FORBIDDEN
