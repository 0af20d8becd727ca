"""``authentication``: how the router reads client tokens, in Apollo Router's layout.

.. code-block:: yaml

    authentication:
      router:
        jwt:
          jwks:
            - url: https://auth.example.com/.well-known/jwks.json
              issuer: https://auth.example.com
              audiences: [polyshop]
              poll_interval: 60s       # how often the key set is fetched again
              algorithms: [RS256]
          header_name: Authorization   # where the token is (default)
          header_value_prefix: Bearer  # its scheme (default)
          sources:                     # also looked at, in order, when that header is absent
            - type: cookie
              name: polyshop_token
            - type: header
              name: X-Api-Token
              value_prefix: ""         # the whole value is the token

It is a view over the security settings (`router.security.settings.SecuritySettings`, the
``POLYSHOP_ROUTER_AUTH_*`` variables), which keep working and win over the file key by key:
``jwks[].url`` → ``JWKS_URLS``, ``issuer`` → ``ISSUERS``, ``audiences`` → ``AUDIENCES``,
``algorithms`` → ``ALGORITHMS``, ``poll_interval`` → ``JWKS_CACHE_SECONDS``, ``header_name``
→ ``HEADER_NAME``, ``header_value_prefix`` → ``HEADER_PREFIX``, ``sources`` →
``TOKEN_SOURCES``. Secrets (the router's own client secret) stay out of the file.

One difference from Apollo Router: the router checks ``iss`` and ``aud`` against one list for
every key set, not per key set, so the entries of ``jwks`` must agree on ``issuer`` and
``audiences`` (a configuration where they differ is refused at start rather than loosened).
The section is read when the process starts; a reloaded file that changes it waits for a
restart.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from polyshop.runtime.jwt import ASYMMETRIC_ALGORITHMS
from router.config.traffic_shaping import Duration
from router.security.jwt import TokenSource


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class JwksConfig(_Section):
    """One JSON Web Key Set."""

    url: str = Field(min_length=1)
    """Where the key set is fetched (http, https)."""
    issuer: str | None = None
    """The ``iss`` its tokens must carry (none: not checked)."""
    audiences: tuple[str, ...] | None = None
    """The ``aud`` values accepted (none: not checked)."""
    poll_interval: Duration | None = Field(default=None, gt=0)
    """How often the key set is fetched again (default 300 s)."""
    algorithms: tuple[str, ...] | None = None
    """Signature algorithms accepted (default: every asymmetric one)."""

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the JWKS url must be http:// or https://")
        return value

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = sorted(set(value or ()) - ASYMMETRIC_ALGORITHMS)
        if unknown:
            raise ValueError(
                f"only asymmetric algorithms are accepted "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}), not {', '.join(unknown)}"
            )
        return value


class TokenSourceConfig(_Section):
    """Another place the token may be (Apollo Router's ``sources``)."""

    type: Literal["header", "cookie"]
    name: str = Field(min_length=1)
    value_prefix: str = "Bearer"
    """For a header: the scheme before the token (empty: the whole value is the token)."""

    def source(self) -> TokenSource:
        return TokenSource(self.type, self.name, self.value_prefix)


class JwtSection(_Section):
    jwks: tuple[JwksConfig, ...] = ()
    """The key sets tokens are verified with; none: tokens are not read."""
    header_name: str | None = None
    """The header holding the token (default ``Authorization``)."""
    header_value_prefix: str | None = None
    """Its scheme (default ``Bearer``)."""
    sources: tuple[TokenSourceConfig, ...] = ()
    """Other places the token may be, looked at in order when ``header_name`` is absent."""

    @model_validator(mode="after")
    def _one_issuer_policy(self) -> Self:
        issuers = {entry.issuer for entry in self.jwks}
        audiences = {entry.audiences for entry in self.jwks}
        if len(issuers) > 1 or len(audiences) > 1:
            raise ValueError(
                "every jwks entry must name the same issuer and audiences: the router checks "
                "them against all key sets together (see docs/router.md, authentication)"
            )
        return self


class RouterAuthentication(_Section):
    jwt: JwtSection | None = None
    """JWT authentication of client requests."""


class AuthenticationConfig(_Section):
    """Apollo Router's ``authentication`` (``router.jwt``)."""

    router: RouterAuthentication = Field(default_factory=RouterAuthentication)

    def security_values(self) -> dict[str, object]:
        """The `SecuritySettings` values this section gives (only the keys it sets)."""
        jwt = self.router.jwt
        if jwt is None:
            return {}
        values: dict[str, object] = {}
        if jwt.jwks:
            values["jwks_urls"] = tuple(entry.url for entry in jwt.jwks)
            first = jwt.jwks[0]
            if first.issuer is not None:
                values["issuers"] = (first.issuer,)
            if first.audiences is not None:
                values["audiences"] = first.audiences
            algorithms = {a for entry in jwt.jwks for a in entry.algorithms or ()}
            if algorithms and all(entry.algorithms for entry in jwt.jwks):
                values["algorithms"] = tuple(sorted(algorithms))
            polls = [entry.poll_interval for entry in jwt.jwks if entry.poll_interval]
            if polls:
                values["jwks_cache_seconds"] = min(polls)
        if jwt.header_name is not None:
            values["header_name"] = jwt.header_name
        if jwt.header_value_prefix is not None:
            values["header_prefix"] = jwt.header_value_prefix
        if jwt.sources:
            values["token_sources"] = tuple(source.source() for source in jwt.sources)
        return values
