"""The answering threads of a worker process: which conversations wait, and who answers them.

A webhook only stores the message and acknowledges it (`intake.accept`), so the web
processes spend their time on acknowledgements, which providers time out on. The
answering happens here, in every `python app.py worker` process (and in the process of
`python app.py`): a dispatcher looks for conversations with unanswered messages and
hands each to one of its answering threads (`THREADS`). Within a process a conversation is
given to one thread at a time; across processes its row lock does the same (SKIP LOCKED
on PostgreSQL), so one customer's messages are answered one by one, in order.

The dispatcher is woken at once by the inbound wake-up (`infra.wakeup`), which the
storing process sends (PostgreSQL NOTIFY, a named pipe on SQLite, or an event within one
process), and otherwise looks every `POLL_SECONDS`: that is how messages left by a
process that died, by an answer that failed, or by a lost wake-up are picked up again.
A message whose handling fails is retried with backoff and then dead-lettered
(conversations/inbound_failures.py); its conversation is not handed out again before its
next try is due.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy import select

from bot import answering
from conversations.models import Message
from infra import clock, wakeup
from infra.db import Database
from infra.settings import Settings

log = logging.getLogger(__name__)

# Answering threads per process, where transactions write at once (PostgreSQL). With one
# writer (SQLite) more threads only queue for it and take turns with the GIL, which
# shows in the answers' tail latency: there, one.
THREADS = 4
# How often the dispatcher looks without being woken (a read on a partial index that
# takes no lock): it only catches retries and missed wake-ups.
POLL_SECONDS = 0.5
BATCH = 100  # conversations looked at per round
MESSAGES_PER_CONVERSATION = 4  # messages read per conversation wanted, for the duplicates
QUEUED_PER_THREAD = 2  # conversations handed out ahead of the answering threads
LOOK_INTERVAL_SECONDS = 0.01  # looks are at least this far apart: a burst makes one
RETRY_FAILED_SECONDS = 5.0  # a conversation whose answering raised (the database) waits


def waiting_conversations(database: Database, limit: int = BATCH) -> list[int]:
    """Conversations with unanswered inbound messages, the longest waiting first.

    Reads the oldest unanswered messages off the partial index in id order, so a look
    costs the same however long the backlog is (a GROUP BY over all of it did not).
    """
    with database.reading() as session:
        ids = session.scalars(
            select(Message.conversation_id)
            .where(Message.direction == "in", Message.handled_at.is_(None))
            .order_by(Message.id)
            .limit(limit * MESSAGES_PER_CONVERSATION)
        )
        return list(dict.fromkeys(ids))[:limit]


class Dispatcher:
    """Hands conversations to answering threads; one thread per conversation at a time."""

    def __init__(self, database: Database, settings: Settings, stop: threading.Event) -> None:
        self.database = database
        self.settings = settings
        self.stop = stop
        self._jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_hand: set[int] = set()
        self._held_until: dict[int, float] = {}
        self.wakeups = wakeup.wakeups(database)
        self.threads = THREADS if database.concurrent_writers else 1

    def start(self) -> None:
        for number in range(self.threads):
            threading.Thread(target=self._answer, name=f"answering-{number}", daemon=True).start()
        threading.Thread(target=self._dispatch, name="answering-dispatch", daemon=True).start()

    def _dispatch(self) -> None:
        while not self.stop.is_set():
            looked = time.monotonic()
            try:
                if self._jobs.qsize() < self.threads:  # else the threads have enough to do
                    self._hand_out(waiting_conversations(self.database))
            except Exception:  # the database restarting, say: keep looking
                log.exception("looking for unanswered messages failed; retrying")
                self.stop.wait(RETRY_FAILED_SECONDS)
            if self.wakeups.inbound.wait(POLL_SECONDS):
                self.stop.wait(looked + LOOK_INTERVAL_SECONDS - time.monotonic())

    def _hand_out(self, conversations: list[int]) -> None:
        now = time.monotonic()
        with self._lock:
            for conversation_id in conversations:
                if self._jobs.qsize() >= self.threads * QUEUED_PER_THREAD:
                    return  # the rest at a later look, fresher
                if conversation_id in self._in_hand:
                    continue
                if self._held_until.get(conversation_id, 0) > now:
                    continue
                self._held_until.pop(conversation_id, None)
                self._in_hand.add(conversation_id)
                self._jobs.put(conversation_id)

    def _answer(self) -> None:
        while not self.stop.is_set():
            try:
                conversation_id = self._jobs.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                answered = answering.answer_conversation(
                    self.database, self.settings, conversation_id
                )
                self.wakeups.outbox.wake()
                if answered.retry_at is not None:
                    self._hold(
                        conversation_id,
                        (answered.retry_at - clock.now(self.database)).total_seconds(),
                    )
            except Exception:  # stays unanswered: retried after a pause, never lost
                log.exception("answering conversation %s failed; retrying", conversation_id)
                self._hold(conversation_id, RETRY_FAILED_SECONDS)
            finally:
                with self._lock:
                    self._in_hand.discard(conversation_id)
                self.wakeups.inbound.wake()  # more may have arrived for it meanwhile

    def _hold(self, conversation_id: int, seconds: float) -> None:
        """Hand the conversation out again no sooner than `seconds` from now."""
        with self._lock:
            self._held_until[conversation_id] = time.monotonic() + seconds


def start(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Answer messages in this process until `stop` (daemon threads)."""
    Dispatcher(database, settings, stop).start()
