"""The services of PolyShop: where each listens and which database it owns.

The one table the dev stack, the supervisor and the settings read; `supergraph.yaml` repeats
the routing URLs in rover's format (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from router.config.cors import STOREFRONT_PORT as STOREFRONT_DEFAULT_PORT


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    port: int
    database: str

    @property
    def app_module(self) -> str:
        return f"subgraphs.{self.name}.app"

    @property
    def routing_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


ROUTER_PORT = 4000
STOREFRONT_PORT = STOREFRONT_DEFAULT_PORT
"""The storefront web app's port: its own origin, which the router's default CORS policy and
the dev ``router.yaml`` (with ``POLYSHOP_PORT_OFFSET``) allow."""

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", 4001, "auth_db"),
    ServiceSpec("products", 4002, "product_db"),
    ServiceSpec("inventory", 4003, "inventory_db"),
    ServiceSpec("orders", 4004, "order_db"),
    ServiceSpec("payments", 4005, "payment_db"),
    ServiceSpec("notifications", 4006, "notification_db"),
    ServiceSpec("analytics", 4007, "analytics_db"),
)

SERVICES_BY_NAME = {spec.name: spec for spec in SERVICES}
