"""The handoff services' decisions, on an in-memory unit of work (tests/fake_uow.py).

Who may claim, act on or pass on a conversation, and what each refusal says, is
decided by `services.handoffs` and `conversations.handoffs` over a store that only
keeps the changes, so these run without a database, a few milliseconds for the file.
The race itself (two claims at once, one conditional UPDATE wins) and the outbox rows
are the database's, and are tested on it: tests/test_handoff_queue.py,
tests/test_handoff_api.py, tests/test_services_adapters.py.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager

import pytest

from conversations.handoff_errors import (
    AlreadyClaimed,
    CsrNotFound,
    CustomerUnreachable,
    HandoffClosed,
    HandoffNotFound,
    NotYourHandoff,
)
from orders.errors import Forbidden, IllegalTransition, ValidationFailed
from orders.events import Actor
from services import handoffs as service
from services.scope import Scope
from tests.fake_uow import FakeHandoffs, FakeUnitOfWork, staff, waiting

SHOP = Scope.whole_shop()
ANA, BO = Actor.csr("ana@example.com"), Actor.csr("bo@example.com")
ADMIN = Actor.csr("max@example.com")
TOKEN = Actor("system", "api:pos", "api")


def refused(error: type[Exception], words: str) -> AbstractContextManager[object]:
    """`error`, saying exactly `words`."""
    return pytest.raises(error, match=f"^{re.escape(words)}$")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    users = [
        staff(1, "ana"),
        staff(2, "bo"),
        staff(3, "max", "admin"),
        staff(4, "dee", "store"),
        staff(5, "gone", active=False),
    ]
    return FakeUnitOfWork(FakeHandoffs([waiting(1, state={"task": "x"}), waiting(2)], users))


def state(uow: FakeUnitOfWork, handoff_id: int = 1) -> tuple[str, int | None, str | None]:
    handoff = uow.handoffs.handoffs[handoff_id]
    return handoff.status, handoff.assigned_to_id, handoff.resolution


def test_a_csr_claims_a_waiting_conversation(uow: FakeUnitOfWork) -> None:
    handoff = service.claim(uow, ANA, SHOP, 1)
    assert state(uow) == ("assigned", 1, None)
    assert uow.handoffs.users[1].last_assigned_at == handoff.assigned_at is not None
    assert uow.done == 1


def test_claiming_one_someone_else_holds_names_them_and_changes_nothing(
    uow: FakeUnitOfWork,
) -> None:
    service.claim(uow, ANA, SHOP, 1)
    for actor, csr in ((BO, None), (TOKEN, "bo@example.com")):
        with refused(AlreadyClaimed, "ana took this conversation already."):
            service.claim(uow, actor, SHOP, 1, csr=csr)
    assert state(uow) == ("assigned", 1, None)
    assert uow.undone == 2


def test_who_may_take_a_conversation(uow: FakeUnitOfWork) -> None:
    with refused(ValidationFailed, "Name the CSR who takes it."):
        service.claim(uow, TOKEN, SHOP, 1)  # a token acts for the shop, and takes nothing
    with refused(CsrNotFound, "There is no active console user 'gone@example.com'."):
        service.claim(uow, TOKEN, SHOP, 1, csr="gone@example.com")
    with refused(NotYourHandoff, "Only CSRs and admins take conversations."):
        service.claim(uow, TOKEN, SHOP, 1, csr=" Dee@Example.com ")
    with refused(HandoffNotFound, "There is no handoff 9."):
        service.claim(uow, ANA, SHOP, 9)
    assert state(uow) == ("waiting", None, None)
    service.claim(uow, TOKEN, SHOP, 1, csr="BO@example.com")
    assert state(uow) == ("assigned", 2, None)


def test_only_the_holder_an_admin_or_a_token_closes_it(uow: FakeUnitOfWork) -> None:
    service.claim(uow, ANA, SHOP, 1)
    for close in (service.resolve, service.hand_back, service.release):
        with refused(NotYourHandoff, "ana has this conversation."):
            close(uow, BO, SHOP, 1)
    assert state(uow) == ("assigned", 1, None)
    service.resolve(uow, ADMIN, SHOP, 1)
    handoff = uow.handoffs.handoffs[1]
    assert state(uow) == ("closed", 1, "resolved")
    assert (handoff.conversation.mode, handoff.conversation.state) == ("bot", {})
    with refused(HandoffClosed, "This conversation was closed already."):
        service.hand_back(uow, TOKEN, SHOP, 1)
    service.hand_back(uow, TOKEN, SHOP, 2)  # a waiting one, by a token: the bot resumes
    assert state(uow, 2) == ("closed", None, "handed_back")


def test_release_puts_it_back_and_needs_a_claim(uow: FakeUnitOfWork) -> None:
    with refused(IllegalTransition, "Nobody has claimed this conversation."):
        service.release(uow, ANA, SHOP, 1)
    service.claim(uow, ANA, SHOP, 1)
    service.release(uow, ANA, SHOP, 1)
    assert state(uow) == ("waiting", None, None)
    assert uow.handoffs.handoffs[1].conversation.mode == "handoff"  # the bot stays silent


def test_a_reply_claims_a_waiting_one_and_is_refused_on_anothers(uow: FakeUnitOfWork) -> None:
    message = service.reply(uow, ANA, SHOP, 1, "  Hello, Ana here.  ")
    assert (message.text, message.author_id) == ("Hello, Ana here.", "ana@example.com")
    assert state(uow) == ("assigned", 1, None)
    with refused(NotYourHandoff, "ana has this conversation."):
        service.reply(uow, BO, SHOP, 1, "Me too")
    with refused(ValidationFailed, "Type a reply first."):
        service.reply(uow, ANA, SHOP, 1, "   ")
    token = service.reply(uow, TOKEN, SHOP, 2, "From the till")
    assert (token.author_id, state(uow, 2)) == ("api:pos", ("waiting", None, None))
    assert [m.text for m in uow.handoffs.sent] == ["Hello, Ana here.", "From the till"]


def test_a_reply_to_a_customer_who_cannot_be_reached_is_refused_and_not_sent(
    uow: FakeUnitOfWork,
) -> None:
    uow.handoffs.unreachable.add(1)
    with pytest.raises(CustomerUnreachable, match="Nothing was sent"):
        service.reply(uow, ANA, SHOP, 1, "Hello?")
    assert uow.handoffs.sent == []


def test_reassign_by_the_holder_to_a_colleague_who_takes_conversations(
    uow: FakeUnitOfWork,
) -> None:
    service.claim(uow, ANA, SHOP, 1)
    with refused(NotYourHandoff, "ana has this conversation."):
        service.reassign(uow, BO, SHOP, 1, 2)
    with refused(NotYourHandoff, "dee does not take conversations."):
        service.reassign(uow, ANA, SHOP, 1, 4)
    with refused(ValidationFailed, "Choose a colleague."):
        service.reassign(uow, ANA, SHOP, 1, None)
    assert state(uow) == ("assigned", 1, None)
    service.reassign(uow, ANA, SHOP, 1, 2)
    assert state(uow) == ("assigned", 2, None)
    service.reassign(uow, BO, SHOP, 2, 1)  # a waiting one: anyone on the queue gives it out
    assert state(uow, 2) == ("assigned", 1, None)


def test_a_store_is_refused_the_queue_before_anything_is_read(uow: FakeUnitOfWork) -> None:
    downtown = Scope.staff("store", ["DT"])
    for act in (service.claim, service.release, service.resolve, service.hand_back):
        with refused(Forbidden, "A store cannot work the queue."):
            act(uow, ANA, downtown, 1)
    with refused(Forbidden, "A store cannot work the queue."):
        service.reply(uow, ANA, downtown, 1, "hi")
    with refused(Forbidden, "A store cannot work the queue."):
        service.reassign(uow, ANA, downtown, 1, 2)
    assert (uow.handoffs.reads, uow.done, uow.undone, uow.handoffs.sent) == (0, 0, 0, [])
