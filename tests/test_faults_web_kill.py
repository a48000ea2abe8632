"""The web process (`python app.py`) killed with SIGKILL mid-traffic, then restarted.

A burst of signed SMS webhooks: each is stored and acknowledged at once (an empty TwiML
ack) and answered by the process's answering threads. The process is killed right after
the first ack, so messages are stored but unanswered. After a restart, Twilio's retries
of the same signed requests get 200 and are stored once, and the restarted process's
answering threads answer each of them exactly once. Nothing lost, nothing duplicated.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from channels.models import Conversation, Message, OutboxMessage
from db import Database
from tests.channels_support import app_processes, count, outbox
from tests.standins.ports import free_port
from tests.standins.signing import twilio_headers, twilio_inbound_sms

BURST = 24
PHONES = "+1555321"  # the burst's senders: +15553210000, +15553210001, ...
EMPTY_ACK = "<Response />"  # TwiML with no <Message>: answered later, by REST


@pytest.fixture
def server(db_url: str, twilio_server) -> Iterator[Callable[[], str]]:  # type: ignore[no-untyped-def]
    """Start `python app.py` on a free port (again after a kill); yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        **twilio_server.settings(),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "OUTBOX_BACKOFF_SECONDS": "0",
    }
    running: list[subprocess.Popen] = []
    with app_processes(env) as spawn:

        def start() -> str:
            process = spawn()
            running.append(process)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "the server exited"
                try:
                    if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                        return base
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

        start.running = running  # type: ignore[attr-defined]
        yield start


def signed_requests(base: str, twilio_server) -> list[tuple[dict[str, str], dict[str, str]]]:  # type: ignore[no-untyped-def]
    url = f"{base}/webhooks/twilio/sms"
    sent = []
    for index in range(BURST):
        form = twilio_inbound_sms(
            account_sid=twilio_server.account_sid,
            from_=f"{PHONES}{index:04d}",
            to=twilio_server.from_number,
            body="hello, what do you sell?",
        )
        sent.append((form, twilio_headers(twilio_server.auth_token, url, form)))
    return sent


def unhandled(database: Database) -> int:
    return count(database, Message, Message.direction == "in", Message.handled_at.is_(None))


def test_web_process_killed_mid_traffic(server, twilio_server, db) -> None:  # type: ignore[no-untyped-def]
    base = server()  # seeds the demo store, whose conversations are left out below
    seeded = count(db, Message, Message.direction == "in")
    process = server.running[-1]
    requests_ = signed_requests(base, twilio_server)
    url = f"{base}/webhooks/twilio/sms"
    acked: list[str] = []

    def post(item: tuple[dict[str, str], dict[str, str]]) -> None:
        form, headers = item
        try:
            response = requests.post(url, data=form, headers=headers, timeout=20)
        except requests.RequestException:
            return  # killed before it answered: Twilio retries it
        if response.status_code == 200 and response.text.strip().endswith(EMPTY_ACK):
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)  # right after an empty ack
            acked.append(form["MessageSid"])

    with ThreadPoolExecutor(BURST) as senders:
        list(senders.map(post, requests_))
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    stranded = unhandled(db)
    assert acked, "no webhook was acknowledged before its answer"
    assert stranded >= 1, "every message was answered before the kill"
    stored_before = count(db, Message, Message.direction == "in")

    base = server()  # restarted; Twilio retries every request it has no 2xx for (and more)
    url = f"{base}/webhooks/twilio/sms"
    for form, headers in requests_:
        headers = twilio_headers(twilio_server.auth_token, url, form)
        response = requests.post(url, data=form, headers=headers, timeout=20)
        assert response.status_code == 200, response.text

    assert count(db, Message, Message.direction == "in") == seeded + BURST >= stored_before
    deadline = time.monotonic() + 40
    pending = OutboxMessage.status.in_(("pending", "sending"))
    while unhandled(db) or count(db, OutboxMessage, pending):
        assert time.monotonic() < deadline, f"{unhandled(db)} messages never answered"
        time.sleep(0.2)

    with db.transaction() as session:
        conversations = session.scalars(
            select(Conversation.id).where(Conversation.address.startswith(PHONES))
        ).all()
        per_conversation = Counter(
            session.scalars(
                select(OutboxMessage.conversation_id).where(
                    OutboxMessage.conversation_id.in_(conversations)
                )
            ).all()
        )
    assert len(conversations) == BURST
    # The same question everywhere: each conversation got the same replies, once.
    assert len({per_conversation[c] for c in conversations}) == 1, per_conversation
    assert per_conversation[conversations[0]] >= 1
    assert {row.status for row in outbox(db)} == {"sent"}
