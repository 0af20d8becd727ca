"""Plain-HTTP endpoints: the JWKS and the OAuth2 token endpoint (client credentials only).

The token endpoint follows RFC 6749: form-encoded request (§3.2), client authentication by
HTTP Basic or by ``client_id``/``client_secret`` in the body but never both (§2.3), the
client-credentials grant (§4.4), JSON success and error responses (§5.1, §5.2) that are
never cached.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from subgraphs.auth.clients import authenticate_client, valid_scope_token
from subgraphs.auth.runtime import runtime_of
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.auth.oauth")

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = "polyshop"


class OAuthError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400, basic: bool = False):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.basic = basic

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.basic:
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    client_id: str
    secret: str
    basic: bool


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    runtime = runtime_of(request.app)
    max_age = runtime.settings.auth_jwks_max_age_seconds
    return JSONResponse(
        await runtime.keyring.jwks(),
        headers={"Cache-Control": f"public, max-age={max_age}"},
        media_type="application/jwk-set+json",
    )


@router.post("/oauth/token")
async def token(request: Request) -> JSONResponse:
    try:
        return await _token(request)
    except OAuthError as exc:
        log.info("oauth.token_refused", error=exc.error, description=exc.description)
        return exc.response()


async def _token(request: Request) -> JSONResponse:
    runtime = runtime_of(request.app)
    params = await _form(request)
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    credentials = _client_credentials(request.headers.get("authorization"), params)
    async with runtime.sessionmaker() as session:
        client = await authenticate_client(session, credentials.client_id, credentials.secret)
    if client is None:
        raise OAuthError(
            "invalid_client", "Client authentication failed", status=401, basic=credentials.basic
        )
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    scopes = _scopes(params.get("scope"), client.allowed_scopes)
    issued = await runtime.issuer.for_client(client.client_id, scopes, runtime.clock())
    body: dict[str, Any] = {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    log.info("oauth.token_issued", client_id=client.client_id, scope=issued.scope)
    return JSONResponse(body, headers=NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise OAuthError("invalid_request", f"The request body must be {FORM}")
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The request body is not UTF-8") from None
    repeated = sorted(name for name, count in Counter(n for n, _ in pairs).items() if count > 1)
    if repeated:
        raise OAuthError("invalid_request", f"Repeated parameter: {', '.join(repeated)}")
    return dict(pairs)


def _client_credentials(authorization: str | None, params: dict[str, str]) -> ClientCredentials:
    in_body = "client_id" in params or "client_secret" in params
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise OAuthError("invalid_client", "Use HTTP Basic client authentication", status=401)
        if in_body:
            raise OAuthError("invalid_request", "Use one client authentication method, not two")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                "invalid_client", "Malformed Basic credentials", status=401, basic=True
            ) from None
        client_id, colon, secret = decoded.partition(":")
        if not colon or not client_id:
            raise OAuthError(
                "invalid_client", "Malformed Basic credentials", status=401, basic=True
            )
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), basic=True)
    form_id, form_secret = params.get("client_id"), params.get("client_secret")
    if not form_id or form_secret is None:
        raise OAuthError("invalid_client", "Client authentication is required", status=401)
    return ClientCredentials(form_id, form_secret, basic=False)


def _scopes(requested: str | None, allowed: list[str]) -> list[str]:
    """The requested scopes if all are allowed; all allowed scopes when none is asked for."""
    if requested is None or not requested.strip():
        return list(allowed)
    wanted = requested.split(" ")
    if any(not valid_scope_token(scope) for scope in wanted):
        raise OAuthError("invalid_scope", "The scope parameter is malformed")
    refused = sorted(set(wanted) - set(allowed))
    if refused:
        raise OAuthError("invalid_scope", f"Scope not allowed for this client: {' '.join(refused)}")
    return wanted
