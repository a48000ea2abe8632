"""The web process (`python app.py`) killed with SIGKILL mid-traffic, then restarted.

A burst of signed SMS webhooks: each is stored and acknowledged at once (an empty TwiML
ack) and answered by the process's answering threads. The process is killed at the
first ack after which a stored message is still unanswered (it is frozen with SIGSTOP
while the test looks), so messages are stored but unanswered. After a restart, Twilio's
retries of the same signed requests get 200 and are stored once, and the restarted
process's answering threads answer each of them exactly once. Nothing lost, nothing
duplicated.

Waits are for states, not for a time: the test fails only when nothing has changed for
`STALL_SECONDS`, and then says what it was waiting for, what was left, and the server's
last log lines. The outbox lease is short, so a reply the killed process was sending is
taken over in seconds rather than after the default minute.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from conversations.models import Conversation, Message, OutboxMessage
from infra.db import Database
from tests.channels_support import app_processes, count, outbox
from tests.standins.ports import free_port
from tests.standins.signing import twilio_headers, twilio_inbound_sms

BURST = 24
PHONES = "+1555321"  # the burst's senders: +15553210000, +15553210001, ...
EMPTY_ACK = "<Response />"  # TwiML with no <Message>: answered later, by REST
LEASE_SECONDS = 3  # a reply the killed process was sending waits this long for a new owner
STALL_SECONDS = 90  # a wait fails when nothing it watches has changed for this long
LOG_LINES = 30


class Server:
    """`python app.py` on a free port, started (again after a kill) by `start()`."""

    def __init__(self, spawn: Callable[..., subprocess.Popen], port: int, log: Path) -> None:
        self.spawn = spawn
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = self.spawn()
        wait_for(
            "the server to answer /healthz",
            lambda: self._healthy(),
            progress=lambda: self.log.stat().st_size if self.log.exists() else 0,
            log=self.log,
        )
        return self.base

    def _healthy(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, f"the server exited\n{tail(self.log)}"
        try:
            return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


@pytest.fixture
def server(db_url: str, twilio_server, tmp_path: Path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        **twilio_server.settings(),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "OUTBOX_BACKOFF_SECONDS": "0",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    log = tmp_path / "server.log"
    with app_processes(env, output=log) as spawn:
        yield Server(spawn, port, log)


def tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "server log, last lines:\n" + "\n".join(lines[-LOG_LINES:])


def wait_for(
    what: str,
    done: Callable[[], bool],
    *,
    progress: Callable[[], object],
    log: Path,
    left: Callable[[], str] = lambda: "",
) -> None:
    """Until `done()`; fails when `progress()` has not changed for STALL_SECONDS."""
    seen, changed = progress(), time.monotonic()
    while not done():
        now = progress()
        if now != seen:
            seen, changed = now, time.monotonic()
        if time.monotonic() - changed > STALL_SECONDS:
            pytest.fail(
                f"waited for {what}; nothing changed for {STALL_SECONDS} s. {left()}\n{tail(log)}"
            )
        time.sleep(0.1)


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


def unhandled_ids(database: Database) -> list[int]:
    """Read without the SQLite writer lock, which a frozen server may be holding."""
    with database.reading() as session:
        return list(
            session.scalars(
                select(Message.id).where(Message.direction == "in", Message.handled_at.is_(None))
            )
        )


def unsent(database: Database) -> list[tuple[int, str]]:
    with database.reading() as session:
        return list(
            session.execute(
                select(OutboxMessage.id, OutboxMessage.status).where(
                    OutboxMessage.status.in_(("pending", "sending"))
                )
            ).tuples()
        )


def stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0] in ("T", "t")


def kill_if_stranded(process: subprocess.Popen, database: Database) -> bool:
    """Freeze the server; kill it if a stored message is unanswered, else let it go on."""
    process.send_signal(signal.SIGSTOP)
    while not stopped(process.pid):
        time.sleep(0.001)
    if unhandled_ids(database):
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        return True
    process.send_signal(signal.SIGCONT)
    return False


def test_web_process_killed_mid_traffic(server: Server, twilio_server, db: Database) -> None:  # type: ignore[no-untyped-def]
    base = server.start()  # seeds the demo store, whose conversations are left out below
    seeded = count(db, Message, Message.direction == "in")
    process = server.process
    assert process is not None
    requests_ = signed_requests(base, twilio_server)
    url = f"{base}/webhooks/twilio/sms"
    acked: list[str] = []
    killing = threading.Lock()

    def post(item: tuple[dict[str, str], dict[str, str]]) -> None:
        form, headers = item
        try:
            response = requests.post(url, data=form, headers=headers, timeout=20)
        except requests.RequestException:
            return  # killed before it answered: Twilio retries it
        if response.status_code == 200 and response.text.strip().endswith(EMPTY_ACK):
            acked.append(form["MessageSid"])
            with killing:
                if process.poll() is None:
                    kill_if_stranded(process, db)

    with ThreadPoolExecutor(BURST) as senders:
        list(senders.map(post, requests_))
    killed_mid_traffic = process.poll() is not None
    if not killed_mid_traffic:
        process.send_signal(signal.SIGKILL)
    process.wait(10)

    assert acked, "no webhook was acknowledged before its answer"
    assert killed_mid_traffic, "every message was answered by the time its ack came back"
    assert unhandled_ids(db), "the kill left no message unanswered"
    stored_before = count(db, Message, Message.direction == "in")

    base = server.start()  # restarted; Twilio retries every request it has no 2xx for (and more)
    url = f"{base}/webhooks/twilio/sms"
    for form, headers in requests_:
        headers = twilio_headers(twilio_server.auth_token, url, form)
        response = requests.post(url, data=form, headers=headers, timeout=20)
        assert response.status_code == 200, response.text

    assert count(db, Message, Message.direction == "in") == seeded + BURST >= stored_before

    def state() -> tuple[list[int], list[tuple[int, str]], int]:
        with db.reading() as session:
            queued = session.scalar(select(func.count()).select_from(OutboxMessage))
        return unhandled_ids(db), unsent(db), queued or 0

    wait_for(
        "the restarted server to answer every stored message and send every reply",
        lambda: not unhandled_ids(db) and not unsent(db),
        progress=state,
        log=server.log,
        left=lambda: "Unanswered messages {}; replies not sent (id, status) {}.".format(
            *state()[:2]
        ),
    )

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
