"""The ``cors`` section of ``router.yaml``, shaped like Apollo Router's (2.x, with ``policies``).

Which web pages (origins) may call the router from a browser. An origin is allowed when
``allow_any_origin`` is on, or when a policy lists it in ``origins`` or matches it with one of
its ``match_origins`` regular expressions (first matching policy wins). A policy's own
``allow_credentials``, ``allow_headers``, ``expose_headers``, ``methods`` and ``max_age``
override the section-wide ones; unset, the section's apply.

The default allows the dev stack's storefront only (``http://localhost:4010`` and
``http://127.0.0.1:4010``); GraphiQL is served by the router itself (same origin, no CORS).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

DEFAULT_METHODS = ("GET", "POST", "OPTIONS")
STOREFRONT_PORT = 4010
"""The dev stack's storefront (``polyshop up``, before ``POLYSHOP_PORT_OFFSET``)."""
DEFAULT_ORIGINS = (f"http://localhost:{STOREFRONT_PORT}", f"http://127.0.0.1:{STOREFRONT_PORT}")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def _duration(value: Any) -> Any:
    """Apollo Router writes durations as ``"30s"``, ``"10m"``, ``"24h"``; bare numbers are
    seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f'\'{value}\' is not a duration (e.g. 600, "30s", "10m", "24h")')
        return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _upper(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(v.upper() for v in values)


def _check_regexes(patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"match_origins: '{pattern}' is not a regular expression: {error}"
            ) from error


class CorsPolicy(BaseModel):
    """Origins allowed together, with optional settings of their own."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    origins: tuple[str, ...] = ()
    """Exact origins (scheme://host[:port]) allowed by this policy."""
    match_origins: tuple[str, ...] = ()
    """Regular expressions; an origin matching one (in full) is allowed by this policy."""
    allow_credentials: bool | None = None
    """Overrides the section's ``allow_credentials`` for these origins."""
    allow_headers: tuple[str, ...] | None = None
    """Overrides the section's ``allow_headers`` for these origins."""
    expose_headers: tuple[str, ...] | None = None
    """Overrides the section's ``expose_headers`` for these origins."""
    methods: tuple[str, ...] | None = None
    """Overrides the section's ``methods`` for these origins."""
    max_age: Duration | None = None
    """Overrides the section's ``max_age`` for these origins."""

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _check_regexes(self.match_origins)
        object.__setattr__(self, "methods", _upper(self.methods))
        return self


class CorsConfig(BaseModel):
    """Cross-origin resource sharing: which browser origins may call the router."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    allow_any_origin: bool = False
    """Answer every origin with ``Access-Control-Allow-Origin: *`` (public APIs and local
    development). Cannot be combined with ``allow_credentials``."""
    allow_credentials: bool = False
    """Let browsers send cookies and HTTP authentication (``Access-Control-Allow-Credentials``)."""
    allow_headers: tuple[str, ...] = ()
    """Request headers a page may send; empty: whatever the preflight asks for
    (``Access-Control-Request-Headers`` is mirrored), as Apollo Router does."""
    expose_headers: tuple[str, ...] = ()
    """Response headers a page may read besides the CORS-safelisted ones."""
    methods: tuple[str, ...] = DEFAULT_METHODS
    """Methods allowed cross-origin."""
    max_age: Duration | None = None
    """How long a browser may cache a preflight answer (``Access-Control-Max-Age``); e.g.
    ``"24h"``. Unset: the browser's default (5 s in Chromium)."""
    policies: tuple[CorsPolicy, ...] = Field(
        default_factory=lambda: (CorsPolicy(origins=DEFAULT_ORIGINS),)
    )
    """Allowed origins and their settings; the first policy matching an origin applies."""

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.allow_any_origin and (
            self.allow_credentials or any(p.allow_credentials for p in self.policies)
        ):
            raise ValueError(
                "allow_credentials cannot be combined with allow_any_origin: browsers refuse "
                "credentials with 'Access-Control-Allow-Origin: *'; list the origins instead"
            )
        object.__setattr__(self, "methods", _upper(self.methods))
        return self
