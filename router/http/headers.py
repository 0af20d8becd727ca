"""Client request headers as the router reads them, and the correlation id that follows a
request. Which of them reach subgraphs is `router.policy.headers`' job (the ``headers``
section and the ``propagate_headers`` shorthand)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

# A client-chosen id ends up in logs and subgraph headers: accept only short, plain tokens.
_SAFE_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers as a dict of lower-cased names; repeated headers are joined with ", "."""
    headers: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        value = value_bytes.decode("latin-1")
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    return headers


def correlation_id(headers: dict[str, str], header_name: str) -> str:
    """The client's correlation id when it is a sane token, else a fresh one."""
    incoming = headers.get(header_name)
    if incoming is not None and _SAFE_CORRELATION_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex
