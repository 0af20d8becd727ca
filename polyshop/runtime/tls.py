"""TLS for a PolyShop process, for when no service mesh provides mTLS.

Each process (the router, every subgraph) may serve HTTPS that requires a client certificate
signed by a private CA, and present its own certificate on its outgoing calls. The callers'
settings name the files; this module turns them into `ssl.SSLContext` objects, uvicorn's
options and aiohttp sessions. TLS 1.2 is the floor on both sides.
"""

from __future__ import annotations

import ssl
from typing import Any, Self

import aiohttp
from pydantic import model_validator
from pydantic_settings import BaseSettings

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class ServerTLSSettings(BaseSettings):
    """The serving side of a process's settings (`router.settings.RouterSettings`,
    `subgraphs.kit.settings.ServiceSettings`), read with the subclass's own prefix
    (``POLYSHOP_ROUTER_TLS_CERTFILE``, ``POLYSHOP_TLS_CERTFILE``)."""

    tls_certfile: str | None = None
    """Serve HTTPS with this PEM certificate chain."""
    tls_keyfile: str | None = None
    """Its private key, unless the chain file holds it."""
    tls_client_ca: str | None = None
    """Require client certificates signed by this CA bundle (mTLS)."""

    @model_validator(mode="after")
    def _server_tls_pair(self) -> Self:
        """A key or client CA without a certificate is a mistake, not plain HTTP."""
        if self.tls_certfile is None and (self.tls_keyfile or self.tls_client_ca):
            prefix = str(self.model_config.get("env_prefix", "")).upper()
            raise ValueError(f"{prefix}TLS_KEYFILE/TLS_CLIENT_CA need {prefix}TLS_CERTFILE")
        return self

    def uvicorn_ssl_options(self) -> dict[str, Any]:
        """`uvicorn_ssl_options` of these settings (empty: plain HTTP)."""
        return uvicorn_ssl_options(self.tls_certfile, self.tls_keyfile, self.tls_client_ca)

    @property
    def scheme(self) -> str:
        return "https" if self.tls_certfile is not None else "http"


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

    uvicorn builds its context from ``PROTOCOL_TLS_SERVER``, whose floor is TLS 1.2; with a
    client CA, a client without a certificate signed by it is refused during the handshake."""
    if certfile is None:
        return {}
    options: dict[str, Any] = {"ssl_certfile": certfile, "ssl_keyfile": keyfile}
    if client_ca is not None:
        options["ssl_ca_certs"] = client_ca
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
    return options


def client_session(
    ssl_context: ssl.SSLContext | None = None, *, timeout: aiohttp.ClientTimeout | None = None
) -> aiohttp.ClientSession:
    """An aiohttp session whose connections use ``ssl_context`` (e.g. one from
    `client_context`, presenting the process's certificate); aiohttp's defaults when None."""
    connector = aiohttp.TCPConnector(ssl=ssl_context) if ssl_context is not None else None
    if timeout is None:
        return aiohttp.ClientSession(connector=connector)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)
