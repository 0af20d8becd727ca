"""Client request headers as the router reads them, the correlation id that follows a request,
and the router's own ``X-Forwarded-For``. Which client headers reach subgraphs is
`router.policy.headers`' job (the ``headers`` section and the ``propagate_headers`` shorthand).

``X-Forwarded-For`` is always the router's own: the chain starting at the client address it
resolved, the TCP peer appended (the convention). A client's ``X-Forwarded-For`` is believed
only when the peer is one of the operator's trusted proxies, and then only from the right up to
the first address that is not a trusted proxy (entries left of it could be forged). The auth
service takes the leftmost entry as the client, on calls carrying the router's identity only.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "x-forwarded-for"

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


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``10.0.0.0/8``-style networks (a bare address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def _trusted(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_for(peer: str | None, incoming: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The ``X-Forwarded-For`` the router sends: client first, the peer last."""
    peer = peer or "unknown"
    if not incoming or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in incoming.split(",") if hop.strip()]
    chain = [peer]
    for hop in reversed(hops):
        chain.append(hop)
        if not _trusted(hop, trusted):
            break
    return ", ".join(reversed(chain))
