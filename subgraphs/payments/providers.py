"""Card payment providers behind one interface.

A provider turns a `ChargeRequest` into a `ChargeResult` (approved or declined, with the
provider's charge id). A decline is an answer, not an error. No answer at all (a timeout,
`ProviderUnavailable`, a broken connection) leaves the outcome unknown: the payment stays
``INITIATED`` and the reconciler later asks `PaymentProvider.lookup` what happened.

Every request carries our ``reference`` (the payment's id). A provider must charge at most
once per reference, however often it is asked (like Stripe's idempotency keys), and must be
able to say later what it did for a reference. The setting ``POLYSHOP_PAYMENTS_PROVIDER``
picks one: ``sandbox`` (see `subgraphs.payments.sandbox` for its test cards) or
``package.module:factory`` for a real provider, where ``factory`` takes the service settings
and returns a `PaymentProvider`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from subgraphs.payments.cards import Card


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    reference: str
    """Ours (the payment id): the provider's idempotency key and the handle for `lookup`."""
    order_id: str
    amount: Decimal
    currency: str
    card: Card


@dataclass(frozen=True, slots=True)
class ChargeResult:
    approved: bool
    provider_ref: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


class ProviderUnavailable(Exception):
    """The provider gave no answer; whether it charged is unknown until `lookup` says."""


@runtime_checkable
class PaymentProvider(Protocol):
    """``charge`` charges at most once per ``request.reference``; ``lookup`` returns the
    outcome recorded for a reference, or None when the provider never charged it. A provider
    holding resources may also define ``async aclose()``, which the app calls at shutdown."""

    name: str

    async def charge(self, request: ChargeRequest) -> ChargeResult: ...

    async def lookup(self, reference: str) -> ChargeResult | None: ...


async def close_provider(provider: PaymentProvider) -> None:
    aclose = getattr(provider, "aclose", None)
    if aclose is not None:
        await aclose()


ProviderFactory = Callable[[Any], PaymentProvider]


def _sandbox(settings: Any) -> PaymentProvider:
    from subgraphs.payments.sandbox import sandbox_from_settings

    return sandbox_from_settings(settings)


BUILT_IN: dict[str, ProviderFactory] = {"sandbox": _sandbox}


def load_provider(spec: str, settings: Any = None) -> PaymentProvider:
    """The provider named by ``spec`` (see the module docstring)."""
    if spec in BUILT_IN:
        return BUILT_IN[spec](settings)
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"unknown payment provider {spec!r}: use 'sandbox' or 'module:factory'")
    factory = getattr(importlib.import_module(module_name), attribute)
    provider = factory(settings)
    if not isinstance(provider, PaymentProvider):
        raise TypeError(f"{spec} did not return a PaymentProvider")
    return provider
