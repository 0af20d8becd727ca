"""TLS for a PolyShop process, for when no service mesh provides mTLS.

Each process (the router, every subgraph) may serve HTTPS that requires a client certificate
signed by a private CA, and present its own certificate on its outgoing calls. The callers'
settings name the files; this module turns them into `ssl.SSLContext` objects, uvicorn's
options and aiohttp sessions. TLS 1.2 is the floor on both sides.
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


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
