"""The security layer as the HTTP layer and the engine use it: one object per router process.

Hooks, in request order:

1. HTTP layer, before the engine: ``principal = await security.authenticate(headers)``;
   `AuthenticationError` → answer ``error.status`` with ``error.body()`` and ``error.headers``.
2. Engine, after validation and before planning:
   ``result = await security.authorizer(supergraph).authorize(document, name, principal,
   cache_key=query)``; answer ``result.early_response(variables)`` if it is not None, else plan
   ``result.document``, project with `add_null_fields` and add ``result.errors(variables)``.
3. Engine/executor, per request before fetching:
   ``headers = await security.subgraph_headers(context.headers, principal)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from polyshop.runtime.jwks import JwksKeySet
from polyshop.runtime.jwt import JwtPolicy, JwtVerifier
from polyshop.runtime.principal import Principal
from polyshop.runtime.tokens import ClientCredentialsTokenClient

from ..supergraph.model import Supergraph
from .authorization import AuthorizationConfig, Authorizer
from .jwt import JwtAuthenticator, JwtConfig
from .policies import ClaimsPolicyEvaluator, PolicyEvaluator
from .propagation import SubgraphIdentity
from .settings import SecuritySettings


class SecurityLayer:
    def __init__(
        self,
        settings: SecuritySettings | None = None,
        *,
        policy_evaluator: PolicyEvaluator | None = None,
    ) -> None:
        self.settings = settings or SecuritySettings()
        self.policy_evaluator = policy_evaluator or ClaimsPolicyEvaluator(
            self.settings.policy_claims
        )
        self._session: aiohttp.ClientSession | None = None
        self._keys: JwksKeySet | None = None
        self._authenticator: JwtAuthenticator | None = None
        self._identity = SubgraphIdentity()
        self._authorizers: dict[str, Authorizer] = {}

    async def start(self) -> None:
        """Opens the HTTP session, loads the JWKS and starts refreshing it."""
        settings = self.settings
        self._session = aiohttp.ClientSession()
        if settings.jwks_urls:
            self._keys = JwksKeySet(
                settings.jwks_urls,
                session=self._session,
                cache_seconds=settings.jwks_cache_seconds,
                min_refresh_seconds=settings.jwks_min_refresh_seconds,
                timeout_seconds=settings.jwks_timeout_seconds,
            )
            await self._keys.start()
            policy = JwtPolicy(
                issuers=settings.issuers,
                audiences=settings.audiences,
                algorithms=frozenset(settings.algorithms),
                leeway_seconds=settings.leeway_seconds,
                max_token_lifetime_seconds=settings.max_token_lifetime_seconds,
            )
            config = JwtConfig(
                header_name=settings.header_name,
                header_prefix=settings.header_prefix,
                sources=settings.token_sources,
                require_authentication=settings.require_authentication,
            )
            self._authenticator = JwtAuthenticator(JwtVerifier(self._keys, policy), config)
        token_url, client_id, secret = (
            settings.token_url,
            settings.client_id,
            settings.client_secret,
        )
        if token_url and client_id and secret:
            self._identity = SubgraphIdentity(
                ClientCredentialsTokenClient(
                    token_url,
                    client_id,
                    secret.get_secret_value(),
                    scope=settings.client_scope,
                    session=self._session,
                    refresh_margin_seconds=settings.token_refresh_margin_seconds,
                    timeout_seconds=settings.token_timeout_seconds,
                )
            )

    async def aclose(self) -> None:
        if self._keys is not None:
            await self._keys.aclose()
            self._keys = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        """None without a token (or when no JWKS is configured: tokens are not read then)."""
        if self._authenticator is None:
            return None
        return await self._authenticator.authenticate(headers)

    def authorizer(self, supergraph: Supergraph) -> Authorizer:
        """The authorizer of one supergraph version (kept across hot reloads by hash)."""
        authorizer = self._authorizers.get(supergraph.schema_hash)
        if authorizer is None:
            authorizer = Authorizer(
                supergraph,
                AuthorizationConfig(
                    enabled=self.settings.directives,
                    reject_unauthorized=self.settings.reject_unauthorized,
                ),
                self.policy_evaluator,
            )
            self._authorizers = {supergraph.schema_hash: authorizer}
        return authorizer

    async def subgraph_headers(
        self, propagated: Mapping[str, str], principal: Principal | None
    ) -> dict[str, str]:
        return await self._identity.headers(propagated, principal)
