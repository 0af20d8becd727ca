"""The auth service process: ``uvicorn subgraphs.auth.app:app`` (port 4001, ``auth_db``)."""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.auth.loaders import make_loaders
from subgraphs.auth.oauth import router as oauth_router
from subgraphs.auth.runtime import RuntimeKeys, auth_runtime
from subgraphs.auth.schema import schema
from subgraphs.auth.settings import AuthSettings, get_auth_settings
from subgraphs.kit.app import create_service_app
from subgraphs.kit.auth import TokenAuthMiddleware, token_verifier


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """The kit's app plus the token endpoints and the runtime (keys, hashing, throttle).

    Tokens are optional here (sign-up and sign-in come without one) and a stale token is
    ignored rather than refused, so a client can refresh while still sending it; resolvers
    that need a caller check for one.
    """
    settings = settings or get_auth_settings()
    app = create_service_app(
        "auth",
        schema,
        settings,
        loaders_factory=make_loaders,
        resources=auth_runtime,
        verify_tokens=False,
    )
    app.include_router(oauth_router)
    verifier = token_verifier(
        RuntimeKeys(app),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        algorithms=[settings.auth_signing_algorithm],
        leeway_seconds=settings.auth_leeway_seconds,
        max_lifetime_seconds=settings.auth_max_token_lifetime_seconds,
    )
    app.add_middleware(
        TokenAuthMiddleware,
        verifier=verifier,
        allow_anonymous=True,
        invalid_token_as_anonymous=True,
        gateway_clients=settings.auth_gateway_clients,
    )
    return app


app = create_app()
