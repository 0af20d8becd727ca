"""Serving the router over TLS with client certificates, for when no mesh provides mTLS.

uvicorn builds the server context itself from these options (``PROTOCOL_TLS_SERVER``, whose
floor is TLS 1.2); with a client CA, a client without a certificate signed by it is refused
during the handshake, before any HTTP is read (`polyshop.runtime.tls`, shared with the kit).
"""

from __future__ import annotations

from typing import Any

from polyshop.runtime.tls import uvicorn_ssl_options
from router.settings import RouterSettings


def uvicorn_tls_options(settings: RouterSettings) -> dict[str, Any]:
    """``uvicorn.run``/``uvicorn.Config`` keyword arguments; empty when TLS is off."""
    return uvicorn_ssl_options(settings.tls_certfile, settings.tls_keyfile, settings.tls_client_ca)


def scheme(settings: RouterSettings) -> str:
    return "https" if settings.tls_certfile is not None else "http"
