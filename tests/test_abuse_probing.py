"""A customer guessing other customers' order and return numbers through the bot.

Someone else's number must read exactly like a number that does not exist, whatever
the customer asks to do with it, and guessing must stop after a few misses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot import probing
from bot.models import LookupFailure
from infra.db import Database, utcnow
from orders.models import Order, Return
from tests.dialogue import open_chat

# Sam Chen's orders and a return of the demo store, asked about by Jo Rivera.
THEIRS = "10003"
NOBODYS = "99999"
ASKS = [
    "where is my order #{n}",
    "track {n}",
    "cancel order {n}",
    "I want to return order #{n}",
    "change order {n} to 3 mugs",
]


def _a_return(db: Database) -> tuple[str, str]:
    with db.sessions() as session:
        ret = session.query(Return).join(Order).first()
        assert ret is not None, "the demo store has a return"
        return ret.display_number, session.get(Order, ret.order_id).customer.name


@pytest.mark.parametrize("ask", ASKS)
def test_someone_elses_order_reads_like_no_order(db: Database, ask: str) -> None:
    chat = open_chat(db, "Jo Rivera")
    theirs = chat.says(ask.format(n=THEIRS)).text
    chat.says("stop")
    nobodys = chat.says(ask.format(n=NOBODYS)).text
    assert theirs.replace(THEIRS, "N") == nobodys.replace(NOBODYS, "N")
    assert "Sam" not in theirs and "USPS" not in theirs
    assert open_chat(db, "Sam Chen").order(int(THEIRS)).status != "cancelled"


def test_someone_elses_return_reads_like_no_return(db: Database) -> None:
    open_chat(db)  # seeds the demo store
    number, owner = _a_return(db)
    stranger = "Jo Rivera" if owner != "Jo Rivera" else "Sam Chen"
    chat = open_chat(db, stranger)
    theirs = chat.says(f"status of return {number}").text
    nobodys = chat.says("status of return R9999").text
    assert theirs.replace(f"return {number}", "return N") == nobodys.replace(
        "return R9999", "return N"
    )


def test_guessing_numbers_is_paused_after_a_few_misses(db: Database) -> None:
    chat = open_chat(db, "Jo Rivera")
    for guess in range(probing.MAX_FAILURES - 1):
        chat.says(f"where is order {10_100 + guess}").reply_has("There is no order")
        chat.reply_lacks("stopped looking")
    chat.says("where is order 10200").reply_has("There is no order", "stopped looking numbers up")
    # Paused: not even the customer's own or someone else's real number is looked up now.
    chat.says(f"where is my order #{THEIRS}").reply_has("stopped looking numbers up")
    chat.reply_lacks("There is no order")
    chat.says("where is my order 10002").reply_has("stopped looking numbers up")
    chat.says("stop")  # starting over does not lift the pause
    chat.says("track 10002").reply_has("stopped looking numbers up")
    chat.says("show me my past orders").reply_has("#10002")  # no number: still answered
    with db.transaction() as session:  # the window passes
        session.execute(
            update(LookupFailure).values(created_at=utcnow() - probing.WINDOW - timedelta(1))
        )
    chat.says("where is my order 10002").reply_has("#10002").reply_lacks("stopped looking")


def test_own_numbers_do_not_count_as_misses(db: Database) -> None:
    chat = open_chat(db, "Jo Rivera")
    for _ in range(probing.MAX_FAILURES + 2):
        chat.says("where is my order 10002").reply_has("#10002").reply_lacks("stopped looking")


def test_the_pause_is_per_customer(db: Database) -> None:
    prober = open_chat(db, "Jo Rivera")
    for guess in range(probing.MAX_FAILURES):
        prober.says(f"track {10_100 + guess}")
    prober.says("track 10002").reply_has("stopped looking")
    open_chat(db, "Sam Chen").says(f"track {THEIRS}").reply_has(f"#{THEIRS}")
