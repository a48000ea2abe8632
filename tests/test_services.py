"""The order core's application services (services/): scope, units of work, preview = place.

They run on the suite's database fixtures (a copied SQLite file, or PostgreSQL), not on
a fake unit of work: the domain functions they call work on a SQLAlchemy session, so a
fake would have to imitate SQLAlchemy (see docs/architecture.md; the handoff services,
whose rules work on a store that only keeps changes, do use one:
tests/test_services_handoffs.py). The scope rules that need no database are checked
without one.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import ApiToken
from infra.db import Database, utcnow
from orders import returns
from orders.errors import (
    DuplicateItem,
    Forbidden,
    LocationAccessDenied,
    OrderNotFound,
    OrderNotModifiable,
    OutOfStock,
)
from orders.models import Customer, CustomerIdentity, Order, Stock
from orders.ordering import OrderChanges
from orders.status import OrderStatus
from services import orders as order_service
from services import returns as return_service
from services import stock as stock_service
from services.orders import NewCustomer, NewOrder
from services.scope import Scope
from services.uow import transaction, within
from tests import factories
from tests.factories import ACTOR, STAFF

WHOLE_SHOP = Scope.whole_shop()
DOWNTOWN = Scope.stores(["dt"])


@pytest.fixture
def shop(session: Session) -> Session:
    factories.make_shop(session)
    return session


def reserved(db: Database) -> int:
    with db.reading() as s:
        return s.scalar(select(func.sum(Stock.reserved)))


def count(db: Database, model: type) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- scope, without a database ----------------------------------------------------------


def test_who_is_limited_to_what() -> None:
    assert Scope.staff("store", ["dt", "RV "]).codes == {"DT", "RV"}
    assert Scope.staff("csr", ["DT"]).codes is None  # a CSR's locations do not limit them
    assert Scope.stores(None) == WHOLE_SHOP
    assert DOWNTOWN.at("dt") == Scope.stores(["DT"])
    with pytest.raises(LocationAccessDenied, match=r"You can only act on DT, not RV\."):
        DOWNTOWN.at("RV")
    with pytest.raises(Forbidden):
        DOWNTOWN.check_whole_shop("change the catalog")
    WHOLE_SHOP.check_whole_shop("change the catalog")


# --- orders -----------------------------------------------------------------------------


def test_the_preview_is_what_placing_gives_and_writes_nothing(shop: Session, db: Database) -> None:
    jo = factories.customer(shop)
    new = NewOrder(jo.id, [("bean", 2), ("MUG", 1)], method="pickup", pickup_location="RV")
    with db.reading() as s:
        plan = order_service.preview_order(s, WHOLE_SHOP, new)
        previewed = (plan.total, plan.location.code, [(x.sku, x.quantity) for x in plan.lines])
    assert reserved(db) == 0 and count(db, Order) == 0
    with transaction(db) as uow:
        order = order_service.place_order(uow, STAFF, WHOLE_SHOP, new)
        placed = (order.total, order.location.code, [(x.sku, x.quantity) for x in order.lines])
    assert previewed == placed == (Decimal("41.00"), "RV", [("BEAN", 2), ("MUG", 1)])
    # ...and it is refused for the same reasons, in the same words.
    greedy = NewOrder(jo.id, [("GRIND", 11)], method="pickup", pickup_location="DT")
    with db.reading() as s, pytest.raises(OutOfStock) as preview_refusal:
        order_service.preview_order(s, WHOLE_SHOP, greedy)
    with transaction(db) as uow, pytest.raises(OutOfStock) as place_refusal:
        order_service.place_order(uow, STAFF, WHOLE_SHOP, greedy)
    assert preview_refusal.value.message == place_refusal.value.message


def test_a_preview_of_a_new_customer_creates_nobody(shop: Session, db: Database) -> None:
    newt = NewCustomer("phone", "+15555550177", "Newt")
    new = NewOrder(newt, [("BEAN", 1)], "pickup", pickup_location="DT")
    with db.reading() as s:
        assert order_service.preview_order(s, DOWNTOWN, new).location.code == "DT"
    assert count(db, Customer) == 0


def test_a_sku_twice_is_refused_however_it_comes(shop: Session, db: Database) -> None:
    jo = factories.customer(shop)
    for items in ([("BEAN", 1), ("BEAN", 2)], {"BEAN": 1, " bean": 2}):
        new = NewOrder(jo.id, items, method="delivery")
        with transaction(db) as uow, pytest.raises(DuplicateItem, match="BEAN appears twice"):
            order_service.place_order(uow, ACTOR, WHOLE_SHOP, new)
    assert count(db, Order) == 0


def test_a_store_is_refused_before_anything_is_written(shop: Session, db: Database) -> None:
    """Delivery from the warehouse, or a customer of another store: nothing reserved, no
    customer created for a phone number on the way, even if the caller then commits."""
    riva = factories.customer(shop, "+15555550102", "Riva")
    with transaction(db) as uow:
        order_service.place_order(
            uow, ACTOR, WHOLE_SHOP, NewOrder(riva.id, {"MUG": 1}, "pickup", pickup_location="RV")
        )
    before = (reserved(db), count(db, Customer), count(db, CustomerIdentity))
    refused = [
        NewOrder(NewCustomer("phone", "+15555550109", "Newt"), {"BEAN": 1}, "delivery", "1 Rd"),
        NewOrder(riva.id, {"BEAN": 1}, "pickup", pickup_location="DT"),
        NewOrder(NewCustomer("phone", "+15555550102"), {"BEAN": 1}, "pickup", pickup_location="DT"),
    ]
    for new in refused:
        with transaction(db) as uow, pytest.raises(LocationAccessDenied):
            order_service.place_order(uow, ACTOR, DOWNTOWN, new)
    assert (reserved(db), count(db, Customer), count(db, CustomerIdentity)) == before


def test_a_store_may_change_its_order_but_not_move_it_away(shop: Session, db: Database) -> None:
    jo = factories.customer(shop)
    with transaction(db) as uow:
        number = order_service.place_order(
            uow, ACTOR, WHOLE_SHOP, NewOrder(jo.id, {"BEAN": 1}, "pickup", pickup_location="DT")
        ).number
    with transaction(db) as uow:
        order_service.change_order(uow, STAFF, DOWNTOWN, number, OrderChanges({"BEAN": 3}))
    away = OrderChanges(pickup_location_code="RV")
    with transaction(db) as uow, pytest.raises(LocationAccessDenied):
        order_service.change_order(uow, STAFF, DOWNTOWN, number, away)
    with db.reading() as s:
        order = order_service.find_order(s, WHOLE_SHOP, number)
        assert (order.location.code, order.lines[0].quantity) == ("DT", 3)
    riverside = Scope.stores(["RV"])
    with transaction(db) as uow, pytest.raises(LocationAccessDenied, match="handled by Downtown"):
        order_service.cancel_order(uow, STAFF, riverside, number)


def test_a_customer_sees_only_their_own_orders(shop: Session, db: Database) -> None:
    jo, sam = factories.customer(shop), factories.customer(shop, "+15555550112", "Sam")
    order = factories.order_in(shop, OrderStatus.PLACED, jo)
    shop.commit()
    with db.reading() as s:
        assert order_service.find_order(s, Scope.customer(jo.id), order.number).id == order.id
        with pytest.raises(OrderNotFound, match=f"There is no order #{order.number}."):
            order_service.find_order(s, Scope.customer(sam.id), f"#{order.number}")
        assert order_service.search_orders(s, Scope.customer(sam.id), customer_id=jo.id) == []
        assert order_service.search_orders(s, Scope.customer(sam.id)) == []


# --- units of work ----------------------------------------------------------------------


def test_within_a_callers_session_a_refusal_undoes_only_the_service(
    shop: Session, db: Database
) -> None:
    """The bot's turn: its own writes (here a new customer) commit with the refusal."""
    jo = factories.customer(shop)
    shipped = factories.order_in(shop, OrderStatus.SHIPPED, jo)
    placed = factories.order_in(shop, OrderStatus.PLACED, jo)
    with db.transaction() as s:
        s.add(Customer(name="Written by the turn", default_address=""))
        uow, mine = within(s), Scope.customer(jo.id)
        with pytest.raises(OrderNotModifiable):
            order_service.change_order(uow, ACTOR, mine, shipped.number, OrderChanges({"MUG": 3}))
        order_service.cancel_order(uow, ACTOR, mine, placed.number)
    with db.reading() as s:
        assert s.scalar(select(Customer).where(Customer.name == "Written by the turn"))
        unchanged = order_service.find_order(s, WHOLE_SHOP, shipped.number)
        assert {line.sku: line.quantity for line in unchanged.lines} == {"BEAN": 2, "MUG": 1}
        assert order_service.find_order(s, WHOLE_SHOP, placed.number).status == "cancelled"


