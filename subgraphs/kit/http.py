"""The HTTP protocol every subgraph's uvicorn runs: uvicorn's httptools protocol with the
header-size and read-time limits of `polyshop.http_limits`, set by the service's settings
(``POLYSHOP_HTTP_MAX_HEADER_BYTES``, ``POLYSHOP_HTTP_HEADER_READ_TIMEOUT``,
``POLYSHOP_HTTP_BODY_READ_TIMEOUT``).

uvicorn takes it by import string: ``uvicorn subgraphs.products.app:app --http
subgraphs.kit.http:ServiceHttp`` (as `polyshop up` and the container's entrypoint run it). The
class is built on first access, from the settings of the environment, not at import.
"""

from __future__ import annotations

from typing import Any

from polyshop.http_limits import GuardedHttp, guarded_http
from subgraphs.kit.settings import ServiceSettings, get_settings

IMPORT_STRING = "subgraphs.kit.http:ServiceHttp"


def service_http(settings: ServiceSettings) -> type[GuardedHttp]:
    """The protocol class for uvicorn's ``http=`` with these settings' limits."""
    return guarded_http(
        max_header_bytes=settings.http_max_header_bytes,
        header_read_timeout=settings.http_header_read_timeout,
        body_read_timeout=settings.http_body_read_timeout,
    )


def __getattr__(name: str) -> Any:
    if name == "ServiceHttp":
        return service_http(get_settings())
    raise AttributeError(name)
