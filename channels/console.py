"""`python app.py chat`: talk to the bot in the terminal, through the same intake.

Each run is a new customer unless `--as` names one. Everything the customer receives
(the bot's replies, a CSR's, order notices) is printed on a line starting `bot> `, also
while they sit at the `you> ` prompt: a watcher thread looks for new messages and
writes them above the prompt. Input may be a pipe; scripts write a line and read the
`bot> ` lines.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import uuid
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import func, select

from bot import answering
from conversations.inbound import InboundMessage
from conversations.models import Message
from conversations.opening import find
from infra.db import Database
from infra.settings import Settings
from orders.customers import normalise_identity

CHANNEL = "console"
PROMPT = "you> "
# Replies are shown at once, so they count as delivered as soon as they exist.
INLINE_SECONDS = 3600.0
WATCH_INTERVAL_SECONDS = 0.5


def parse_identity(raw: str) -> tuple[str, str]:
    """`jo@example.com`, `+15551234567` or `telegram:12345` as an identity (kind, value)."""
    if raw.startswith("telegram:"):
        kind, value = "telegram", raw.removeprefix("telegram:")
    elif "@" in raw:
        kind, value = "email", raw
    else:
        kind, value = "phone", raw
    return kind, normalise_identity(kind, value)


class ConsoleChat:
    """One customer's conversation on the console channel, and what they have been shown."""

    def __init__(self, database: Database, settings: Settings, identity: str | None) -> None:
        self.database = database
        self.settings = settings
        self.identity = parse_identity(identity) if identity else None
        # Without --as, an address of its own for this run: a new customer each time.
        self.address = (
            f"{self.identity[0]}:{self.identity[1]}"
            if self.identity
            else f"terminal:{uuid.uuid4().hex}"
        )
        self._lock = threading.Lock()  # the prompt's thread and the watcher's
        self.last_seen = self._latest_message_id()  # what came before this run is not replayed

    def say(self, text: str) -> list[str]:
        """Send one line as the customer; returns every message for them not shown yet."""
        answering.receive(
            self.database,
            self.settings,
            InboundMessage(
                channel=CHANNEL,
                address=self.address,
                text=text,
                provider_id=None,
                identity=self.identity,
            ),
            inline_seconds=INLINE_SECONDS,
        )
        return self.pending()

    def pending(self, conversation_id: int | None = None) -> list[str]:
        """The messages for the customer since the last call (each is returned once): of
        this terminal's conversation, or of `conversation_id` where given (the stories'
        runner reads its other channels' replies as the terminal shows them)."""
        with self._lock, self.database.reading() as session:
            if conversation_id is None:
                conversation = find(session, CHANNEL, self.address)
                if conversation is None:
                    return []
                conversation_id = conversation.id
            messages = list(
                session.scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.direction == "out",
                        Message.id > self.last_seen,
                    )
                    .order_by(Message.id)
                )
            )
            if messages:
                self.last_seen = messages[-1].id
            return [_render(message) for message in messages]

    def _latest_message_id(self) -> int:
        with self.database.reading() as session:
            conversation = find(session, CHANNEL, self.address)
            if conversation is None:
                return 0
            latest = session.scalar(
                select(func.max(Message.id)).where(Message.conversation_id == conversation.id)
            )
            return latest or 0


def _render(message: Message) -> str:
    choices = (message.payload or {}).get("choices") or []
    return message.text + (f"\n  [{' | '.join(choices)}]" if choices else "")


class Screen:
    """The customer's side of the terminal, written from two threads.

    A message may arrive while the customer sits at the prompt: it goes on lines of
    its own above the prompt, which is drawn again (on a terminal, with what they had
    typed so far). Every message starts a line of its own, also on a pipe, where no
    Enter ends the prompt's line.
    """

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self._lock = threading.Lock()
        self._prompting = False  # waiting for the customer's line
        self._line_open = False  # the cursor is after the prompt

    def write(self, text: str) -> None:
        with self._lock:
            self._end_line()
            self.stream.write(text + "\n")
            self.stream.flush()

    def prompt(self, show: bool) -> None:
        """The prompt is on screen (`show`: write it; input() writes its own)."""
        with self._lock:
            if show:
                self.stream.write(PROMPT)
                self.stream.flush()
            self._prompting = self._line_open = True

    def line_read(self) -> None:
        with self._lock:
            self._prompting = False
            if self.interactive:
                self._line_open = False  # the customer's Enter ended it

    def close(self) -> None:
        with self._lock:
            self._end_line()
            self.stream.flush()

    def messages(self, texts: list[str]) -> None:
        if not texts:
            return
        with self._lock:
            self._end_line()
            for text in texts:
                self.stream.write(f"bot> {text}\n")
            if self._prompting:
                self.stream.write(PROMPT + (_typed_so_far() if self.interactive else ""))
                self._line_open = True
            self.stream.flush()

    def _end_line(self) -> None:
        if self._line_open:
            # On a terminal the prompt is wiped and drawn again below; a pipe keeps it.
            self.stream.write("\r\x1b[K" if self.interactive and self._prompting else "\n")
            self._line_open = False


def _typed_so_far() -> str:
    readline = sys.modules.get("readline")
    return readline.get_line_buffer() if readline is not None else ""


def watch(chat: ConsoleChat, screen: Screen, stop: threading.Event) -> threading.Thread:
    """Show what arrives for the customer while they are not typing (CSR replies, notices)."""

    def run() -> None:
        while not stop.wait(WATCH_INTERVAL_SECONDS):
            screen.messages(chat.pending())

    thread = threading.Thread(target=run, name="console-watch", daemon=True)
    thread.start()
    return thread


def terminal_reader(interactive: bool) -> Callable[[], str]:
    """One line of input; EOFError at the end. On a terminal input() gives line editing."""
    if interactive:
        with contextlib.suppress(ImportError):  # not on Windows
            import readline  # noqa: F401  (input() uses it once imported)
        return lambda: input(PROMPT)

    def from_pipe() -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    return from_pipe


def run(
    chat: ConsoleChat, read: Callable[[], str], screen: Screen, *, prompt_shown_by_read: bool
) -> None:
    """Read lines until end of input (Ctrl-D) or "quit", showing messages as they come."""
    screen.write("Type a message for the shop (Ctrl-D or 'quit' to leave).")
    stop = threading.Event()
    watcher = watch(chat, screen, stop)
    try:
        while True:
            screen.prompt(show=not prompt_shown_by_read)
            try:
                line = read().strip()
            except EOFError:
                return
            screen.line_read()
            if line.lower() in ("quit", "exit"):
                return
            if line:
                screen.messages(chat.say(line))
    finally:
        stop.set()
        watcher.join()
        screen.close()
