"""The words for order and return states, and the only transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum

from orders.errors import IllegalTransition


class OrderStatus(StrEnum):
    PLACED = "placed"
    PROCESSING = "processing"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    DELIVERED = "delivered"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    PARTIALLY_RETURNED = "partially_returned"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"


S = OrderStatus
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLACED: frozenset(
        {S.PROCESSING, S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}
    ),
    S.PROCESSING: frozenset({S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    # Shipping more of it, or cancelling what is left, completes it as shipped.
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.PARTIALLY_RETURNED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.PARTIALLY_RETURNED, S.RETURNED}),
    S.DELIVERED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.PICKED_UP: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.PARTIALLY_RETURNED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}

# The customer may still change these; after that the warehouse or store is on it.
MODIFIABLE = frozenset({S.PLACED})
CANCELLABLE = frozenset({S.PLACED, S.PROCESSING, S.READY_FOR_PICKUP})
OPEN = frozenset({S.PLACED, S.PROCESSING, S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED, S.SHIPPED})
# Something was handed to the customer, so something may come back.
RETURNABLE = frozenset(
    {S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.PICKED_UP, S.PARTIALLY_RETURNED}
)

R = ReturnStatus
RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED}),
    R.APPROVED: frozenset({R.RECEIVED}),
    R.RECEIVED: frozenset({R.REFUNDED}),
    R.REJECTED: frozenset(),
    R.REFUNDED: frozenset(),
}

# Returns that hold on to the items they name (a rejected one gives them back).
LIVE_RETURN = frozenset({R.REQUESTED, R.APPROVED, R.RECEIVED, R.REFUNDED})


def check_order_transition(current: str, new: OrderStatus, what: str) -> None:
    if new not in ORDER_TRANSITIONS[OrderStatus(current)]:
        raise IllegalTransition(
            f"Can't {what}: the order is {current.replace('_', ' ')}.", status=current
        )


def check_return_transition(current: str, new: ReturnStatus, what: str) -> None:
    if new not in RETURN_TRANSITIONS[ReturnStatus(current)]:
        raise IllegalTransition(f"Can't {what}: the return is {current}.", status=current)
