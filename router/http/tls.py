"""Serving the router over TLS with client certificates, for when no mesh provides mTLS.

uvicorn builds the server context itself from these options (``PROTOCOL_TLS_SERVER``, whose
floor is TLS 1.2); with a client CA, a client without a certificate signed by it is refused
during the handshake, before any HTTP is read.
"""

from __future__ import annotations

import ssl
from typing import Any

from router.settings import RouterSettings


def uvicorn_tls_options(settings: RouterSettings) -> dict[str, Any]:
    """``uvicorn.run``/``uvicorn.Config`` keyword arguments; empty when TLS is off."""
    if settings.tls_certfile is None:
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": settings.tls_certfile,
        "ssl_keyfile": settings.tls_keyfile,
    }
    if settings.tls_client_ca is not None:
        options["ssl_ca_certs"] = settings.tls_client_ca
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
    return options


def scheme(settings: RouterSettings) -> str:
    return "https" if settings.tls_certfile is not None else "http"
