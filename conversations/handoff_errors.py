"""Refusals of the handoff queue, as domain errors so the API and console word them once."""

from __future__ import annotations

from orders.errors import DomainError, NotFound


class HandoffNotFound(NotFound):
    code = "handoff_not_found"


class AlreadyClaimed(DomainError):
    code = "already_claimed"
    http_status = 409


class HandoffClosed(DomainError):
    code = "handoff_closed"
    http_status = 409


class NotYourHandoff(DomainError):
    code = "not_your_handoff"
    http_status = 403


class CustomerUnreachable(DomainError):
    """The customer said STOP, blocked the bot, or their address bounces: a message would
    not reach them (and an SMS to a number that opted out is not ours to send)."""

    code = "customer_unreachable"
    http_status = 409


class CsrNotFound(NotFound):
    code = "csr_not_found"
