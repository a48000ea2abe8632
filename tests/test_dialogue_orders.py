"""Tracking, history, changing and cancelling existing orders; other people's orders."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from conversations.models import Conversation
from infra.db import utcnow
from orders import ordering, queries
from orders.events import Actor
from tests.dialogue import open_chat
from tests.factories import stock


def test_track_picks_from_a_short_list(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("wheres my ordr").reply_has("Which order?", "#10003", "#10004")
    chat.says("10003").reply_has("#10003", "shipped", "USPS", "9400111899223197428490")


def test_track_the_only_open_order_ready_for_pickup(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("where is my order?").reply_has(
        "#10005", "ready for pickup", "Riverside Store", "480 River Road", "Mon-Fri", "Pickup code"
    )
    assert chat.order(10005).pickup_code in chat.text


def test_unproven_sender_gets_status_but_not_the_pickup_code(db):
    chat = open_chat(db, "Priya Patel", channel="email", verified=False)
    chat.says("where is my order").reply_has("#10005", "ready for pickup")
    assert chat.order(10005).pickup_code not in chat.text


def test_with_nothing_on_its_way_tracking_tells_of_the_latest_order(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("cancel order 10002")
    chat.says("yes").reply_has("cancelled")
    chat.says("where is my order").reply_has("#10002", "cancelled")
    assert "#10001" not in chat.text


def test_order_history(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("show me my past orders").reply_has("#10001", "delivered", "#10002", "placed")


def test_someone_elses_order_number_is_like_no_order(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("where is my order #10003")
    theirs = chat.text
    chat.says("where is my order #99999")
    assert theirs.replace("10003", "N") == chat.text.replace("99999", "N")
    assert "USPS" not in theirs and "no order" in theirs
    chat.says("cancel order 10004").reply_has("There is no order 10004")
    assert open_chat(db, "Sam Chen").order(10004).status == "placed"


def test_cancel_the_only_open_order_after_yes(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("cancel my ordr").reply_has("Cancel #10002", "Electric Burr Grinder", "$89.00", "YES")
    assert chat.order(10002).status == "placed"
    chat.says("yes").reply_has("#10002 is cancelled", "$89.00")
    assert chat.order(10002).status == "cancelled"
    with db.sessions() as session:
        assert stock(session, "GRD-BURR", "DT").reserved == 0


def test_no_keeps_the_order(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("I want to cancel order 10002").reply_has("Cancel #10002")
    chat.says("no").reply_has("nothing changed")
    assert chat.order(10002).status == "placed"


def test_shipped_orders_cannot_be_cancelled(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("cancel order #10003").reply_has("#10003 is already shipped")
    assert chat.order(10003).status == "shipped"


def test_add_an_item_shows_new_total_then_confirms(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("add a mug to my order").reply_has("Which one", "Ceramic Mug White")
    chat.says("the white one").reply_has(
        "Change #10002", "Ceramic Mug White 0 -> 1", "New total $101.00", "was $89.00"
    )
    assert len(chat.order(10002).lines) == 1
    chat.says("yes").reply_has("Done", "1 x Ceramic Mug White", "$101.00", "$12.00 more")
    lines = {line.sku: line.quantity for line in chat.order(10002).lines}
    assert lines == {"GRD-BURR": 1, "MUG-WHT": 1}


def test_an_unclear_product_is_asked_about_by_number(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("add 2 mugs to order 10002").reply_has("Which one", "1)", "2)")
    options = chat.text
    number = next(n for n in "123" if f"{n}) Ceramic Mug Blue" in options)
    chat.says(number).reply_has("Ceramic Mug Blue 0 -> 2", "New total $113.00")
    chat.says("yes").reply_has("Done")
    assert {line.sku for line in chat.order(10002).lines} == {"GRD-BURR", "MUG-BLU"}


def test_make_it_two_on_a_one_line_order(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("change my order").reply_has("What should change on #10004")
    chat.says("make it 2").reply_has("Colombia Huila Beans 250g 1 -> 2", "$26.00")
    chat.says("yes")
    assert chat.order(10004).lines[0].active_quantity == 2


def test_switch_to_pickup_at_another_store(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("pick it up at riverside instead").reply_has("pick up at Riverside Store", "YES")
    chat.says("yes").reply_has("Pickup at Riverside Store")
    assert chat.order(10002).location.code == "RV"


def test_change_the_delivery_address(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("change the address on order 10004 to 9 Bay Road, Springfield").reply_has(
        "deliver to 9 Bay Road", "YES"
    )
    chat.says("yes")
    assert chat.order(10004).address == "9 Bay Road, Springfield"


def test_unproven_sender_needs_the_code_to_cancel(db):
    chat = open_chat(db, "Jo Rivera", channel="email", verified=False)
    chat.says("cancel order 10002").reply_has("Cancel #10002")
    chat.says("yes").reply_has("reply with this code")
    code = chat.code()
    wrong = "000000" if code != "000000" else "111111"
    chat.says(wrong).reply_has("doesn't match")
    assert chat.order(10002).status == "placed"
    chat.says(code).reply_has("#10002 is cancelled")
    assert chat.order(10002).status == "cancelled"


def test_too_many_wrong_codes_change_nothing(db):
    chat = open_chat(db, "Jo Rivera", channel="email", verified=False)
    chat.says("cancel order 10002")
    chat.says("yes")
    code = chat.code()
    for wrong in [c for c in ("000000", "111111", "222222", "333333") if c != code][:3]:
        chat.says(wrong)
    chat.reply_has("nothing was changed")
    chat.says(code)
    assert chat.order(10002).status == "placed"


def test_an_open_order_behind_many_newer_ones_is_tracked_in_one_statement(db):
    """The open order is found however many newer ones there are, and the order, its
    lines, store and shipment come in one statement (no lazy loads for the reply)."""
    chat = open_chat(db, "Sam Chen")  # #10003 shipped, #10004 placed
    actor = Actor.system("test")
    with db.transaction() as session:
        sam = session.get(Conversation, chat.conversation_id).customer
        ordering.cancel_order(session, queries.get_order(session, 10004), actor=actor)
        for minutes in range(60):  # newer, but cancelled: none of them on its way
            mug = {"MUG-WHT": 1}
            order = ordering.place_order(session, sam, mug, method="delivery", actor=actor)
            order.placed_at = utcnow() + timedelta(minutes=minutes)
            ordering.cancel_order(session, order, actor=actor)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        chat.says("where is my order").reply_has("#10003", "shipped", "USPS")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    reading = [s for s in statements if re.search(r"\b(orders|order_lines|shipments)\b", s)]
    assert len(reading) == 1, reading