def test_in_a_transaction_of_its_own_a_refusal_undoes_everything(
    shop: Session, db: Database
) -> None:
    with pytest.raises(Forbidden), transaction(db) as uow:
        uow.session.add(Customer(name="Never saved", default_address=""))
        stock_service.set_low_stock_threshold(uow, DOWNTOWN, "BEAN", 5)
    assert count(db, Customer) == 0


# --- returns and stock ------------------------------------------------------------------


def test_which_store_handles_a_return(shop: Session, db: Database) -> None:
    """Bound for a store: that store's. By mail: its order's location's, or the store
    whose counter the parcel reached."""
    order = factories.order_in(shop, OrderStatus.DELIVERED)  # shipped from the warehouse
    by_mail = returns.request_return(shop, order, {"MUG": 1}, method="mail", actor=ACTOR)
    to_rv = returns.request_return(
        shop, order, {"BEAN": 1}, method="store", location_code="RV", actor=ACTOR
    )
    shop.commit()
    riverside = Scope.stores(["RV"])
    with db.reading() as s:
        return_service.find_return(s, riverside, to_rv.number)
        return_service.find_return(s, Scope.stores(["WH"]), by_mail.number)
        return_service.find_return(s, DOWNTOWN, by_mail.number, counter="DT")
        with pytest.raises(LocationAccessDenied, match="handled by Riverside, not Downtown"):
            return_service.find_return(s, DOWNTOWN, to_rv.number, counter="DT")
        with pytest.raises(LocationAccessDenied, match="handled by Warehouse, not Downtown"):
            return_service.find_return(s, DOWNTOWN, by_mail.number)
    with transaction(db) as uow:
        return_service.approve_return(uow, STAFF, WHOLE_SHOP, by_mail.number)
    with transaction(db) as uow:
        return_service.receive_return(uow, STAFF, DOWNTOWN, by_mail.number, location="DT")
    with db.reading() as s:  # received at Downtown: now Downtown's to refund
        return_service.find_return(s, DOWNTOWN, by_mail.number)
    with transaction(db) as uow, pytest.raises(LocationAccessDenied):
        return_service.refund_return(uow, STAFF, riverside, by_mail.number)


