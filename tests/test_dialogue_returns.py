"""Returns (items, reason, eligibility, mail or store, the number) and refund status."""

from __future__ import annotations

from decimal import Decimal

from tests.dialogue import open_chat


def test_return_by_mail_is_approved_with_a_number(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("i want to return the mug").reply_has("Returning 1 x Ceramic Mug White", "reason")
    chat.says("it's chipped").reply_has("by mail", "Downtown Store", "Riverside Store")
    chat.says("by mail").reply_has("1 x Ceramic Mug White", "#10001", "up to $12.00", "YES")
    assert chat.returns() == []
    chat.says("yes").reply_has("approved", "Central Warehouse, 9 Depot Way", "$12.00")
    (ret,) = chat.returns()
    assert ret.display_number in chat.text
    assert (ret.status, ret.method, ret.reason) == ("approved", "mail", "it's chipped")
    assert [(line.quantity) for line in ret.lines] == [1]


def test_a_question_or_a_new_request_is_not_taken_as_the_reason(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("i want to return the mug").reply_has("Returning 1 x Ceramic Mug White", "reason")
    chat.says("where is my order 10002").reply_has("#10002")
    chat.says("i want to return the mug").reply_has("Returning 1 x Ceramic Mug White", "reason")
    chat.says("the handle is chipped").reply_has("by mail")
    chat.says("by mail")
    chat.says("yes").reply_has("approved")
    (ret,) = chat.returns()
    assert ret.reason == "the handle is chipped"


def test_a_letter_that_reads_like_an_order_but_asks_a_return_is_a_return(db):
    """A story of "one of the two bags" reads as an order of one bag; the letter asks to
    send one back, so it is a return of that one, not the whole line and no cart."""
    chat = open_chat(db, "Jo Rivera")
    chat.says(
        "Hello,\n\nThe parcel came on Monday and everything looked fine at first, but when"
        " I was putting things away I noticed that one of the two bags of Ethiopia beans was torn"
        " along the seam and some beans had spilled into the box.\n\nThe other one"
        " is fine. Can I send back the torn one by post?\n\nThanks,\nJo"
    ).reply_has("1 x Ethiopia Yirgacheffe Beans 250g", "#10001").reply_lacks("cart", "2 x")
    chat.says("yes").reply_has("approved")
    (ret,) = chat.returns()
    assert (ret.method, [line.quantity for line in ret.lines]) == ("mail", [1])


def test_a_letter_asking_a_return_reads_its_story_for_the_reason_and_keeps_the_store(db):
    """ "I bought the mug as well" reads as an order; the letter asks to return the mug
    at a store, and its story says why ("barely been used"): one return there, shown at
    once, with no reason asked and no cart."""
    chat = open_chat(db, "Jo Rivera")
    chat.says(
        "Good morning,\n\nI've been a customer for a couple of years now and I really love"
        " your Colombia beans, they are the best I have found in town. Last week I bought the"
        " ceramic mug as well, thinking it would be nice for my morning coffee.\n\nSadly I've"
        " gone back to buying paper cups at work. It's barely been used.\n\nWould it be"
        " possible to return"
        " the mug? I am in town on Friday so I could drop it at the Riverside store.\n\n"
        "Kind regards,\nJo Rivera"
    ).reply_has("1 x Ceramic Mug White", "Riverside Store", "YES").reply_lacks("cart", "reason")
    chat.says("yes").reply_has("approved")
    (ret,) = chat.returns()
    assert (ret.method, ret.location.code) == ("store", "RV")


def test_return_everything_in_store(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("return order 10001").reply_has("Which items", "2 x Ethiopia", "1 x Ceramic Mug")
    chat.says("all of it").reply_has("Returning 2 x Ethiopia Yirgacheffe Beans 250g")
    chat.says("too much coffee in the house")
    chat.says("riverside").reply_has("bring it to Riverside Store", "up to $41.00")
    chat.says("yes").reply_has("approved", "Riverside Store", "480 River Road")
    (ret,) = chat.returns()
    assert (ret.method, ret.location.code) == ("store", "RV")


def test_the_store_named_with_the_request_is_where_it_comes_back(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("can i bring the mug back to the riverside store").reply_has("reason")
    chat.says("we have too many").reply_has("bring it to Riverside Store", "YES")
    chat.says("yes").reply_has("approved")
    (ret,) = chat.returns()
    assert (ret.method, ret.location.code) == ("store", "RV")


def test_a_big_refund_goes_to_a_person(db):
    chat = open_chat(db, "Jo Rivera", refund_escalation_amount=Decimal("10.00"))
    chat.says("i want to return the mug")
    chat.says("wrong colour")
    chat.says("mail")
    chat.says("yes").reply_has("requested", "A person needs to approve", "in line")
    (ret,) = chat.returns()
    assert ret.status == "requested"
    (handoff,) = chat.handoffs()
    assert handoff.reason == "policy" and ret.display_number in handoff.summary
    assert chat.conversation().mode == "handoff"


def test_only_what_was_handed_over_can_come_back(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("i want to return order 10002").reply_has("#10002 is placed", "shipped or picked up")
    assert chat.returns() == []


def test_the_return_window(db):
    chat = open_chat(db, "Jo Rivera", return_window_days=5)
    chat.says("return order 10001").reply_has("5-day return window", "closed")


def test_refund_status_of_own_returns_only(db):
    alex = open_chat(db, "Alex Morgan")
    alex.says("where is my refund").reply_has("R2001", "#10007", "waiting for review")
    alex.says("status of R2001").reply_has("R2001", "waiting for review")
    jo = open_chat(db, "Jo Rivera")
    jo.says("status of R2001").reply_has("There is no return R2001").reply_lacks("#10007")
    jo.says("where is my refund").reply_has("can't find any returns")


def test_a_stock_question_while_asked_how_it_comes_back_is_not_the_answer(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("i want to return the mug")
    chat.says("it's chipped").reply_has("by mail")
    chat.says("is the grinder in stock downtown?").reply_has(
        "2 available at Downtown Store", "Back to where we were"
    )
    chat.says("by mail").reply_has("1 x Ceramic Mug White", "send it by mail")


def test_also_return_finds_the_order_with_that_product(db):
    chat = open_chat(db, "Jo Rivera")
    chat.says("where is my order? also I want to send back the mug, wrong colour").reply_has(
        "#10002", "1 x Ceramic Mug White", "#10001"
    )
