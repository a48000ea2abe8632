"""`python app.py chat`: a new customer per run, messages shown while the customer waits
at the prompt (on a pipe and on a terminal), and no migration chatter on the CLI."""

from __future__ import annotations

import logging
import os
import pty
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select as sql_select

from conversations.models import Conversation
from conversations.opening import find
from conversations.outbox import enqueue
from infra import cli_logging
from orders import fulfilment
from orders.models import Customer, Order
from orders.status import OrderStatus
from tests import factories
from tests.channels_support import ROOT

PHONE = "+15555550177"
WAIT_SECONDS = 60  # a ceiling, not a sleep: importing the app takes 8 s on a loaded machine


def chat_env(db_url: str) -> dict[str, str]:
    # A named shop: the server's one warning, about an unnamed shop, is not ours here.
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "SECRET_KEY": "console-test",
        "STORE_NAME": "Console Test Shop",
    }


def test_each_run_is_a_new_customer_unless_as_is_given(app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    first = runner.invoke(app.cli, ["chat"], input="hello\n")
    assert first.exit_code == 0, first.output
    with app.extensions["db"].transaction() as session:  # a person took that one over
        [conversation] = session.scalars(sql_select(Conversation)).all()
        conversation.mode = "handoff"
    second = runner.invoke(app.cli, ["chat"], input="hello again\n")
    assert "bot> echo: hello again" in second.output  # a new customer: the bot answers
    for _ in range(2):
        runner.invoke(app.cli, ["chat", "--as", PHONE], input="it's me\n")
    with app.extensions["db"].transaction() as session:
        conversations = session.scalars(sql_select(Conversation)).all()
        assert len({c.customer_id for c in conversations}) == 3
        assert len({c.address for c in conversations}) == 3
        assert (
            session.scalar(
                sql_select(Customer.name).where(Customer.id == conversations[-1].customer_id)
            )
            is not None
        )


def test_every_message_starts_a_line_of_its_own_on_a_pipe(app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app.cli, ["chat"], input="one\nask\n")
    lines = result.output.splitlines()
    assert "bot> echo: one" in lines
    assert "bot> Cancel order #10001?" in lines and "  [Yes | No]" in lines
    assert not [line for line in lines if "bot> " in line and not line.startswith("bot> ")]


class Lines:
    """A child's output, line by line, read by a thread so a test can wait with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))

    def next_bot_line(self) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line.startswith("bot> "):
                return line
        raise AssertionError("no bot> line arrived")


@pytest.fixture
def shop_customer(app: Flask) -> int:
    """Jo, with a placed order; the id of that order."""
    with app.extensions["db"].sessions() as session:
        factories.make_shop(session)
        customer = factories.customer(session, phone=PHONE)
        order_id = factories.order_in(session, OrderStatus.PROCESSING, customer).id
        session.commit()
        return order_id


def console_conversation(app: Flask) -> Conversation:
    with app.extensions["db"].transaction() as session:
        conversation = find(session, "console", f"phone:{PHONE}")
        assert conversation is not None
        session.expunge(conversation)
        return conversation


def csr_reply(app: Flask, text: str) -> None:
    with app.extensions["db"].transaction() as session:
        conversation = find(session, "console", f"phone:{PHONE}")
        enqueue(session, conversation, text, author="csr", author_id="casey@example.com")


def ship(app: Flask, order_id: int) -> None:
    with app.extensions["db"].transaction() as session:
        order = session.get(Order, order_id)
        fulfilment.ship(
            session, order, carrier="UPS", tracking_number="1ZLIVE", actor=factories.STAFF
        )


@pytest.fixture
def chat_process(app: Flask, db_url: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "app.py", "chat", "--as", PHONE],
        cwd=ROOT,
        env=chat_env(db_url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_csr_replies_and_notices_arrive_while_a_piped_customer_waits(
    app: Flask, shop_customer: int, chat_process: subprocess.Popen[str]
) -> None:
    output = Lines(chat_process.stdout)
    chat_process.stdin.write("hi\n")
    chat_process.stdin.flush()
    assert output.next_bot_line().startswith("bot> Hi")
    console_conversation(app)  # the answer came through the console conversation

    # Nothing more is written: the customer sits at the prompt.
    csr_reply(app, "Casey here, I'm looking at your order.")
    assert output.next_bot_line() == "bot> Casey here, I'm looking at your order."
    ship(app, shop_customer)
    notice = output.next_bot_line()
    assert "has shipped" in notice and "1ZLIVE" in notice

    chat_process.stdin.close()
    assert chat_process.wait(WAIT_SECONDS) == 0
    assert chat_process.stderr.read() == ""  # no Alembic INFO lines, nothing else either


def test_a_notice_is_drawn_above_the_prompt_on_a_terminal(
    app: Flask, db_url: str, shop_customer: int
) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "app.py", "chat", "--as", PHONE],
        cwd=ROOT,
        env=chat_env(db_url),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    try:
        screen = read_until(controller, b"you> ")
        os.write(controller, b"hi\r")
        screen = read_until(controller, b"you> ")
        assert b"bot> Hi" in screen
        os.write(controller, b"wher")  # typing, not yet sent
        read_until(controller, b"wher")
        csr_reply(app, "Casey here.")
        screen = read_until(controller, b"you> wher")
        # The prompt line is wiped, the reply printed, the prompt and the typing drawn again.
        assert b"\r\x1b[Kbot> Casey here.\r\nyou> wher" in screen
        os.write(controller, b"e is it\r")
        assert b"bot> " in read_until(controller, b"you> ")
        os.write(controller, b"\x04")  # Ctrl-D
        assert process.wait(WAIT_SECONDS) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def read_until(descriptor: int, marker: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + WAIT_SECONDS
    while marker not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([descriptor], [], [], max(left, 0))
        if not ready:
            raise AssertionError(f"{marker!r} never came; saw {seen!r}")
        seen += os.read(descriptor, 4096)
    return seen


@pytest.mark.parametrize("args", [["chat", "--help"], ["db", "upgrade"], ["seed-demo"]])
def test_cli_commands_print_no_migration_chatter(tmp_path: Path, args: list[str]) -> None:
    # A new database: every migration runs, which Alembic reports at INFO.
    env = chat_env(f"sqlite:///{tmp_path / 'fresh.db'}")
    result = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "alembic" not in result.stderr + result.stdout
    assert result.stderr == ""


def test_migration_lines_are_kept_at_debug() -> None:
    record = logging.LogRecord(
        "alembic.runtime.migration", logging.INFO, __file__, 1, "Running upgrade", None, None
    )
    assert not cli_logging.DemoteToDebug(("alembic",), logging.INFO).filter(record)
    record.levelno, record.levelname = logging.INFO, "INFO"
    assert cli_logging.DemoteToDebug(("alembic",), logging.DEBUG).filter(record)
    assert record.levelname == "DEBUG"
    ours = logging.LogRecord("orders", logging.INFO, __file__, 1, "started", None, None)
    assert cli_logging.DemoteToDebug(("alembic",), logging.INFO).filter(ours)
