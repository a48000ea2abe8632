"""A customer the shop has no name for is asked whose name the order goes under, once:
the name is stored on the customer, a skip is respected, and nobody is asked twice
(not in a later order, not after a handoff). The pickup list and the console show it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.flows.names import declines, read_name
from conversations import handoffs as queue
from conversations.models import Conversation
from infra.db import Database
from orders.models import Customer
from tests.dialogue import Chat, open_chat
from tests.handoff_support import agent, login

ASKS = "Whose name should the order be under?"


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Sam", "Sam"),
        ("it's Sam Lee", "Sam Lee"),
        ("sam lee", "Sam Lee"),
        ("SAM LEE", "Sam Lee"),
        ("my name is Priya Patel, thanks", "Priya Patel"),
        ("put it under o'brien please", "O'Brien"),
        ("ok its Mary-Jane", "Mary-Jane"),
        ("McKenzie", "McKenzie"),
        ("yes", None),
        ("what time do you close", None),
        ("Sam?", None),
        ("2 mugs", None),
        ("can you deliver it instead", None),
    ],
)
def test_reading_a_name(said: str, name: str | None) -> None:
    assert read_name(said) == name


@pytest.mark.parametrize(
    "said", ["no", "Skip", "skip.", "rather not", "I'd rather not say", "no thanks", "nope"]
)
def test_declining(said: str) -> None:
    assert declines(said)


@pytest.mark.parametrize("said", ["Sam", "no, two mugs", "not now, what time do you open"])
def test_not_declining(said: str) -> None:
    assert not declines(said)


def stranger(db: Database, channel: str = "web") -> Chat:
    """A customer the shop knows nothing about yet, as web and terminal chats make them."""
    chat = open_chat(db, channel=channel)
    with db.transaction() as session:
        session.get(Conversation, chat.conversation_id).customer.name = ""
    return chat


def customer_of(chat: Chat) -> Customer:
    with chat.session() as session:
        return session.get(Conversation, chat.conversation_id).customer


def test_a_stranger_is_asked_once_and_the_name_is_kept(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(
        "2 x Ethiopia Yirgacheffe Beans 250g", "$29.00", "Downtown", ASKS
    )
    assert chat.conversation().state["step"] == "checkout_name"
    chat.says("it's sam lee").reply_has("Thanks, Sam Lee", "YES")
    assert len(chat.orders()) == 0  # a name is not a yes
    chat.says("yes").reply_has("placed", "Downtown Store")
    customer = customer_of(chat)
    assert customer.name == "Sam Lee" and chat.latest_order().customer_id == customer.id

    chat.says("1 white mug for pickup at riverside").reply_has("Reply YES").reply_lacks(ASKS)
    chat.says("yes").reply_has("placed")
    assert len(chat.orders()) == 2


def test_a_skip_places_the_order_without_a_name_and_is_not_asked_again(db: Database) -> None:
    chat = stranger(db, channel="console")
    chat.says("a grinder delivered to 22 Elm Street, Springfield").reply_has(ASKS)
    chat.says("rather not").reply_has("No problem", "YES")
    chat.says("yes").reply_has("placed", "22 Elm Street")
    customer = customer_of(chat)
    assert customer.name == "" and customer.name_asked_at is not None
    chat.says("2 ethiopian beans for pickup downtown").reply_lacks(ASKS).reply_has("Reply YES")


def test_a_plain_yes_to_the_question_places_the_order_without_a_name(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(ASKS)
    chat.says("yes").reply_has("placed", "Downtown Store")
    assert customer_of(chat).name == ""


def test_a_change_instead_of_a_name_shows_the_order_again_without_asking(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(ASKS)
    chat.says("actually make it 3").reply_has("3 x Ethiopia", "$43.50").reply_lacks(ASKS)
    chat.says("yes").reply_has("placed", "$43.50")


def test_a_question_at_the_name_is_answered_and_the_question_comes_back(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(ASKS)
    chat.says("when are you open on sunday?").reply_has("Sun")
    chat.says("Sam").reply_has("Thanks, Sam")
    assert customer_of(chat).name == "Sam"


def test_never_mind_at_the_name_drops_the_cart(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(ASKS)
    chat.says("never mind")
    assert chat.conversation().state.get("cart") is None and chat.orders() == []


def test_not_asked_again_after_a_handoff(db: Database) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown").reply_has(ASKS)
    chat.says("I want to talk to a person")
    [handoff] = chat.handoffs()
    with db.transaction() as session:
        queue.resolve(queue.SqlHandoffs(session), queue.get_handoff(session, handoff.id), None)
    chat.says("2 ethiopian beans for pickup downtown").reply_lacks(ASKS).reply_has("Reply YES")
    chat.says("yes").reply_has("placed")
    assert customer_of(chat).name == ""


def test_a_customer_with_a_name_is_never_asked(db: Database) -> None:
    chat = open_chat(db, "Jo Rivera")
    chat.says("2 ethiopian beans for pickup downtown").reply_lacks(ASKS).reply_has("Reply YES")


def test_the_pickup_list_and_the_console_show_the_name_given(
    app: Flask, db: Database, client: FlaskClient
) -> None:
    chat = stranger(db)
    chat.says("2 ethiopian beans for pickup downtown")
    chat.says("Robin Quill")
    chat.says("yes").reply_has("placed")
    customer_id = customer_of(chat).id
    with db.sessions() as session:
        agent(session, "ada@example.com", role="admin")
    login(client, "ada@example.com")
    assert "Robin Quill" in client.get("/csr/store/DT/pickups").get_data(as_text=True)
    page = client.get(f"/csr/customers/{customer_id}").get_data(as_text=True)
    assert "Robin Quill" in page
