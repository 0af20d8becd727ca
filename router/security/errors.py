"""Errors of the security layer, shaped as GraphQL-over-HTTP answers (Apollo Router's codes)."""

from __future__ import annotations

import re
from typing import Any

UNAUTHENTICATED = "UNAUTHENTICATED"
"""Apollo Router's JWT authentication answers invalid tokens with this code and HTTP 401."""
AUTH_ERROR = "AUTH_ERROR"
"""Apollo Router's ``require_authentication`` answers token-less requests with this code."""
UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
UNAUTHORIZED_MESSAGE = "Unauthorized field or type"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


CHALLENGE_DESCRIPTION_MAX = 200
_UNSAFE_IN_QUOTED = re.compile(r'[^\x20-\x7e]|["\\]')


def challenge_description(reason: str) -> str:
    """``reason`` made safe for a quoted ``error_description`` (RFC 6750 §3: printable ASCII
    without ``"`` and backslash) and bounded, whatever the token put into it."""
    text = _UNSAFE_IN_QUOTED.sub("?", reason)
    if len(text) > CHALLENGE_DESCRIPTION_MAX:
        text = text[: CHALLENGE_DESCRIPTION_MAX - 3] + "..."
    return text


def graphql_error(
    message: str, code: str, path: list[str | int] | None = None, **extensions: Any
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if path:
        error["path"] = path
    error["extensions"] = {"code": code, **extensions}
    return error


class AuthenticationError(Exception):
    """The request must stop at the edge: answer ``status`` with ``body()`` and ``headers``."""

    def __init__(
        self,
        message: str,
        *,
        code: str = UNAUTHENTICATED,
        status: int = 401,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [graphql_error(self.message, self.code)]}


class InvalidToken(AuthenticationError):
    """A bearer token was sent and failed verification (RFC 6750 ``invalid_token``)."""

    def __init__(self, reason: str, realm: str = "polyshop") -> None:
        description = challenge_description(reason)
        challenge = (
            f'Bearer realm="{realm}", error="invalid_token", error_description="{description}"'
        )
        super().__init__(f"Invalid token: {reason}", headers={"WWW-Authenticate": challenge})
        self.reason = reason


class KeysUnavailable(AuthenticationError):
    """No signing key could be loaded: our outage, not the client's fault (HTTP 503)."""

    def __init__(self, detail: str) -> None:
        super().__init__("Token signing keys are unavailable", code=SERVICE_UNAVAILABLE, status=503)
        self.detail = detail


class ServiceTokenError(Exception):
    """The router could not obtain its own client-credentials token."""
