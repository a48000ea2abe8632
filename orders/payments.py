"""Money in and out of an order.

Capture happens outside this system (the shop's checkout or till); we record what
was paid and what was refunded. `PaymentGateway.refund` is the one place a payment
provider's refund call plugs in: install yours with `set_gateway()` at start-up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session

from orders.models import Order, Payment, Return


class PaymentGateway(Protocol):
    def refund(self, order: Order, amount: Decimal, reason: str) -> str:
        """Send `amount` back to the customer; return the provider's reference."""


class RecordOnlyGateway:
    """The default: the refund is paid out by hand (or at the till) and recorded here."""

    def refund(self, order: Order, amount: Decimal, reason: str) -> str:
        return "recorded"


_gateway: PaymentGateway = RecordOnlyGateway()


def set_gateway(gateway: PaymentGateway) -> None:
    global _gateway
    _gateway = gateway


def record_charge(session: Session, order: Order, amount: Decimal, reference: str = "") -> None:
    if amount > 0:
        session.add(Payment(order_id=order.id, amount=amount, kind="charge", reference=reference))
        session.flush()
        session.refresh(order, ["payments"])


def refund(
    session: Session, order: Order, amount: Decimal, reason: str, return_: Return | None = None
) -> Decimal:
    """Refund up to `amount` but never more than is still paid; returns what was refunded."""
    amount = min(amount, order.amount_paid)
    if amount <= 0:
        return Decimal("0.00")
    reference = _gateway.refund(order, amount, reason)
    session.add(
        Payment(
            order_id=order.id,
            amount=-amount,
            kind="refund",
            reference=reference,
            return_id=return_.id if return_ else None,
        )
    )
    session.flush()
    session.refresh(order, ["payments"])
    return amount
