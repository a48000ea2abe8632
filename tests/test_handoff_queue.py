"""The queue rules: escalation, atomic claim, bot silence, hand back, resolve, re-open."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import handoffs as queue
from conversations.handoff_errors import AlreadyClaimed, HandoffClosed, NotYourHandoff
from conversations.models import OutboxMessage
from conversations.staff_models import Handoff
from infra import clock
from infra.db import Database
from infra.settings import load_settings
from orders.errors import IllegalTransition, ValidationFailed
from orders.status import OrderStatus
from tests import factories
from tests.handoff_support import agent, chatting_customer, escalated

SETTINGS = load_settings(handoff_wait_alert_minutes=10, store_name="Test Shop")


@pytest.fixture
def shop(session: Session) -> Session:
    factories.make_shop(session)
    return session


def test_escalate_silences_the_bot_and_records_the_case(shop: Session) -> None:
    customer, conversation = chatting_customer(shop)
    order = factories.order_in(shop, OrderStatus.PLACED, customer)
    assert queue.bot_may_answer(shop, conversation)

    handoff = queue.escalate(shop, conversation, "complaint", "Cold coffee, twice.")
    shop.commit()

    assert handoff.status == "waiting"
    assert handoff.customer_id == customer.id
    assert handoff.priority == queue.REASON_PRIORITY["complaint"]
    assert handoff.related_orders == [order.number]
    assert conversation.mode == "handoff"
    assert not queue.bot_may_answer(shop, conversation)
    assert queue.escalate(shop, conversation, "human_agent").id == handoff.id


def test_related_orders_put_the_one_the_bot_was_on_first(shop: Session) -> None:
    customer, conversation = chatting_customer(shop)
    delivered = factories.order_in(shop, OrderStatus.DELIVERED, customer)
    placed = factories.order_in(shop, OrderStatus.PLACED, customer)
    someone_elses = factories.order_in(shop, OrderStatus.PLACED)
    conversation.state = {"order": someone_elses.number}
    assert queue.escalate(shop, conversation, "policy").related_orders == [placed.number]
    queue.resolve(queue.SqlHandoffs(shop), queue.open_handoff(shop, conversation), None)
    conversation.state = {"order": delivered.number}
    assert queue.escalate(shop, conversation, "policy").related_orders == [
        delivered.number,
        placed.number,
    ]


def test_bot_stays_silent_even_if_the_mode_flag_is_stale(shop: Session) -> None:
    handoff = escalated(shop)
    conversation = handoff.conversation
    conversation.mode = "bot"  # e.g. an intake holding an old copy
    assert not queue.bot_may_answer(shop, conversation)


def test_unknown_reason_is_refused(shop: Session) -> None:
    _, conversation = chatting_customer(shop)
    with pytest.raises(ValidationFailed):
        queue.escalate(shop, conversation, "bored")


def _claim_race(db: Database, handoff_id: int, user_ids: list[int]) -> list[object]:
    barrier = threading.Barrier(len(user_ids))
    results: list[object] = [None] * len(user_ids)

    def run(index: int, user_id: int) -> None:
        from conversations.staff_models import CsrUser

        barrier.wait()
        try:
            with db.transaction() as s:
                handoff = s.get(Handoff, handoff_id)
                queue.claim(queue.SqlHandoffs(s), handoff, s.get(CsrUser, user_id))
            results[index] = user_id
        except AlreadyClaimed as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_csrs_claiming_at_once_get_one_owner(shop: Session, db: Database) -> None:
    handoff = escalated(shop)
    agents = [agent(shop, f"csr{i}@example.com").id for i in range(6)]
    for _ in range(3):  # a few rounds: each one must have exactly one winner
        results = _claim_race(db, handoff.id, agents)
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1
        assert all(isinstance(r, AlreadyClaimed) for r in results if r not in winners)
        shop.expire_all()
        assert shop.get(Handoff, handoff.id).assigned_to_id == winners[0]
        queue.release(queue.SqlHandoffs(shop), shop.get(Handoff, handoff.id), None)
        shop.commit()


def test_release_hand_back_and_resolve(shop: Session) -> None:
    owner = agent(shop, "owner@example.com")
    other = agent(shop, "other@example.com")
    handoff = escalated(shop)
    conversation = handoff.conversation
    conversation.state = {"flow": "cancel", "order": 10001}
    queue.claim(queue.SqlHandoffs(shop), handoff, owner)
    with pytest.raises(NotYourHandoff):
        queue.hand_back(queue.SqlHandoffs(shop), handoff, other)
    queue.release(queue.SqlHandoffs(shop), handoff, owner)
    assert (handoff.status, handoff.assigned_to_id) == ("waiting", None)
    assert conversation.mode == "handoff"
    with pytest.raises(IllegalTransition):
        queue.release(queue.SqlHandoffs(shop), handoff, owner)

    queue.claim(queue.SqlHandoffs(shop), handoff, owner)
    queue.hand_back(queue.SqlHandoffs(shop), handoff, owner)
    shop.commit()
    assert (handoff.status, handoff.resolution) == ("closed", "handed_back")
    assert conversation.mode == "bot"
    assert conversation.state == {"flow": "cancel", "order": 10001}  # the bot resumes
    assert queue.bot_may_answer(shop, conversation)
    with pytest.raises(HandoffClosed):
        queue.resolve(queue.SqlHandoffs(shop), handoff, owner)

    again = queue.escalate(shop, conversation, "bot_failed")
    assert again.id != handoff.id  # a new handoff: the closed one stays as history
    queue.resolve(queue.SqlHandoffs(shop), again, None)
    shop.commit()
    assert (again.resolution, conversation.mode, conversation.state) == ("resolved", "bot", {})


def test_reopen_after_resolve_starts_a_new_case(shop: Session) -> None:
    handoff = escalated(shop)
    queue.resolve(queue.SqlHandoffs(shop), handoff, None)
    shop.commit()
    reopened = queue.escalate(shop, handoff.conversation, "complaint")
    shop.commit()
    assert reopened.status == "waiting" and reopened.id != handoff.id
    assert handoff.conversation.mode == "handoff"
    closed = queue.list_handoffs(shop, status="closed")
    assert [h.id for h in closed] == [handoff.id]


def test_reply_goes_out_through_the_outbox_and_claims(shop: Session) -> None:
    owner = agent(shop, "owner@example.com")
    other = agent(shop, "other@example.com")
    handoff = escalated(shop)
    message = queue.reply(queue.SqlHandoffs(shop), handoff, owner, "  Hello, Jo here.  ")
    shop.commit()
    assert handoff.status == "assigned" and handoff.assigned_to_id == owner.id
    row = shop.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message.id))
    assert (row.channel, row.to_address, row.body) == ("sms", "+15555550150", "Hello, Jo here.")
    assert (message.author, message.author_id) == ("csr", "owner@example.com")
    with pytest.raises(NotYourHandoff):
        queue.reply(queue.SqlHandoffs(shop), handoff, other, "Me too")
    with pytest.raises(ValidationFailed):
        queue.reply(queue.SqlHandoffs(shop), handoff, owner, "   ")
    queue.resolve(queue.SqlHandoffs(shop), handoff, owner)
    with pytest.raises(HandoffClosed):
        queue.reply(queue.SqlHandoffs(shop), handoff, owner, "Too late")


def test_place_in_line_follows_priority_then_age(shop: Session, db: Database) -> None:
    first = escalated(shop, "human_agent", phone="+15555550161")
    second = escalated(shop, "human_agent", phone="+15555550162")
    urgent = escalated(shop, "complaint", phone="+15555550163")
    assert [queue.place_in_line(shop, h) for h in (urgent, first, second)] == [1, 2, 3]
    assert [h.id for h in queue.list_handoffs(shop, status="waiting")] == [
        urgent.id,
        first.id,
        second.id,
    ]


def test_customer_notice_in_line_after_hours_and_assigned(shop: Session) -> None:
    escalated(shop, phone="+15555550171")
    handoff = escalated(shop, phone="+15555550172")
    notice = queue.customer_notice(shop, handoff)
    assert "away right now" in notice and "number 2 in line" in notice  # nobody online

    agent(shop, "ana@example.com", online=True)
    assert queue.customer_notice(shop, handoff) == (
        "A person will reply shortly; you are number 2 in line."
    )
    claimer = agent(shop, "bo@example.com")
    claimer.name = "Bo Lind"
    queue.claim(queue.SqlHandoffs(shop), handoff, claimer)
    assert queue.customer_notice(shop, handoff).startswith("Bo from our team")


def test_auto_assignment_is_round_robin_among_online_opted_in(shop: Session) -> None:
    ana = agent(shop, "ana@example.com", online=True)
    bo = agent(shop, "bo@example.com", online=True)
    agent(shop, "cy@example.com", online=True)  # online but not opted in
    agent(shop, "dee@example.com")  # opted in but offline
    for user in (ana, bo):
        user.auto_assign = True
    owners = [escalated(shop, phone=f"+1555555018{i}").assigned_to_id for i in range(4)]
    assert owners == [ana.id, bo.id, ana.id, bo.id]


def test_assign_waiting_hands_out_the_backlog(shop: Session) -> None:
    backlog = [escalated(shop, phone=f"+1555555019{i}") for i in range(2)]
    ana = agent(shop, "ana@example.com", online=True)
    ana.auto_assign = True
    assert queue.assign_waiting(shop) == 2
    assert {h.assigned_to_id for h in backlog} == {ana.id}


def test_waiting_too_long_stands_out(shop: Session) -> None:
    handoff = escalated(shop)
    now = clock.now(shop)
    assert not queue.is_overdue(handoff, SETTINGS, now)
    assert queue.is_overdue(handoff, SETTINGS, now + timedelta(minutes=11))
