"""Settings of the payments process (``POLYSHOP_*``), and what its resolvers share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field

from subgraphs.kit.settings import ServiceSettings
from subgraphs.payments.providers import PaymentProvider


class PaymentsSettings(ServiceSettings):
    """``payments_provider``: ``sandbox`` or ``module:factory`` (see `providers`).

    The two event source names are the services' names in production; tests give each run
    its own so that its streams are its own.
    """

    service_name: str = "payments"
    port: int = 4005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/payment_db"
    payments_provider: str = "sandbox"
    # A provider that has not answered by then counts as unavailable; the client retries
    # with the same idempotency key, which the provider deduplicates.
    payments_provider_timeout: float = Field(default=20.0, gt=0)
    payments_event_source: str = "payments"
    payments_orders_source: str = "orders"


@lru_cache(maxsize=1)
def get_payments_settings() -> PaymentsSettings:
    return PaymentsSettings()


@dataclass(frozen=True, slots=True)
class PaymentsRuntime:
    """Process-wide collaborators of the resolvers (kept in ``app.state.payments``)."""

    provider: PaymentProvider
    event_source: str
    provider_timeout: float = 20.0
