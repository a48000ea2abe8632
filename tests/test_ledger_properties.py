"""After any sequence of orders, fulfilments, returns and stock moves, the stock ledger
sums to on hand for every (product, location), and reserved is exactly what open order
lines hold there. Hypothesis builds the sequences; refusals are part of the game (they
must leave everything consistent too)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, func, select, text

from entrypoints import schema
from infra.db import Database, utcnow
from orders import customers, fulfilment, ordering, queries, returns, stockops
from orders.errors import DomainError
from orders.models import Order, OrderLine, Stock, StockMovement
from tests.factories import ACTOR, STAFF, make_shop

SKUS = ["BEAN", "MUG", "GRIND"]
LOCATIONS = ["WH", "DT", "RV"]
STORES = ["DT", "RV"]
START_STOCK = {(sku, code): 6 for sku in SKUS for code in LOCATIONS}

skus = st.sampled_from(SKUS)
locations = st.sampled_from(LOCATIONS)
picks = st.integers(min_value=0, max_value=10_000)  # which of the orders placed so far
quantities = st.integers(min_value=1, max_value=4)


def reset(database: Database) -> None:
    with database.engine.begin() as connection:
        if database.is_sqlite:
            for table in reversed(schema.metadata.sorted_tables):
                connection.execute(delete(table))
        else:
            names = ", ".join(f'"{t.name}"' for t in schema.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


class StoreOperations(RuleBasedStateMachine):
    database: Database  # set by the test

    def __init__(self) -> None:
        super().__init__()
        reset(self.database)
        with self.database.sessions() as session:
            make_shop(session, START_STOCK)
        with self.database.transaction() as session:
            self.customer_ids = [
                customers.create_customer(session, f"Buyer {i}", f"{i} Road").id for i in range(3)
            ]
        self.numbers: list[int] = []

    def _run(self, action) -> None:  # type: ignore[no-untyped-def]
        try:
            with self.database.transaction() as session:
                action(session)
        except DomainError:
            pass  # refused: the invariants check that nothing was half-done

    def _order(self, session, pick: int) -> Order | None:  # type: ignore[no-untyped-def]
        if not self.numbers:
            return None
        return queries.get_order(session, self.numbers[pick % len(self.numbers)])

    @rule(
        who=st.integers(0, 2),
        items=st.dictionaries(skus, quantities, min_size=1, max_size=3),
        pickup_at=st.sampled_from([None, *STORES]),
    )
    def place(self, who: int, items: dict[str, int], pickup_at: str | None) -> None:
        def act(session) -> None:  # type: ignore[no-untyped-def]
            customer = customers.get_customer(session, self.customer_ids[who])
            order = ordering.place_order(
                session,
                customer,
                items,
                method="pickup" if pickup_at else "delivery",
                pickup_location_code=pickup_at,
                actor=ACTOR,
            )
            self.numbers.append(order.number)  # type: ignore[arg-type]

        self._run(act)

    @rule(
        pick=picks,
        sku=skus,
        quantity=st.integers(0, 4),
        switch_to=st.sampled_from([None, "delivery", *STORES]),
    )
    def modify(self, pick: int, sku: str, quantity: int, switch_to: str | None) -> None:
        def act(session) -> None:  # type: ignore[no-untyped-def]
            if (order := self._order(session, pick)) is None:
                return
            changes = ordering.OrderChanges(quantities={sku: quantity})
            if switch_to == "delivery":
                changes.fulfillment_method = "delivery"
            elif switch_to:
                changes.fulfillment_method, changes.pickup_location_code = "pickup", switch_to
            ordering.modify_order(session, order, changes, actor=ACTOR)

        self._run(act)

    @rule(pick=picks)
    def cancel(self, pick: int) -> None:
        self._run(
            lambda s: (o := self._order(s, pick)) and ordering.cancel_order(s, o, actor=ACTOR)
        )

    @rule(pick=picks, sku=skus, quantity=quantities)
    def cancel_line(self, pick: int, sku: str, quantity: int) -> None:
        self._run(
            lambda s: (
                (o := self._order(s, pick))
                and ordering.cancel_lines(s, o, {sku: quantity}, actor=ACTOR)
            )
        )

    @rule(pick=picks, partial=st.booleans(), sku=skus)
    def ship(self, pick: int, partial: bool, sku: str) -> None:
        self._run(
            lambda s: (
                (o := self._order(s, pick))
                and fulfilment.ship(
                    s,
                    o,
                    carrier="UPS",
                    tracking_number="1Z",
                    items={sku: 1} if partial else None,
                    actor=STAFF,
                )
            )
        )

    @rule(pick=picks, right_code=st.booleans())
    def pickup(self, pick: int, right_code: bool) -> None:
        def act(session) -> None:  # type: ignore[no-untyped-def]
            if (order := self._order(session, pick)) is None:
                return
            if order.status != "ready_for_pickup":
                fulfilment.mark_ready_for_pickup(session, order, actor=STAFF)
            else:
                code = order.pickup_code if right_code else "not-it"
                fulfilment.mark_picked_up(session, order, code, actor=STAFF)

        self._run(act)

    @rule(pick=picks, at=locations, damaged=st.booleans())
    def return_received(self, pick: int, at: str, damaged: bool) -> None:
        def act(session) -> None:  # type: ignore[no-untyped-def]
            if (order := self._order(session, pick)) is None:
                return
            condition = "damaged" if damaged else "resellable"
            conditions = {line.sku: condition for line in order.lines}
            returns.walk_in_return(
                session, order, None, location_code=at, actor=STAFF, conditions=conditions
            )

        self._run(act)

    @rule(sku=skus, at=locations, quantity=quantities)
    def receive_stock(self, sku: str, at: str, quantity: int) -> None:
        self._run(lambda s: stockops.receive_stock(s, sku, at, quantity, actor=STAFF))

    @rule(
        sku=skus,
        at=locations,
        reason=st.sampled_from(stockops.ADJUST_REASONS),
        amount=st.integers(-5, 5),
    )
    def adjust(self, sku: str, at: str, reason: str, amount: int) -> None:
        kwargs = {"counted": abs(amount)} if reason == "count" else {"delta": amount}
        self._run(lambda s: stockops.adjust_stock(s, sku, at, reason=reason, actor=STAFF, **kwargs))

    @rule(sku=skus, source=locations, to=locations, quantity=quantities)
    def transfer(self, sku: str, source: str, to: str, quantity: int) -> None:
        self._run(lambda s: stockops.transfer_stock(s, sku, source, to, quantity, actor=STAFF))

    @rule(days=st.integers(0, 10))
    def sweep(self, days: int) -> None:
        self._run(
            lambda s: stockops.sweep_uncollected_pickups(
                s, reminder_days=3, expiry_days=7, now=utcnow() + timedelta(days=days)
            )
        )

    @invariant()
    def ledger_and_reservations_agree(self) -> None:
        with self.database.sessions() as session:
            ledger = {
                f"{product_id}:{location_id}": total
                for product_id, location_id, total in session.execute(
                    select(
                        StockMovement.product_id,
                        StockMovement.location_id,
                        func.sum(StockMovement.delta),
                    ).group_by(StockMovement.product_id, StockMovement.location_id)
                )
            }
            held: dict[str, int] = defaultdict(int)
            for line, location_id in session.execute(
                select(OrderLine, Order.location_id).join(Order)
            ).all():
                held[f"{line.product_id}:{location_id}"] += line.open_quantity
            rows = session.scalars(select(Stock)).all()
            assert len(rows) == len(ledger)
            for row in rows:
                key = f"{row.product_id}:{row.location_id}"
                assert ledger[key] == row.on_hand, key
                assert 0 <= row.reserved <= row.on_hand, key
                assert row.reserved == held.get(key, 0), key


def test_ledger_always_sums_to_on_hand(db: Database) -> None:
    StoreOperations.database = db
    run_state_machine_as_test(
        StoreOperations,
        settings=settings(
            max_examples=6,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
