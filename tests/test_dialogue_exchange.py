"""Exchanges: the return of a line and a new order of another variant, on one yes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from orders.models import Product, Stock
from tests.dialogue import open_chat


def test_an_exchange_that_cannot_send_the_new_variant_returns_nothing(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("can i exchange the mug for a black one instead?").reply_has(
        "Ceramic Mug White", "Ceramic Mug Black"
    )
    before = {o.number for o in chat.orders()}
    with db.transaction() as session:  # the black mugs sell out before the yes
        black = session.query(Product).filter_by(sku="MUG-BLK").one()
        session.execute(update(Stock).where(Stock.product_id == black.id).values(on_hand=0))
    chat.says("yes")
    assert chat.returns() == []  # both or neither: no refund for a swap not sent
    assert {o.number for o in chat.orders()} == before


def test_an_exchange_a_person_must_approve_tells_them_what_to_send(db):
    chat = open_chat(db, "Jo Rivera", refund_escalation_amount=Decimal("10.00"))
    chat.says("can i exchange the mug for a black one instead?").reply_has("Ceramic Mug Black")
    chat.says("yes").reply_has("A person needs to approve")
    (handoff,) = chat.handoffs()
    assert "Ceramic Mug Black" in handoff.summary  # or the swap is forgotten once approved


def test_a_swap_during_a_return_of_several_lines_keeps_the_others_coming_back(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("return order 10001")
    chat.says("all of it").reply_has("2 x Ethiopia", "1 x Ceramic Mug White")
    chat.says("can i swap the mug for a black one instead?").reply_has(
        "2 x Ethiopia", "1 x Ceramic Mug Black"
    )
    chat.says("yes")
    (ret,) = chat.returns()
    assert sorted(line.quantity for line in ret.lines) == [1, 2]
    assert [line.sku for line in chat.latest_order().lines] == ["MUG-BLK"]
