"""Browsing, building a cart, delivery or pickup, the summary and placing the order."""

from __future__ import annotations

from tests.dialogue import open_chat
from tests.factories import stock


def test_pickup_order_with_make_it_three(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 ethiopian beans for pickup downtown").reply_has(
        "2 x Ethiopia Yirgacheffe Beans 250g", "Downtown", "$29.00", "Reply YES"
    )
    assert len(chat.orders()) == 2  # nothing placed before the yes
    chat.says("make it 3").reply_has("3 x Ethiopia", "$43.50", "Downtown")
    chat.says("yes").reply_has("placed", "$43.50", "Downtown Store", "code")
    order = chat.latest_order()
    assert (order.status, order.fulfillment_method, order.location.code) == (
        "placed",
        "pickup",
        "DT",
    )
    assert [(line.sku, line.quantity) for line in order.lines] == [("ETH-250", 3)]
    assert order.pickup_code in chat.text


def test_delivery_goes_to_the_default_address_named_in_the_summary(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("i'd like a grinder").reply_has(
        "Electric Burr Grinder", "$89.00", "DELIVERY", "PICKUP"
    )
    chat.says("delivery").reply_has("Delivery to 77 Oak Avenue", "Total $89.00", "YES to place")
    chat.says("yes").reply_has("placed", "77 Oak Avenue")
    order = chat.latest_order()
    assert (order.fulfillment_method, order.address) == ("delivery", "77 Oak Avenue, Springfield")


def test_a_new_address_instead_of_the_default(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("3 espresso blend 1kg and a v60 delivered please").reply_has("77 Oak Avenue")
    chat.says("5 Harbor Lane, Springfield").reply_has(
        "3 x House Espresso Blend 1kg $126.00", "1 x V60", "Total $148.00", "5 Harbor Lane"
    )
    chat.says("yes")
    assert chat.latest_order().address == "5 Harbor Lane, Springfield"


def test_pickup_is_only_offered_where_everything_is_available(db):
    chat = open_chat(db, "Jo Rivera")
    # Downtown has no black mugs; Riverside has them.
    chat.says("a black mug").reply_has("Ceramic Mug Black", "Riverside").reply_lacks("Downtown")
    chat.says("pickup downtown").reply_has("Downtown Store doesn't have all of it", "Riverside")
    chat.says("riverside").reply_has("Pickup at Riverside Store", "$12.00")
    chat.says("yes")
    assert chat.latest_order().location.code == "RV"


def test_availability_counts_reservations_not_shelf_stock(db):
    chat = open_chat(db, "Sam Chen")
    # 3 grinders on the Downtown shelf, 1 reserved by Jo's pickup order.
    chat.says("is the grinder in stock downtown?").reply_has(
        "Electric Burr Grinder", "$89.00", "2 available at Downtown Store"
    )
    chat.says("do you have black mugs at downtown?").reply_has(
        "None available at Downtown Store", "Riverside Store"
    )


def test_price_question_then_make_it_two(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("how much is the kettle").reply_has("Gooseneck Kettle", "$59.00")
    chat.says("make it 2").reply_has("2 x Gooseneck Kettle $118.00", "DELIVERY or PICKUP")


def test_typos_and_did_you_mean(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 ethiopain beens for pikcup downtwn").reply_has(
        "Which one", "1) Ethiopia Yirgacheffe Beans 250g", "2) Ethiopia Yirgacheffe Beans 1kg"
    )
    chat.says("1").reply_has("2 x Ethiopia Yirgacheffe Beans 250g", "$29.00", "Pickup at Downtown")


def test_adding_removing_and_changing_the_way_mid_flow(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("2 kenya beans").reply_has("2 x Kenya AA Beans 250g $32.00")
    chat.says("and a hand grinder").reply_has("1 x Hand Grinder $39.00", "Total $71.00")
    chat.says("remove the kenya beans").reply_has("Total $39.00").reply_lacks("Kenya")
    chat.says("pickup at riverside").reply_has("Pickup at Riverside Store", "Reply YES")
    chat.says("actually deliver it").reply_has("Delivery to 310 Elm Street", "$39.00")
    chat.says("yes").reply_has("placed")
    order = chat.latest_order()
    assert order.fulfillment_method == "delivery"
    assert [(line.sku, line.quantity) for line in order.lines] == [("GRD-HAND", 1)]


def test_a_question_in_the_middle_keeps_the_cart(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("2 kenya beans").reply_has("DELIVERY or PICKUP")
    chat.says("where is my order").reply_has("#10005", "ready for pickup")
    chat.says("delivery").reply_has("310 Elm Street")


def test_no_at_the_summary_places_nothing(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 ethiopian beans for pickup downtown").reply_has("Reply YES")
    chat.says("no").reply_has("not placed")
    assert len(chat.orders()) == 2


def test_ordering_more_than_anyone_has(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("99 kenya beans for pickup").reply_has("No store has all of this")


def test_stock_gone_before_the_yes(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 guatemala beans for pickup riverside").reply_has("Reply YES")
    with db.sessions() as session:
        from tests.factories import set_stock

        set_stock(session, "GUA-250", "RV", 1)
        session.commit()
        assert stock(session, "GUA-250", "RV").reserved == 0
    chat.says("yes").reply_has("Not enough stock at Riverside Store")
    assert len(chat.orders()) == 2


def test_browse_the_catalog(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("what do you sell?").reply_has("coffee", "mugs", "tea")
    chat.says("what tea do you have?").reply_has("Earl Grey Tea 100g $9.50")


def test_a_colour_alone_picks_among_the_offered_products(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 mugs for pickup at riverside").reply_has("Which one", "Ceramic Mug Black")
    chat.says("the black one").reply_has("2 x Ceramic Mug Black", "$24.00", "Riverside")
