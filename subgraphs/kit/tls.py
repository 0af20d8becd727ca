"""TLS with client certificates for a service, for when no service mesh provides mTLS.

Production relies on a mesh; without one, each process can serve HTTPS that requires a
certificate signed by a private CA (``tls_client_ca``), and present its own certificate on its
outgoing calls (``tls_client_certfile``). The settings live in `subgraphs.kit.settings`; this
module turns them into `ssl.SSLContext` objects and uvicorn options. TLS 1.2 is the floor on
both sides.
"""

from __future__ import annotations

import ssl
from typing import Any, Protocol

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class ServerTLSSettings(Protocol):
    """The server side of `subgraphs.kit.settings.ServiceSettings`."""

    @property
    def tls_certfile(self) -> str | None: ...
    @property
    def tls_keyfile(self) -> str | None: ...
    @property
    def tls_client_ca(self) -> str | None: ...


class ClientTLSSettings(Protocol):
    """The outgoing-call side of `subgraphs.kit.settings.ServiceSettings`."""

    @property
    def tls_ca(self) -> str | None: ...
    @property
    def tls_client_certfile(self) -> str | None: ...
    @property
    def tls_client_keyfile(self) -> str | None: ...


def server_context(
    certfile: str, keyfile: str | None = None, client_ca: str | None = None
) -> ssl.SSLContext:
    """A server context; with ``client_ca`` a client without a certificate from that CA is
    refused during the handshake (``CERT_REQUIRED``), before any HTTP is read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_VERSION
    context.load_cert_chain(certfile, keyfile)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


def client_context(
    ca: str | None = None, certfile: str | None = None, keyfile: str | None = None
) -> ssl.SSLContext:
    """A client context verifying the server (against ``ca`` only, when given, else the
    system's roots) and presenting ``certfile`` when given."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = MINIMUM_VERSION
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile)
    return context


def uvicorn_ssl_options(
    certfile: str | None, keyfile: str | None = None, client_ca: str | None = None
) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.run``/``uvicorn.Config``; empty when TLS is off.

    uvicorn builds its context from ``PROTOCOL_TLS_SERVER``, whose floor is TLS 1.2."""
    if certfile is None:
        return {}
    options: dict[str, Any] = {"ssl_certfile": certfile, "ssl_keyfile": keyfile}
    if client_ca is not None:
        options["ssl_ca_certs"] = client_ca
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
    return options


def server_options(settings: ServerTLSSettings) -> dict[str, Any]:
    """uvicorn keyword arguments from a service's settings (empty: plain HTTP)."""
    return uvicorn_ssl_options(settings.tls_certfile, settings.tls_keyfile, settings.tls_client_ca)


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
    "client_context",
    "outgoing_context",
    "server_context",
    "server_options",
    "uvicorn_ssl_options",
]
