"""Errors of the security layer, shaped as GraphQL-over-HTTP answers (Apollo Router's codes)."""

from __future__ import annotations

from typing import Any

from polyshop.runtime.jwt import bearer_challenge

UNAUTHENTICATED = "UNAUTHENTICATED"
"""Apollo Router's JWT authentication answers invalid tokens with this code and HTTP 401."""
AUTH_ERROR = "AUTH_ERROR"
"""Apollo Router's ``require_authentication`` answers token-less requests with this code."""
UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
UNAUTHORIZED_MESSAGE = "Unauthorized field or type"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


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
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        """Why a sent token was refused (`polyshop.runtime.jwt.InvalidToken.reason`)."""
        self.code = code
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [graphql_error(self.message, self.code)]}


def invalid_token_error(reason: str, realm: str = "polyshop") -> AuthenticationError:
    """A bearer token was sent and failed verification (RFC 6750 ``invalid_token``): 401 with
    the reason in the challenge's ``error_description``."""
    challenge = bearer_challenge(realm, reason)
    return AuthenticationError(
        f"Invalid token: {reason}", headers={"WWW-Authenticate": challenge}, reason=reason
    )


def keys_unavailable_error(detail: str) -> AuthenticationError:
    """No signing key could be loaded: our outage, not the client's fault (HTTP 503)."""
    error = AuthenticationError(
        "Token signing keys are unavailable", code=SERVICE_UNAVAILABLE, status=503
    )
    error.add_note(detail)
    return error
