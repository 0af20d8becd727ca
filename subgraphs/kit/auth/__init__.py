"""Token verification for every subgraph, and a service's own client-credentials token.

A subgraph calls `install_token_auth(app, dev_mode=...)`, which puts `TokenAuthMiddleware`
with a `JwtVerifier` (`token_verifier_from_settings`: the auth service's JWKS, fetched and
cached) in front of
``/graphql``; the context getter takes `request_identity(request)`; resolvers read the
caller with `identity_of(info)` and check it with `require_scopes`/`require_role`.
Services calling each other use `ClientCredentialsTokenClient`. The verifier, the key set, the
token client and `Principal` are the platform's (`polyshop.runtime`, shared with the router);
this package re-exports them so that a service imports only the kit.
"""

from polyshop.runtime.jwks import JwksKeySet, KeySource, KeysUnavailable, parse_jwks
from polyshop.runtime.jwt import InvalidToken, JwtVerifier
from polyshop.runtime.principal import Principal
from polyshop.runtime.tls import client_session
from polyshop.runtime.tokens import ClientCredentialsTokenClient, TokenRequestError
from subgraphs.kit.auth.errors import FORBIDDEN, UNAUTHENTICATED, Forbidden, Unauthenticated
from subgraphs.kit.auth.guards import (
    HasRole,
    HasScopes,
    IsAuthenticated,
    identity_of,
    require_grant,
    require_identity,
    require_role,
    require_scopes,
    require_user,
)
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.middleware import (
    TokenAuthMiddleware,
    bearer_token,
    request_caller,
    request_identity,
)
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.auth.verifier import token_verifier, token_verifier_from_settings

__all__ = [
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "ClientCredentialsTokenClient",
    "Forbidden",
    "HasRole",
    "HasScopes",
    "InvalidToken",
    "IsAuthenticated",
    "JwksKeySet",
    "JwtVerifier",
    "KeySource",
    "KeysUnavailable",
    "Principal",
    "TokenAuthMiddleware",
    "TokenRequestError",
    "TokenSettings",
    "Unauthenticated",
    "bearer_token",
    "client_session",
    "identity_of",
    "install_token_auth",
    "parse_jwks",
    "request_caller",
    "request_identity",
    "require_grant",
    "require_identity",
    "require_role",
    "require_scopes",
    "require_user",
    "token_verifier",
    "token_verifier_from_settings",
]
