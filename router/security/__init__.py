"""The router's security layer: JWT at the edge, authorization directives, subgraph identity.

`SecurityLayer` (see `router.security.layer` for the hooks the HTTP layer and engine call)
ties together `JwtAuthenticator` (JWKS-backed verification), `Authorizer` (the
``@authenticated``/``@requiresScopes``/``@policy`` filter run before planning) and
`SubgraphIdentity` (service token plus ``X-PolyShop-User-*`` headers).
"""

from polyshop.runtime.jwt import JwtPolicy, JwtVerifier
from polyshop.runtime.principal import Principal
from polyshop.runtime.tokens import ClientCredentialsTokenClient, TokenRequestError

from .authorization import AuthorizationConfig, AuthorizationResult, Authorizer
from .errors import (
    AUTH_ERROR,
    UNAUTHENTICATED,
    UNAUTHORIZED_FIELD_OR_TYPE,
    AuthenticationError,
    invalid_token_error,
    keys_unavailable_error,
)
from .jwt import JwtAuthenticator, JwtConfig
from .layer import SecurityLayer
from .nulls import add_null_fields
from .operation_filter import RemovedField, Unauthorized
from .policies import ClaimsPolicyEvaluator, PolicyEvaluator
from .propagation import (
    USER_ID_HEADER,
    USER_TOKEN_HEADER,
    SubgraphIdentity,
    subgraph_headers,
)
from .rules import Access, AuthorizationRules
from .settings import SecuritySettings

__all__ = [
    "AUTH_ERROR",
    "UNAUTHENTICATED",
    "UNAUTHORIZED_FIELD_OR_TYPE",
    "USER_ID_HEADER",
    "USER_TOKEN_HEADER",
    "Access",
    "AuthenticationError",
    "AuthorizationConfig",
    "AuthorizationResult",
    "AuthorizationRules",
    "Authorizer",
    "ClaimsPolicyEvaluator",
    "ClientCredentialsTokenClient",
    "JwtAuthenticator",
    "JwtConfig",
    "JwtPolicy",
    "JwtVerifier",
    "PolicyEvaluator",
    "Principal",
    "RemovedField",
    "SecurityLayer",
    "SecuritySettings",
    "SubgraphIdentity",
    "TokenRequestError",
    "Unauthorized",
    "add_null_fields",
    "invalid_token_error",
    "keys_unavailable_error",
    "subgraph_headers",
]
