"""Card payment providers behind one interface, and the built-in sandbox.

A provider turns a `ChargeRequest` into a `ChargeResult` (approved or declined, with the
provider's reference). A decline is an answer, not an error; `ProviderUnavailable` means no
answer at all, and the caller writes nothing. The setting ``POLYSHOP_PAYMENTS_PROVIDER``
picks one: ``sandbox`` or ``package.module:factory`` for a real provider, where ``factory``
takes the service settings and returns a `PaymentProvider`.

Sandbox test cards (any future expiry, any CVC of the right length):

==========================  =================================================
4242 4242 4242 4242         approved (Visa)
5555 5555 5555 4444         approved (Mastercard)
3782 822463 10005           approved (American Express, 4-digit CVC)
4000 0000 0000 0002         declined: ``card_declined``
4000 0000 0000 9995         declined: ``insufficient_funds``
4000 0000 0000 0069         declined: ``expired_card``
4000 0000 0000 0127         declined: ``incorrect_cvc``
4000 0000 0000 0119         no answer: the provider is unavailable
other Luhn-valid numbers    declined: ``test_mode_live_card`` (never charge real cards)
==========================  =================================================

A number failing the Luhn check never reaches a provider (``BAD_USER_INPUT``).
"""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from subgraphs.payments.cards import Card


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    payment_id: uuid.UUID
    order_id: str
    amount: Decimal
    currency: str
    card: Card
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ChargeResult:
    approved: bool
    provider_ref: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


class ProviderUnavailable(Exception):
    """The provider gave no answer (down, timed out); the charge did not happen."""


@runtime_checkable
class PaymentProvider(Protocol):
    """``charge`` must be idempotent per ``request.idempotency_key`` (a retry after a timeout
    must not charge twice). A provider holding resources may also define ``async aclose()``,
    which the app calls at shutdown."""

    name: str

    async def charge(self, request: ChargeRequest) -> ChargeResult: ...


async def close_provider(provider: PaymentProvider) -> None:
    aclose = getattr(provider, "aclose", None)
    if aclose is not None:
        await aclose()


SANDBOX_APPROVED = frozenset({"4242424242424242", "5555555555554444", "378282246310005"})
SANDBOX_DECLINES: dict[str, tuple[str, str]] = {
    "4000000000000002": ("card_declined", "The card was declined"),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds"),
    "4000000000000069": ("expired_card", "The card has expired"),
    "4000000000000127": ("incorrect_cvc", "The card's security code is incorrect"),
}
SANDBOX_UNAVAILABLE = "4000000000000119"


class SandboxProvider:
    """Answers from the table in the module docstring, with no network and no money."""

    name = "sandbox"

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        number = request.card.number
        if number == SANDBOX_UNAVAILABLE:
            raise ProviderUnavailable("sandbox: simulated provider outage")
        # The same idempotency key gives the same reference, as a real provider would.
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        reference = f"sbx_{digest}"
        if number in SANDBOX_APPROVED:
            return ChargeResult(approved=True, provider_ref=reference)
        code, message = SANDBOX_DECLINES.get(
            number, ("test_mode_live_card", "The sandbox accepts only its documented test cards")
        )
        return ChargeResult(
            approved=False, provider_ref=reference, failure_code=code, failure_message=message
        )


ProviderFactory = Callable[[Any], PaymentProvider]

BUILT_IN: dict[str, ProviderFactory] = {"sandbox": lambda _settings: SandboxProvider()}


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
