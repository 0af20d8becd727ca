"""CSRF prevention the way Apollo Router does it.

A browser sends "simple" requests (GET, or POST with a form/text content type) cross-origin
without a CORS preflight, so a hostile page could make a user's browser run operations. We run
an operation only if the request could not have been simple: its content type is not one of
the simple ones, or it carries a header only JavaScript can add (``apollo-require-preflight``,
``x-apollo-operation-name`` by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import HttpError
from .negotiation import SIMPLE_CONTENT_TYPES, media_essence


def is_preflighted(headers: Mapping[str, str], required_headers: Iterable[str]) -> bool:
    """Whether a browser would have preflighted this request (``headers`` lower-cased)."""
    content_type = headers.get("content-type")
    if content_type is not None:
        essence = media_essence(content_type)
        if essence is not None and "/" in essence and essence not in SIMPLE_CONTENT_TYPES:
            return True
    return any(name in headers for name in required_headers)


def csrf_error(required_headers: Iterable[str]) -> HttpError:
    return HttpError(
        400,
        "CSRF_ERROR",
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
        "Please either specify a 'content-type' header (with a mime-type that is not one of "
        f"{', '.join(sorted(SIMPLE_CONTENT_TYPES))}) or provide one of the following headers: "
        f"{', '.join(required_headers)}",
    )
