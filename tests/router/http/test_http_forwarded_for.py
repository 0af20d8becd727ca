"""The router's ``X-Forwarded-For`` to subgraphs: the client it resolved, then its peer; a
client's own header believed only from trusted proxies."""

from __future__ import annotations

import pytest

from router.http.headers import forwarded_for, parse_networks
from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

TRUSTED = parse_networks(["127.0.0.1/32", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "incoming", "sent"),
    [
        ("198.51.100.9", None, "198.51.100.9"),
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # untrusted peer: its claim dropped
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.7", "203.0.113.7, 127.0.0.1"),
        # forged entries left of the first untrusted hop are cut off
        ("127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5", "203.0.113.7, 10.0.0.5, 127.0.0.1"),
        ("127.0.0.1", "garbage, 10.0.0.5", "garbage, 10.0.0.5, 127.0.0.1"),
        (None, "203.0.113.7", "unknown"),
    ],
)
def test_forwarded_for_chain(peer: str | None, incoming: str | None, sent: str) -> None:
    assert forwarded_for(peer, incoming, TRUSTED) == sent


@pytest.mark.parametrize(
    ("trusted", "sent"),
    [((), "127.0.0.1"), (("127.0.0.1/32",), "203.0.113.7, 127.0.0.1")],
)
async def test_subgraphs_receive_the_routers_forwarded_for(
    subgraphs: dict[str, SubgraphServer], trusted: tuple[str, ...], sent: str
) -> None:
    products = subgraphs["products"]
    products.received.clear()
    settings = settings_for(
        subgraphs,
        trusted_proxies=trusted,
        propagate_headers_extra=("x-forwarded-for",),  # even allow-listed, it is rewritten
    )
    async with (
        running_router(settings) as router,
        router.session.post(
            router.graphql,
            json={"query": "{ topProducts { name } }"},
            headers={"x-forwarded-for": "203.0.113.7"},
        ) as response,
    ):
        assert response.status == 200
    (received,) = products.received
    assert received.headers["x-forwarded-for"] == sent


def test_malformed_trusted_proxy_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        settings_for({}, trusted_proxies=("10.0.0.0/33",))
