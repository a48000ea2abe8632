"""The exact scope of a change: which order, which lines, how many (issue 14)."""

from __future__ import annotations

from tests.dialogue import open_chat


def _add(chat, text: str) -> None:
    chat.says(text).reply_has("YES")
    chat.says("yes").reply_has("Done")


def test_drop_one_line_but_keep_the_other(db):
    chat = open_chat(db, "Jo Rivera")
    _add(chat, "add a kettle to order 10002")
    chat.says("drop the kettle but keep the grinder").reply_has(
        "Gooseneck Kettle 1 -> 0", "New total $89.00"
    ).reply_lacks("Grinder 1 -> 0")
    chat.says("yes")
    order = chat.order(10002)
    assert order.status == "placed"
    assert {line.sku: line.active_quantity for line in order.lines} == {"GRD-BURR": 1}


def test_cancel_one_line_is_a_partial_cancel(db):
    chat = open_chat(db, "Jo Rivera")
    _add(chat, "add a kettle to order 10002")
    chat.says("cancel the kettle").reply_has("#10002", "Gooseneck Kettle 1 -> 0", "$89.00")
    chat.says("yes").reply_has("$59.00 will be refunded")
    assert chat.order(10002).status == "placed"


def test_replace_swaps_the_lines(db):
    chat = open_chat(db, "Sam Chen")
    # #10004 is 1 x Colombia Huila Beans 250g.
    chat.says("replace the colombia beans with the kenya beans").reply_has(
        "Colombia Huila Beans 250g 1 -> 0", "Kenya AA Beans 250g 0 -> 1"
    )
    chat.says("yes")
    lines = {line.sku: line.active_quantity for line in chat.order(10004).lines}
    assert lines == {"KEN-250": 1}


def test_removing_one_of_several_units(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("make it 3").reply_has("1 -> 3")
    chat.says("yes")
    chat.says("remove one of the colombia beans").reply_has("3 -> 2")
    chat.says("yes")
    assert chat.order(10004).lines[0].active_quantity == 2


def test_a_change_goes_to_the_order_that_has_the_line(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("a kettle for pickup riverside")
    chat.says("yes").reply_has("placed")
    new = chat.latest_order().number
    chat.says("where is order 10002")  # the conversation is now about #10002
    chat.says("cancel the kettle").reply_has(f"#{new}").reply_lacks("#10002")


def test_an_address_change_for_a_shipped_order_is_refused_with_the_reason(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("change the address on order 10003 to 9 Bay Road, Springfield").reply_has(
        "#10003 is already shipped", "can't be changed", "USPS", "AGENT"
    ).reply_lacks("YES")
    assert chat.order(10003).address != "9 Bay Road, Springfield"


def test_an_address_change_asks_which_order_when_two_could_be_meant(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("please send my order to 9 Bay Road, Springfield").reply_has(
        "Which order?", "#10003", "#10004"
    )
    chat.says("10004").reply_has("deliver to 9 Bay Road", "YES")
    chat.says("yes")
    assert chat.order(10004).address == "9 Bay Road, Springfield"


def test_a_partial_return_keeps_its_quantity(db):
    chat = open_chat(db, "Jo Rivera")
    # #10001 has 2 x Ethiopia Yirgacheffe Beans 250g.
    chat.says("i want to send back one of the ethiopia beans").reply_has(
        "Returning 1 x Ethiopia Yirgacheffe Beans 250g"
    )
    chat.says("too strong")
    chat.says("by mail").reply_has("1 x Ethiopia", "up to $14.50")
    chat.says("yes").reply_has("approved")
    (ret,) = chat.returns()
    assert [line.quantity for line in ret.lines] == [1]


def test_the_order_is_found_beyond_the_newest_fifty(db):
    from datetime import timedelta

    from orders.models import Order

    chat = open_chat(db, "Jo Rivera")
    template = chat.order(10001)
    with db.transaction() as session:
        for i in range(60):  # sixty delivered orders, all newer than the open #10002
            session.add(
                Order(
                    number=20000 + i,
                    customer_id=template.customer_id,
                    status="delivered",
                    fulfillment_method="delivery",
                    location_id=template.location_id,
                    address=template.address,
                    placed_at=template.placed_at + timedelta(days=400 + i),
                )
            )
    chat.says("cancel my order").reply_has("Cancel #10002")


def test_my_product_points_at_the_order_that_has_it(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("hi, where's my kettle?").reply_has("#10003", "USPS").reply_lacks("In stock")
    chat.says("can i collect my colombia beans from riverside instead?").reply_has(
        "Change #10004", "pick up at Riverside Store", "YES"
    )
    chat.says("yes")
    assert chat.order(10004).location.code == "RV"


def test_a_line_of_a_placed_order_named_with_a_cart_open_is_the_orders(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("a colombia beans").reply_has("Your cart")
    # The filters are on #10003, which has shipped: said so, and the cart stays.
    chat.says("drop the filters but keep the kettle").reply_has(
        "#10003 is already shipped", "Back to where we were"
    )
    chat.says("pickup riverside").reply_has("1 x Colombia Huila Beans 250g", "Riverside")
    assert [line.active_quantity for line in chat.order(10003).lines] == [1, 1, 2]
