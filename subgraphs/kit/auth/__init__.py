"""Token verification for every subgraph, and a service's own client-credentials token.

A subgraph calls `install_token_auth(app, dev_mode=...)`, which puts `TokenAuthMiddleware`
with a `TokenVerifier` (JWKS fetched from the auth service and cached) in front of
``/graphql``; the context getter takes `request_identity(request)`; resolvers read the
caller with `identity_of(info)` and check it with `require_scopes`/`require_role`.
Services calling each other use `ClientCredentialsTokenClient`.
"""

from subgraphs.kit.auth.client import ClientCredentialsTokenClient, TokenRequestError
from subgraphs.kit.auth.errors import (
    FORBIDDEN,
    UNAUTHENTICATED,
    Forbidden,
    InvalidToken,
    KeysUnavailable,
    Unauthenticated,
)
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
from subgraphs.kit.auth.identity import Identity
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.jwks import JwksCache, KeySource, parse_jwks
from subgraphs.kit.auth.middleware import (
    TokenAuthMiddleware,
    bearer_token,
    request_caller,
    request_identity,
)
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.auth.verifier import TokenVerifier

__all__ = [
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "ClientCredentialsTokenClient",
    "Forbidden",
    "HasRole",
    "HasScopes",
    "Identity",
    "InvalidToken",
    "IsAuthenticated",
    "JwksCache",
    "KeySource",
    "KeysUnavailable",
    "TokenAuthMiddleware",
    "TokenRequestError",
    "TokenSettings",
    "TokenVerifier",
    "Unauthenticated",
    "bearer_token",
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
]
