"""Message templates (``string.Template``: plain text, ``$name`` placeholders).

A template renders an e-mail (subject and body) and, for the messages worth a text, an SMS.
Rendering happens once, when the message is queued; the log keeps the result, so a retry
sends the very text the first attempt tried even if the templates change in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from string import Template


class TemplateName(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    PAYMENT_RECEIPT = "payment_receipt"
    PAYMENT_FAILURE = "payment_failure"
    ORDER_CANCELLED = "order_cancelled"


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    subject: Template
    body: Template
    sms: Template | None = None


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    body: str


TEMPLATES: Mapping[TemplateName, MessageTemplate] = {
    TemplateName.ORDER_CONFIRMATION: MessageTemplate(
        subject=Template("$shop_name: order $order_id received"),
        body=Template(
            "Hello,\n\n"
            "thank you for your order $order_id.\n\n"
            "$items\n"
            "Total: $total_amount $currency\n\n"
            "We will let you know when the payment has gone through.\n\n"
            "$shop_name\n"
        ),
    ),
    TemplateName.PAYMENT_RECEIPT: MessageTemplate(
        subject=Template("$shop_name: payment received for order $order_id"),
        body=Template(
            "Hello,\n\n"
            "we received your payment of $amount $currency for order $order_id.\n"
            "Payment reference: $payment_id\n\n"
            "$shop_name\n"
        ),
        sms=Template("$shop_name: payment of $amount $currency for order $order_id received."),
    ),
    TemplateName.PAYMENT_FAILURE: MessageTemplate(
        subject=Template("$shop_name: payment failed for order $order_id"),
        body=Template(
            "Hello,\n\n"
            "the payment for order $order_id did not go through: $reason.\n"
            "Payment reference: $payment_id\n\n"
            "You can try again with another card from your orders page.\n\n"
            "$shop_name\n"
        ),
        sms=Template("$shop_name: payment for order $order_id failed ($reason)."),
    ),
    TemplateName.ORDER_CANCELLED: MessageTemplate(
        subject=Template("$shop_name: order $order_id cancelled"),
        body=Template(
            "Hello,\n\n"
            "your order $order_id has been cancelled: $reason.\n"
            "Nothing was charged, or the charge will be refunded.\n\n"
            "$shop_name\n"
        ),
        sms=Template("$shop_name: order $order_id was cancelled ($reason)."),
    ),
}


def render_email(name: TemplateName, values: Mapping[str, object]) -> RenderedEmail:
    """Raises `KeyError` for a missing value: a message with a hole is never sent."""
    template = TEMPLATES[name]
    text = {k: str(v) for k, v in values.items()}
    return RenderedEmail(
        subject=template.subject.substitute(text), body=template.body.substitute(text)
    )


def render_sms(name: TemplateName, values: Mapping[str, object]) -> str | None:
    """The text message of ``name``, or None when the template has no SMS form."""
    template = TEMPLATES[name].sms
    if template is None:
        return None
    return template.substitute({k: str(v) for k, v in values.items()})


def item_lines(items: object) -> str:
    """``order.created``'s items as lines ``2 x product 7 at 9.99``."""
    if not isinstance(items, list) or not items:
        return "(no items)\n"
    lines = []
    for item in items:
        if isinstance(item, Mapping):
            lines.append(
                f"  {item.get('quantity')} x product {item.get('product_id')}"
                f" at {item.get('unit_price')}"
            )
    return "\n".join(lines) + "\n"
