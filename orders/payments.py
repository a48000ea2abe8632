"""Money in and out of an order.

Capture happens outside this system (the shop's checkout or till); we record what
was paid and what was refunded. `PaymentGateway.refund` is the one place a payment
provider's refund call plugs in: give yours to `bootstrap(settings, gateway=...)`.

A refund is decided inside the caller's transaction but paid out only after it
commits: `refund` records a pending refund row, and `orders.refund_payouts` hands
committed ones to the gateway. A rollback then takes the decision back before any
money moves, and a pay-out interrupted half-way is tried again with the same
idempotency key, so the customer is paid once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session

from orders.models import Order, Payment, Return


class RefundFailed(Exception):
    """The gateway refused a refund. `retryable` only when it is sure no money moved and a
    later try may pass (rate limit, provider down); otherwise a person must look at it."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class PaymentGateway(Protocol):
    def refund(self, order: Order, amount: Decimal, reason: str, key: str) -> str:
        """Send `amount` back to the customer; return the provider's reference.

        `key` is the same on every try of one refund: give it to the provider as its
        idempotency key, so that a try after a lost answer does not pay again.
        """


class RecordOnlyGateway:
    """The default: the refund is paid out by hand (or at the till) and recorded here."""

    def refund(self, order: Order, amount: Decimal, reason: str, key: str) -> str:
        return "recorded"


def record_charge(session: Session, order: Order, amount: Decimal, reference: str = "") -> None:
    if amount > 0:
        _add(order, Payment(amount=amount, kind="charge", reference=reference))


def _add(order: Order, payment: Payment) -> None:
    """Add `payment` to `order.payments` (loading them first if they are not), inserted
    with the next flush: `amount_paid` counts it at once, with no refresh of the order."""
    order.payments.append(payment)


def refund(
    session: Session, order: Order, amount: Decimal, reason: str, return_: Return | None = None
) -> Decimal:
    """Decide a refund of up to `amount`, never more than is still paid; returns the amount.

    Recorded as pending in the caller's transaction; paid out after it commits.
    """
    amount = min(amount, order.amount_paid)
    if amount <= 0:
        return Decimal("0.00")
    _add(
        order,
        Payment(
            amount=-amount,
            kind="refund",
            state="pending",
            reason=reason[:200],
            return_id=return_.id if return_ else None,
        ),
    )
    return amount
