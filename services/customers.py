"""Customers as a scope sees them, for the API and the console alike.

The whole shop sees every customer and all of their orders and returns. A store sees
the customers who ordered there (another store's customer is refused with the words
`Scope.check_customer` gives everywhere), and of those customers only the orders
fulfilled there and the returns of those orders or received there; searches leave the
others out.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from orders import customers, queries, returns
from orders.models import Customer, Order, Return
from services.scope import Scope

SEARCH_LIMIT = 50


def find_customer(session: Session, scope: Scope, customer_id: int) -> Customer:
    customer = customers.get_customer(session, customer_id)
    scope.check_customer(session, customer_id)
    return customer


def search_customers(
    session: Session, scope: Scope, q: str, *, limit: int = SEARCH_LIMIT
) -> list[Customer]:
    return customers.search_customers(session, q, limit, location_codes=scope.codes)


def purchase_history(session: Session, scope: Scope, customer_id: int) -> list[Order]:
    """The customer's orders the scope sees, newest first (ask `find_customer` first)."""
    return customers.purchase_history(session, customer_id, location_codes=scope.codes)


def open_orders(session: Session, scope: Scope, customer_id: int) -> list[Order]:
    return queries.open_orders(session, customer_id, location_codes=scope.codes)


def customer_returns(session: Session, scope: Scope, customer_id: int) -> list[Return]:
    return returns.find_returns(session, customer_id=customer_id, location_codes=scope.codes)
