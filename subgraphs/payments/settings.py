"""Settings of the payments process (``POLYSHOP_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from subgraphs.kit.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    """``payments_provider``: ``sandbox`` or ``module:factory`` (see `providers`).

    A provider that has not answered within ``payments_provider_timeout`` seconds leaves the
    payment ``INITIATED``; every ``payments_reconcile_interval`` seconds the reconciler asks
    the provider about payments ``INITIATED`` for longer than ``payments_reconcile_after``
    seconds (at least the provider timeout, so an answer still on its way is not overtaken).

    The two event source names are the services' names in production; tests give each run
    its own so that its streams are its own.
    """

    service_name: str = "payments"
    port: int = 4005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/payment_db"
    payments_provider: str = "sandbox"
    payments_provider_timeout: float = Field(default=20.0, gt=0)
    payments_reconcile_interval: float = Field(default=30.0, gt=0)
    payments_reconcile_after: float = Field(default=60.0, ge=0)
    payments_reconcile_batch: int = Field(default=100, ge=1)
    payments_event_source: str = "payments"
    payments_orders_source: str = "orders"

    @model_validator(mode="after")
    def _reconcile_after_the_timeout(self) -> PaymentsSettings:
        if self.payments_reconcile_after < self.payments_provider_timeout:
            raise ValueError("payments_reconcile_after must be at least payments_provider_timeout")
        return self


@lru_cache(maxsize=1)
def get_payments_settings() -> PaymentsSettings:
    return PaymentsSettings()
