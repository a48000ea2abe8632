"""Webhook intake that acknowledges fast: store, then answer on a bounded pool of threads.

A webhook stores the message in one short transaction (after that it is never lost)
and hands the answering to this process's handler pool. When a handler is free, the
webhook waits up to `BUDGET_SECONDS` for the answer, so SMS replies ready in time go
back inline as TwiML. When every handler is busy it does not wait: it acknowledges at
once and the replies go out through the outbox when the queued handling finishes.
When the queue is full too, the message stays stored and unhandled, and the worker's
stranded-message sweep answers it (as it does for a process that died).

Whether replies travel inline is settled by a handshake (`InlineOffer`), so a reply
is never both left out of the response and marked as sent in it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Protocol

from channels import delivery, intake
from channels.inbound import InboundMessage
from channels.models import OutboxMessage
from db import Database
from settings import Settings

log = logging.getLogger(__name__)

# Twilio gives up on a webhook after 15 s; replies slower than this go by REST instead.
BUDGET_SECONDS = 5.0
# Handler threads per process. On SQLite they queue for the one write lock anyway.
THREADS = 4
# Messages queued beyond the busy handlers before the rest are left to the sweep.
BACKLOG = 1000


class InlineOffer:
    """The webhook's offer to carry the replies in its response, open until it stops waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "open"

    def take(self) -> bool:
        """The handler, just before it commits: True if the webhook will send the replies."""
        return self._settle("taken")

    def withdraw(self) -> bool:
        """The webhook, giving up: False if the handler took the offer first."""
        return self._settle("withdrawn")

    def _settle(self, state: str) -> bool:
        with self._lock:
            if self._state != "open":
                return False
            self._state = state
            return True


class Job(Protocol):
    def run(self) -> None: ...


@dataclass
class _Job:
    database: Database
    settings: Settings
    message_id: int
    offer: InlineOffer | None
    after: Callable[[], None] | None
    future: Future[list[OutboxMessage]] = field(default_factory=Future)

    def run(self) -> None:
        try:
            rows = intake.handle(
                self.database,
                self.settings,
                self.message_id,
                inline=self.offer.take if self.offer else None,
            )
            delivery.wake()
            if self.after is not None:
                self.after()
        except Exception as exc:  # the message stays unhandled; the sweep retries it
            log.exception("handling message %s failed; the sweep will retry", self.message_id)
            self.future.set_exception(exc)
        else:
            self.future.set_result(rows)


class HandlerPool:
    """`threads` daemon threads answering queued messages, at most `backlog` waiting."""

    def __init__(self, threads: int = THREADS, backlog: int = BACKLOG) -> None:
        self.threads = threads
        self.backlog = backlog
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._unfinished = 0
        self._started = False

    def submit(self, job: Job) -> str:
        """Queue a job: "now" (a handler is free), "queued" (all busy) or "full" (refused)."""
        with self._lock:
            if self._unfinished >= self.threads + self.backlog:
                return "full"
            if not self._started:
                for number in range(self.threads):
                    threading.Thread(
                        target=self._serve, name=f"intake-handler-{number}", daemon=True
                    ).start()
                self._started = True
            self._unfinished += 1
            free = self._unfinished <= self.threads
        self._jobs.put(job)
        return "now" if free else "queued"

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job.run()
            finally:
                with self._lock:
                    self._unfinished -= 1


_pool_lock = threading.Lock()
_pool: HandlerPool | None = None


def pool() -> HandlerPool:
    """This process's pool, made on first use (after gunicorn forked its workers)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = HandlerPool()
        return _pool


def receive(
    database: Database,
    settings: Settings,
    inbound: InboundMessage,
    *,
    reply_inline: bool = False,
    after: Callable[[], None] | None = None,
    budget: float | None = None,
) -> intake.IntakeResult:
    """Store the message, then answer it within `budget` (BUDGET_SECONDS) if a handler is free.

    With `reply_inline` the replies ready in time are returned (marked sent) for the
    caller's response. `after` runs once the message is handled (Telegram stops the
    pressed button's spinner there).
    """
    message_id, conversation_id, duplicate = intake.store(database, inbound)
    result = intake.IntakeResult(message_id, duplicate, conversation_id=conversation_id)
    if duplicate:
        return result
    offer = InlineOffer() if reply_inline else None
    job = _Job(database, settings, message_id, offer, after)
    submitted = pool().submit(job)
    if submitted == "full":
        log.warning("handler queue full; message %s is left to the sweep", message_id)
        return result
    try:
        wait = (BUDGET_SECONDS if budget is None else budget) if submitted == "now" else 0
        result.inline = job.future.result(timeout=wait)
    except FutureTimeout:
        if offer is None or offer.withdraw():
            return result  # the replies go out through the outbox when handling finishes
        result.inline = _settled(job)  # the handler took the offer: it is committing now
    except Exception:  # logged by the job; stored, so the sweep answers it later
        return result
    return result


def _settled(job: _Job) -> list[OutboxMessage]:
    try:
        return job.future.result()
    except Exception:  # the commit failed: nothing was marked sent; the sweep retries
        return []
