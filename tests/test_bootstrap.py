"""One bootstrap() (issue #13): a use case does the same whichever process runs it.

The order-event handlers used to be a module-global list that `create_app()` filled, so
a CSR's cancel queued the customer's notice in a process that had made an app and none
in one that had not (a script, a test), written with the settings of whichever app was
made last.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import create_app
from conversations.models import OutboxMessage
from conversations.opening import open_conversation
from entrypoints.bootstrap import bootstrap
from infra import clock as clocks
from infra.clock import ManualClock, SystemClock
from infra.db import Database, wired
from infra.settings import load_settings
from orders import ordering, returns
from orders.errors import ReturnNotAllowed
from orders.events import HANDLERS
from orders.models import Order
from orders.status import OrderStatus
from tests.factories import ACTOR, STAFF, customer, make_shop, order_in


def cancel_as_csr(database: Database, phone: str) -> list[str]:
    """A customer who texted the shop has an order; a CSR cancels it in the console's way
    (a service call in one transaction). The notices that queued for the customer."""
    with database.sessions() as session:
        who = customer(session, phone=phone)
        open_conversation(session, "sms", phone, who)
        order_id = order_in(session, OrderStatus.PLACED, who).id
        session.commit()
    with database.transaction() as session:
        order = session.get_one(Order, order_id)
        ordering.cancel_order(session, order, actor=STAFF, reason="out of beans")
    with database.reading() as session:
        return list(
            session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_address == phone))
        )


def numbered(texts: list[str]) -> list[str]:
    return [re.sub(r"#\d+", "#N", text) for text in texts]


def test_a_csr_cancel_queues_the_same_notice_with_or_without_a_flask_app(db_url: str) -> None:
    settings = load_settings(database_url=db_url, secret_key="test-secret")
    script = bootstrap(settings)  # a command, the worker, a test: no Flask app made
    with script.database.sessions() as session:
        make_shop(session)
    without_app = cancel_as_csr(script.database, "+15555550101")
    app = create_app(settings)
    with_app = cancel_as_csr(app.extensions["db"], "+15555550102")
    app.extensions["db"].dispose()
    script.database.dispose()
    assert len(without_app) == 1 and "is cancelled" in without_app[0]
    assert numbered(without_app) == numbered(with_app)


def test_each_wiring_words_its_notices_with_its_own_settings(db_url: str) -> None:
    euros = bootstrap(load_settings(database_url=db_url, currency="EUR"))
    with euros.database.sessions() as session:
        make_shop(session)
    dollars = create_app(load_settings(database_url=db_url, secret_key="test-secret"))
    [notice] = cancel_as_csr(euros.database, "+15555550103")  # the app was made last
    dollars.extensions["db"].dispose()
    euros.database.dispose()
    assert "€41.00" in notice and "$" not in notice


def test_a_database_made_without_bootstrap_refuses_an_order_event(db_url: str) -> None:
    """Not a quiet difference: an event with no handlers wired is an error."""
    bare = Database(db_url)
    try:
        with pytest.raises(LookupError, match="bootstrap"), bare.sessions() as session:
            wired(session, HANDLERS)
    finally:
        bare.dispose()


def test_the_return_window_closes_when_only_the_wired_clock_moves(db_url: str) -> None:
    """Nothing stored is rewritten and nobody sleeps: the wiring's clock moves past the
    30-day window, and the same request is refused."""
    clock = ManualClock()
    wiring = bootstrap(load_settings(database_url=db_url, return_window_days=30), clock=clock)
    try:
        assert wiring.clock is clock
        with wiring.database.sessions() as session:
            make_shop(session)
            order_id = order_in(session, OrderStatus.DELIVERED).id  # delivered by the clock
            session.commit()

        def ask_to_return(sku: str) -> None:
            with wiring.database.transaction() as session:
                order = session.get_one(Order, order_id)
                days = wiring.settings.return_window_days
                returns.request_return(
                    session, order, {sku: 1}, method="mail", actor=ACTOR, window_days=days
                )

        clock.advance(days=30)
        ask_to_return("MUG")  # the window's last moment
        clock.advance(seconds=1)
        with pytest.raises(ReturnNotAllowed, match="30-day"):
            ask_to_return("BEAN")
    finally:
        wiring.database.dispose()


def test_a_process_runs_on_the_system_clock_and_a_bare_database_has_none(db_url: str) -> None:
    wiring = bootstrap(load_settings(database_url=db_url))
    bare = Database(db_url)
    try:
        assert isinstance(wiring.clock, SystemClock)
        with pytest.raises(LookupError, match="bootstrap"):
            clocks.now(bare)
    finally:
        wiring.database.dispose()
        bare.dispose()
