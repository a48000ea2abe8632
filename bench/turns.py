"""Statements and CPU per bot turn: tracking, new order, change, return.

Run from the repo root: ``python bench/turns.py [--postgres URL] [--turns 200] [--show]``.
On the demo store (a temp SQLite file, or a new database on the PostgreSQL server
at URL, dropped afterwards) with the seeded customers of bench/load.py, it stores
each customer's message as a webhook does and answers it as a worker's answering
thread does (`answer_conversation`), counting the statements the answer sends (a
SQLAlchemy event listener on the engine) and the CPU it takes. ``--show`` prints the
statements of one turn of each kind; ``--profile`` runs the turns under cProfile and
prints, per kind, the Python calls a turn makes and the functions that take the most.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.load import SEEDED, scratch_database, seed, sms_phone  # noqa: E402

# (kind, what the customer says); a change needs the order the turn before placed.
SCRIPT = [
    ("tracking", "where is my order"),
    ("new order", "2 colombian beans for pickup downtown"),
    ("confirm order", "yes"),
    ("change", "make it 3"),
    ("confirm change", "yes"),
    ("return", "i want to return the mug"),
    ("return reason", "it arrived broken"),
    ("return method", "by mail"),
    ("confirm return", "yes"),
]


class StatementLog:
    """The statements an engine sends while `recording` is on."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        self.recording = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if self.recording:
            self.statements.append(" ".join(statement.split())[:160])

    @contextmanager
    def record(self) -> Iterator[list[str]]:
        self.statements, self.recording = [], True
        try:
            yield self.statements
        finally:
            self.recording = False


def run(database_url: str, turns: int, show: bool, profile: bool) -> None:
    from bot.answering import answer_conversation
    from conversations.intake import store
    from conversations.models import Message
    from entrypoints.bootstrap import bootstrap
    from infra.settings import load_settings

    settings = load_settings(database_url=database_url, secret_key="bench")
    database = bootstrap(settings).database
    log = StatementLog(database.engine)
    counts: dict[str, list[int]] = {kind: [] for kind, _ in SCRIPT}
    cpu: dict[str, list[float]] = {kind: [] for kind, _ in SCRIPT}
    shown: set[str] = set()
    profiles = {kind: cProfile.Profile() for kind, _ in SCRIPT} if profile else {}
    for index in range(min(turns, SEEDED)):
        for kind, text in SCRIPT:
            inbound = _sms(index, text)
            _, conversation_id, _ = store(database, inbound)
            profiler = profiles.get(kind)
            with log.record() as statements:
                started = time.process_time()
                if profiler is not None:
                    profiler.enable()
                answered = answer_conversation(database, settings, conversation_id)
                if profiler is not None:
                    profiler.disable()
                cpu[kind].append((time.process_time() - started) * 1000)
            assert answered.handled == 1, (kind, index)
            counts[kind].append(len(statements))
            if show and kind not in shown:
                shown.add(kind)
                print(f"\n{kind} ({text!r}): {len(statements)} statements")
                for statement in statements:
                    print("   ", statement)
    with database.reading() as session:
        replies = session.query(Message).filter(Message.direction == "out").count()
    print(f"\n{database.engine.dialect.name}: {sum(map(len, counts.values()))} turns, "
          f"{replies} replies")  # fmt: skip
    print(f"| {'turn':<16} | statements | CPU ms p50 | CPU ms mean |")
    print("|------------------|------------|------------|-------------|")
    for kind, values in counts.items():
        p50, mean = statistics.median(cpu[kind]), statistics.fmean(cpu[kind])
        print(f"| {kind:<16} | {statistics.median(values):10.0f} | {p50:10.2f} | {mean:11.2f} |")
    for kind, profiler in profiles.items():
        stats = pstats.Stats(profiler)
        print(f"\n{kind}: {stats.total_calls / len(counts[kind]):,.0f} calls a turn")  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(12)
    database.dispose()


def _sms(index: int, text: str):  # type: ignore[no-untyped-def]
    from conversations.inbound import InboundMessage

    phone = sms_phone(index)
    return InboundMessage(
        channel="sms",
        address=phone,
        text=text,
        provider_id=f"SM{uuid.uuid4().hex}",
        identity=("phone", phone),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL to use")
    parser.add_argument("--turns", type=int, default=SEEDED, help="customers (at most 100)")
    parser.add_argument("--show", action="store_true", help="print one turn's statements")
    parser.add_argument("--profile", action="store_true", help="cProfile each kind of turn")
    args = parser.parse_args()
    kind = "postgresql" if args.postgres else "sqlite"
    if args.postgres:
        import os

        os.environ["BENCH_POSTGRES_URL"] = args.postgres
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = scratch_database(kind, Path(workdir))
        try:
            seed(url)
            run(url, args.turns, args.show, args.profile)
        finally:
            drop()


if __name__ == "__main__":
    main()
