"""Proactive notices: the text for each order event a customer should hear about."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.notifications import notice_for
from infra.settings import Settings, load_settings
from orders import fulfilment, stockops
from orders.demo import seed
from orders.events import Actor
from orders.models import OrderEvent
from orders.queries import get_order


def _seeded(db) -> Settings:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        seed(session)
    return load_settings(database_url=db.url)


def _events(session, number: int) -> dict[str, OrderEvent]:
    order = get_order(session, number)
    rows = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))
    return {event.type: event for event in rows}


def test_shipped_names_carrier_and_tracking(db):
    settings = _seeded(db)
    with db.sessions() as session:
        text = notice_for(_events(session, 10003)["shipped"], settings)
    assert "#10003" in text and "USPS" in text and "9400111899223197428490" in text


def test_ready_for_pickup_gives_store_hours_and_code(db):
    settings = _seeded(db)
    with db.sessions() as session:
        order = get_order(session, 10005)
        text = notice_for(_events(session, 10005)["ready_for_pickup"], settings)
    assert "Riverside Store" in text and "Mon-Fri" in text and order.pickup_code in text


def test_cancelled_mentions_the_refund_and_internal_events_are_silent(db):
    settings = _seeded(db)
    with db.transaction() as session:
        fulfilment.mark_processing(session, get_order(session, 10004), actor=Actor.system())
        events = _events(session, 10006)
        assert "$39.95" in notice_for(events["cancelled"], settings)
        assert notice_for(_events(session, 10004)["processing"], settings) is None


def test_money_in_the_shops_currency(db):
    euros = load_settings(database_url=_seeded(db).database_url, currency="EUR")
    with db.sessions() as session:
        text = notice_for(_events(session, 10001)["placed"], euros)
    assert "€41.00" in text


def test_uncollected_pickup_reminder_repeats_store_and_code(db):
    settings = _seeded(db)
    with db.transaction() as session:
        later = get_order(session, 10005).ready_at + timedelta(days=settings.pickup_reminder_days)
        result = stockops.sweep_uncollected_pickups(
            session,
            reminder_days=settings.pickup_reminder_days,
            expiry_days=settings.pickup_expiry_days,
            now=later + timedelta(hours=1),
        )
    assert result.reminded == ["#10005"]
    with db.sessions() as session:
        order = get_order(session, 10005)
        text = notice_for(_events(session, 10005)["pickup_reminder"], settings)
    assert "Reminder" in text and "Riverside Store" in text and order.pickup_code in text
