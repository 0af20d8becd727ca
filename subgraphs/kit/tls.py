"""TLS with client certificates for a service, for when no service mesh provides mTLS.

Production relies on a mesh; without one, each process can serve HTTPS that requires a
certificate signed by a private CA (``tls_client_ca``), and present its own certificate on its
outgoing calls (``tls_client_certfile``). The settings live in `subgraphs.kit.settings`; this
module reads them; the contexts themselves come from `polyshop.runtime.tls` (shared with the
router). TLS 1.2 is the floor on both sides.
"""

from __future__ import annotations

import ssl
from typing import Protocol

from polyshop.runtime.tls import (
    MINIMUM_VERSION,
    ServerTLSSettings,
    client_context,
    client_session,
    server_context,
    uvicorn_ssl_options,
)


class ClientTLSSettings(Protocol):
    """The outgoing-call side of `subgraphs.kit.settings.ServiceSettings`."""

    @property
    def tls_ca(self) -> str | None: ...
    @property
    def tls_client_certfile(self) -> str | None: ...
    @property
    def tls_client_keyfile(self) -> str | None: ...


def outgoing_context(settings: ClientTLSSettings) -> ssl.SSLContext | None:
    """The context of a service's own calls (other services, the auth token and JWKS
    endpoints); None when nothing is configured, so clients keep their defaults."""
    if settings.tls_ca is None and settings.tls_client_certfile is None:
        return None
    return client_context(
        settings.tls_ca, settings.tls_client_certfile, settings.tls_client_keyfile
    )


__all__ = [
    "MINIMUM_VERSION",
    "ServerTLSSettings",
    "client_context",
    "client_session",
    "outgoing_context",
    "server_context",
    "uvicorn_ssl_options",
]
