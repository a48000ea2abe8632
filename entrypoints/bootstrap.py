"""One `bootstrap()`: everything a process wires, built once and handed to what needs it.

The web process (`create_app()`), the worker (`python app.py worker`), the other commands
and the tests all start here, so the same use case behaves the same wherever it runs: a
CSR's cancel queues the customer's notice from the console, from a script and from a
test alike. Nothing wired is kept in a module global.

What needs it deep inside a use case (the order-event handlers, the catalogue cache, the
wake-ups, the clock) is wired into the `Database`, and every session carries it
(`infra.db.wired`); what a worker hands a job (the senders, the payment gateway) is
passed to it explicitly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import channels
from bot.catalog_cache import CATALOG_CACHE, CatalogCache
from bot.notifications import notice_for
from conversations import notices
from conversations.delivery import Senders
from infra import clock as clocks
from infra import wakeup
from infra.db import Database
from infra.settings import Settings
from orders import events
from orders.models import OrderEvent
from orders.payments import PaymentGateway, RecordOnlyGateway


@dataclass
class Wiring:
    """A process's wiring. `settings` may be replaced after `bootstrap()` (the app names
    the shop once the database is migrated); the notices use whatever it is then."""

    settings: Settings
    database: Database
    gateway: PaymentGateway
    senders: Senders

    @property
    def wakeups(self) -> wakeup.Wakeups:
        return wakeup.wakeups(self.database)

    @property
    def clock(self) -> clocks.Clock:
        return clocks.clock(self.database)


def bootstrap(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    senders: Senders | None = None,
    catalog_cache: CatalogCache | None = None,
    clock: clocks.Clock | None = None,
    engine: Engine | None = None,
) -> Wiring:
    """Wire a process for `settings`: its database with the order-event handlers, the
    catalogue cache, the wake-ups and the clock (default: the system's), the payment
    gateway (default: refunds recorded, paid by hand) and the channels' senders. Tests
    inject their own gateway, senders or clock (`infra.clock.ManualClock`) here, and may
    share one catalogue cache, and one engine (see `Database`), between databases made
    for the same URL."""
    handlers: list[events.EventHandler] = []
    clock = clock or clocks.SystemClock()
    database = Database(
        settings.database_url,
        wiring={
            events.HANDLERS: handlers,
            CATALOG_CACHE: catalog_cache or CatalogCache(background=True),
            wakeup.WAKEUPS: wakeup.Wakeups(),
            clocks.CLOCK: clock,
        },
        engine=engine,
    )
    wiring = Wiring(
        settings=settings,
        database=database,
        gateway=gateway or RecordOnlyGateway(),
        senders=senders or channels.senders(clock),
    )
    handlers.append(functools.partial(_notify_customer, wiring))
    return wiring


def _notify_customer(wiring: Wiring, session: Session, event: OrderEvent) -> None:
    """The customer notice of an order event, in the bot's words and today's settings."""
    notices.on_order_event(session, event, wiring.settings, notice_for)
