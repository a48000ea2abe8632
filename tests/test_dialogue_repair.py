"""Commands, the task stack and the repair patterns every task shares (issue 14)."""

from __future__ import annotations

import json

from entrypoints.bootstrap import bootstrap
from infra.settings import load_settings
from tests.dialogue import open_chat


def test_two_requests_in_one_message_are_both_answered(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("cancel order 10002 and what time do you close today").reply_has(
        "Cancel #10002", "Downtown Store: Mon-Sat", "Reply YES"
    )
    chat.says("yes").reply_has("#10002 is cancelled")
    assert chat.order(10002).status == "cancelled"


def test_a_list_of_products_is_one_request(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("2 kenya beans and a hand grinder").reply_has(
        "2 x Kenya AA Beans 250g", "1 x Hand Grinder", "Total $71.00"
    )


def test_the_total_mid_cart_then_the_cart_goes_on(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("2 kenya beans").reply_has("DELIVERY or PICKUP")
    chat.says("what's the total?").reply_has("$32.00", "Back to where we were", "DELIVERY")
    chat.says("pickup at riverside").reply_has("2 x Kenya AA Beans 250g", "Riverside", "YES")


def test_a_task_started_mid_cart_resumes_the_cart_when_done(db, db_url):
    chat = open_chat(db, "Jo Rivera")
    chat.says("a kettle")
    chat.says("cancel order 10002").reply_has("Cancel #10002")
    db.dispose()
    # the stack is in the database, not in a worker
    chat.database = bootstrap(load_settings(database_url=db_url)).database
    try:
        chat.says("yes").reply_has("#10002 is cancelled", "Back to where we were", "PICKUP")
        chat.says("pickup riverside").reply_has("1 x Gooseneck Kettle", "Riverside")
        chat.says("yes").reply_has("placed")
    finally:
        chat.database.dispose()
    assert chat.latest_order().lines[0].sku == "KET-GOOSE"


def test_a_follow_up_keeps_the_product(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("do you have the kettle at riverside?").reply_has("Gooseneck Kettle", "Riverside")
    chat.says("what about downtown?").reply_has("Gooseneck Kettle", "Downtown Store")


def test_the_other_store_at_the_summary_changes_the_store_and_previews_again(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("a kettle for pickup downtown").reply_has("Pickup at Downtown Store", "YES")
    chat.says("fine, the other store then").reply_has("Pickup at Riverside Store", "YES")
    assert len(chat.orders()) == 2  # a correction places nothing
    chat.says("yes").reply_has("placed", "Riverside Store")
    assert chat.latest_order().location.code == "RV"


def test_the_other_store_at_an_order_change(db):
    chat = open_chat(db, "Jo Rivera")
    # #10002 is for pickup Downtown; "the other store" is Riverside.
    chat.says("change order 10002 to pickup at the other store").reply_has("Riverside Store")
    chat.says("yes")
    assert chat.order(10002).location.code == "RV"


def test_forget_it_with_a_cart_drops_the_cart_not_an_order(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 kenya beans").reply_has("DELIVERY or PICKUP")
    chat.says("forget it").reply_has(
        "dropped your cart", "2 x Kenya", "placed orders are unchanged"
    )
    chat.says("yes").reply_has("nothing waiting")
    assert chat.order(10002).status == "placed"


def test_cancel_the_order_with_an_open_cart_means_the_cart(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("3 white mugs")
    chat.says("cancel one of the mugs").reply_has("2 x Ceramic Mug White").reply_lacks("#10002")
    chat.says("cancel my order").reply_has("dropped your cart").reply_lacks("Cancel #10002")
    assert chat.order(10002).status == "placed"
    chat.says("cancel order 10002").reply_has("Cancel #10002")


def test_never_mind_in_a_question_aside_goes_back_to_the_cart(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("a kettle")
    chat.says("where is my order").reply_has("Which order?")
    chat.says("never mind").reply_has("stopped", "Back to where we were")
    chat.says("delivery").reply_has("Delivery to 5 Harbor Lane")


def test_repeat_that(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("cancel order 10002")
    first = chat.text
    chat.says("sorry, can you repeat that?")
    assert chat.text == first
    chat.says("yes").reply_has("cancelled")


def test_a_correction_while_asked_which_one(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 mugs for pickup at riverside").reply_has("Which one")
    chat.says("actually the blue one instead").reply_has("2 x Ceramic Mug Blue", "Riverside")
    assert chat.order(10002).lines[0].sku == "GRD-BURR"  # the older order is untouched


def test_a_second_item_waits_for_the_first_ones_question(db):
    chat = open_chat(db, "Priya Patel")
    chat.says("a kettle and 2 mugs").reply_has("Which one")
    chat.says("the blue one").reply_has("1 x Gooseneck Kettle", "2 x Ceramic Mug Blue")


def test_a_simple_question_after_a_miss_is_not_handed_over(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("asdf qwerty").reply_has("didn't get that")
    chat.says("what are your hours").reply_has("Downtown")
    assert chat.handoffs() == []


def test_nlu_prints_commands_in_order(app):
    from orders.demo import seed

    with app.extensions["db"].transaction() as session:
        seed(session)
    result = app.test_cli_runner().invoke(
        args=["nlu"],
        input="cancel the kettle and what time do you close today\nnever mind\nrepeat that\n",
    )
    assert result.exit_code == 0, result.output
    two, stop, again = (json.loads(line) for line in result.output.splitlines())
    assert {"text", "intent", "confidence", "entities"} <= two.keys()
    assert [(c["command"], c.get("task")) for c in two["commands"]] == [
        ("start", "cancel_order"),
        ("start", "store_info"),
    ]
    assert two["commands"][0]["slots"]["products"][0]["sku"] == "KET-GOOSE"
    assert stop["commands"] == [{"command": "cancel", "text": "never mind"}]
    assert again["commands"][0]["command"] == "repeat"


def test_never_mind_one_item_keeps_the_rest(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("a kettle and 2 mugs").reply_has("Which one")
    chat.says("never mind the mugs").reply_has("1 x Gooseneck Kettle").reply_lacks("Mug")


def test_where_is_the_product_tracks_its_order(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("where is the colombia beans?").reply_has("#10004", "placed")


def test_ill_take_two_after_a_price(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("how much is the grinder?").reply_has("$89.00")
    chat.says("great, i'll take 2").reply_has("2 x Electric Burr Grinder", "$178.00")


def test_a_stock_question_mid_cart_then_collect_it_there(db):
    chat = open_chat(db, "Sam Chen")
    chat.says("a kettle").reply_has("DELIVERY or PICKUP")
    chat.says("does riverside have it?").reply_has("2 available at Riverside", "Back to where")
    chat.says("ok i'll collect it there").reply_has("Pickup at Riverside Store", "YES")
