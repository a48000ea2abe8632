"""Who may act on what: one rule for every adapter.

A scope is what an actor may touch. The whole shop (an admin, a CSR, a shop-wide API
token) touches everything; a store (a store user's account, an API token made with
`--location`) touches the locations it names: their stock, the orders fulfilled from
them, the returns bound for or received at them, the customers who ordered there. A
customer touches their own orders, and someone else's order number gets exactly the
not-found answer their own mistyped number would.

Refusals come before anything is written, so a refused request changes nothing
whichever unit of work it runs in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from orders import customers, inventory
from orders.errors import Forbidden, LocationAccessDenied, OrderNotFound, ReturnNotFound
from orders.models import Order, Return
from orders.queries import check_location_access


@dataclass(frozen=True)
class Scope:
    locations: frozenset[str] | None = None  # None: every location
    customer_id: int | None = None  # set: only this customer's own orders and returns

    @classmethod
    def whole_shop(cls) -> Scope:
        return cls()

    @classmethod
    def stores(cls, codes: Iterable[str] | None) -> Scope:
        """Limited to `codes` (any case); None means every location."""
        return cls(None if codes is None else frozenset(c.strip().upper() for c in codes))

    @classmethod
    def staff(cls, role: str, locations: Iterable[str]) -> Scope:
        """A console user: a store user works at the locations on their account, every
        other role (CSR, admin) across the shop."""
        return cls.stores(locations if role == "store" else None)

    @classmethod
    def customer(cls, customer_id: int) -> Scope:
        return cls(customer_id=customer_id)

    @property
    def codes(self) -> set[str] | None:
        """The location codes to filter lists by (None: all)."""
        return None if self.locations is None else set(self.locations)

    def at(self, code: str) -> Scope:
        """Acting at the counter of one store (a store page): refused unless it is in this
        scope, and then limited to it, so another store's order is refused there too."""
        self.check_location(code)
        return Scope(frozenset({code.strip().upper()}), self.customer_id)

    def check_location(self, code: str) -> None:
        check_location_access(self.locations, code)

    def check_whole_shop(self, what: str) -> None:
        """Refuse a store what only the whole shop may do (the catalog, say)."""
        if self.locations is not None:
            raise Forbidden(f"A store cannot {what}.")

    def _refuse(self, session: Session, what: str, handler: str) -> LocationAccessDenied:
        names = [
            inventory.get_location(session, code).name for code in sorted(self.locations or ())
        ]
        return LocationAccessDenied(
            f"{what} is handled by {handler}, not {' or '.join(names) or 'you'}.",
            location=handler,
        )

    def check_order(self, session: Session, order: Order, named: str | int | None = None) -> None:
        """`named`: the number as the actor wrote it, for the not-found answer."""
        if self.customer_id is not None and order.customer_id != self.customer_id:
            raise OrderNotFound(f"There is no order {str(named or order.number).strip()}.")
        if self.locations is not None and order.location.code not in self.locations:
            raise self._refuse(session, f"Order {order.display_number}", order.location.name)

    def check_return(
        self,
        session: Session,
        ret: Return,
        *,
        counter: str | None = None,
        named: str | int | None = None,
    ) -> None:
        """A return bound for (or received at) a store is that store's; a return by mail,
        bound for no store, is its order's location's, or of the store whose counter it
        reached (`counter`, a location in this scope)."""
        if self.customer_id is not None and ret.order.customer_id != self.customer_id:
            raise ReturnNotFound(f"There is no return {str(named or ret.display_number).strip()}.")
        if self.locations is None:
            return
        if counter is not None:
            self.check_location(counter)
        if ret.location is not None:
            if ret.location.code not in self.locations:
                raise self._refuse(session, f"Return {ret.display_number}", ret.location.name)
        elif counter is None and ret.order.location.code not in self.locations:
            raise self._refuse(session, f"Return {ret.display_number}", ret.order.location.name)

    def check_customer(self, session: Session, customer_id: int) -> None:
        """A store sees the customers who ordered there; a customer only themselves."""
        if self.customer_id is not None and customer_id != self.customer_id:
            raise LocationAccessDenied("You can only see yourself.", customer_id=customer_id)
        customers.check_customer_scope(session, customer_id, self.locations)