def test_stock_moves_start_at_a_location_in_scope(shop: Session, db: Database) -> None:
    with transaction(db) as uow:
        stock_service.transfer(uow, STAFF, DOWNTOWN, "BEAN", "DT", "RV", 2)
        assert stock_service.receive(uow, STAFF, DOWNTOWN, "BEAN", "dt", 5).on_hand == 13
    for move in (
        lambda uow: stock_service.transfer(uow, STAFF, DOWNTOWN, "BEAN", "RV", "DT", 2),
        lambda uow: stock_service.adjust(
            uow, STAFF, DOWNTOWN, "BEAN", "WH", reason="found", delta=1
        ),
    ):
        with transaction(db) as uow, pytest.raises(LocationAccessDenied):
            move(uow)
    assert factories.stock(shop, "BEAN", "RV").on_hand == 12


# --- API tokens -------------------------------------------------------------------------


def test_a_token_is_marked_used_once_per_few_minutes(app: Flask) -> None:
    made = app.test_cli_runner().invoke(args=["create-api-token", "pos-2"])
    headers = {"Authorization": f"Bearer {made.output.strip()}"}
    client, database = app.test_client(), app.extensions["db"]

    def last_used() -> object:
        with database.reading() as s:
            return s.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "pos-2"))

    assert last_used() is None
    client.get("/api/v1/products", headers=headers)
    first = last_used()
    assert first is not None
    client.get("/api/v1/products", headers=headers)
    assert last_used() == first  # a read: nothing written
    with database.transaction() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "pos-2"))
        row.last_used_at = utcnow() - timedelta(minutes=6)
    client.get("/api/v1/products", headers=headers)
    assert last_used() > first
