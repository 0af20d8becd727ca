"""One call that puts token verification in front of a subgraph app."""

from __future__ import annotations

from ssl import SSLContext

from starlette.applications import Starlette

from polyshop.runtime.jwt import JwtVerifier
from subgraphs.kit.auth.middleware import TokenAuthMiddleware
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.auth.verifier import token_verifier_from_settings


def install_token_auth(
    app: Starlette,
    *,
    dev_mode: bool,
    settings: TokenSettings | None = None,
    verifier: JwtVerifier | None = None,
    ssl: SSLContext | None = None,
) -> JwtVerifier:
    """Adds the middleware (before the app starts) and returns the verifier, which the app's
    lifespan should close (``await verifier.aclose()``) to release its HTTP session.

    Requests without a token pass only when ``POLYSHOP_AUTH_ALLOW_ANONYMOUS`` says so or,
    when that is unset, in dev mode. ``ssl`` is the context of the JWKS fetches (the
    service's outgoing one, `subgraphs.kit.tls.outgoing_context`); unused with ``verifier``.
    """
    settings = settings or TokenSettings()
    verifier = verifier or token_verifier_from_settings(settings, ssl=ssl)
    app.add_middleware(
        TokenAuthMiddleware,
        verifier=verifier,
        allow_anonymous=settings.anonymous_allowed(dev_mode),
        gateway_clients=settings.gateway_clients,
    )
    return verifier
