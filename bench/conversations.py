"""Conversation stories: how many whole conversations the bot gets right.

Run from the repo root: ``python bench/conversations.py``. Prints
``conversations: P/N pass``, then per catalog, per split (tune / holdout) and per tag
(the failure classes of issue 14), the turns that passed and the end states that
matched, and the failing stories with the first thing that went wrong. Holdout
failures are named only: the holdout stories are never read while tuning
(``--show-holdout`` shows them anyway, for the final report).

``--verbose`` prints each failing story's dialogue; ``--catalog``, ``--split`` and
``-k TEXT`` pick stories; ``--postgres URL`` runs on a new database on that server
(dropped afterwards) instead of SQLite; ``--wire`` tells the SMS, Telegram and email
stories end to end over the providers' wire formats (signed webhooks in, the worker,
replies read at local Twilio, Bot API and SMTP stand-ins; see
tests/conversations/wire.py); ``--write-known-failures`` rewrites
tests/conversations/known_failures.txt from this run (run it over all stories).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: bench/orders.py would shadow the orders package

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from infra import migrate  # noqa: E402
from infra.db import Database  # noqa: E402
from tests.conversations.runner import StoryResult, run_story  # noqa: E402
from tests.conversations.stories import (  # noqa: E402
    CATALOGS,
    SPLITS,
    StoryError,
    load_all,
    write_known_failures,
)
from tests.conversations.wire import Providers  # noqa: E402
from tests.conversations.world import StoryDatabases  # noqa: E402


@contextmanager
def base_database(postgres: str | None, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a new PostgreSQL database."""
    if postgres is None:
        url = f"sqlite:///{workdir / 'base.db'}"
        _migrate(url)
        yield url
        return
    name = f"conversations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()


def _share(results: list[StoryResult]) -> str:
    return f"{sum(r.passed for r in results)}/{len(results)}"


def _latency(results: list[StoryResult], measure: str) -> str:
    """p50 and p99 of whole turns (channel adapter to stored replies), in milliseconds of
    `measure` ("seconds": wall clock, "cpu_seconds": the process's CPU, which a shared
    host moves less): every turn, then each story's first turn and the turns after it
    apart (a first turn is the first work on its story's database: see `StoryDatabases`)."""
    every = [getattr(turn, measure) * 1000 for r in results for turn in r.turns]
    first = [getattr(r.turns[0], measure) * 1000 for r in results if r.turns]
    later = [getattr(turn, measure) * 1000 for r in results for turn in r.turns[1:]]
    return "; ".join(
        f"{name} {_percentiles(times)}"
        for name, times in (("all", every), ("first turns", first), ("later turns", later))
    )


def _percentiles(times: list[float]) -> str:
    if not times:
        return "no turns"
    times = sorted(times)

    def at(share: float) -> float:
        return times[min(len(times) - 1, int(share * len(times)))]

    return f"p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {times[-1]:.1f} ms ({len(times)})"


def report(results: list[StoryResult], *, verbose: bool, show_holdout: bool) -> None:
    print(f"conversations: {_share(results)} pass")
    for catalog in CATALOGS:
        picked = [r for r in results if r.story.catalog == catalog]
        if picked:
            print(f"  catalog {catalog}: {_share(picked)} pass")
    for split in SPLITS:
        picked = [r for r in results if r.story.split == split]
        if picked:
            turns = sum(r.turns_passed for r in picked)
            all_turns = sum(len(r.story.turns) for r in picked)
            states = sum(r.state_ok for r in picked)
            print(
                f"  split {split}: {_share(picked)} pass, turns {turns}/{all_turns},"
                f" end states {states}/{len(picked)}"
            )
    tags = sorted({tag for r in results for tag in r.story.tags})
    shares = [f"{tag} {_share([r for r in results if tag in r.story.tags])}" for tag in tags]
    print(f"  by tag: {', '.join(shares)}")
    turns = sum(r.turns_passed for r in results)
    all_turns = sum(len(r.story.turns) for r in results)
    print(f"turns: {turns}/{all_turns} pass")
    print(f"turn latency: {_latency(results, 'seconds')}")
    print(f"turn CPU: {_latency(results, 'cpu_seconds')}")
    print(f"end states: {sum(r.state_ok for r in results)}/{len(results)} match")
    failing = [r for r in results if not r.passed]
    if failing:
        print("failing:")
    for result in failing:
        story = result.story
        hidden = story.split == "holdout" and not show_holdout
        where = f"{story.name} ({story.catalog}, {story.split})"
        print(f"  {where}" if hidden else f"  {where}: {result.first_failure()}")
        if verbose and not hidden:
            print(result.transcript())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="show failing dialogues")
    parser.add_argument("--catalog", choices=CATALOGS)
    parser.add_argument("--split", choices=SPLITS)
    parser.add_argument("-k", dest="name", default="", help="only stories whose name has this")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL to use")
    parser.add_argument("--show-holdout", action="store_true", help="detail holdout failures")
    parser.add_argument(
        "--wire", action="store_true", help="SMS, Telegram and email stories over the wire"
    )
    parser.add_argument(
        "--write-known-failures",
        action="store_true",
        help="rewrite tests/conversations/known_failures.txt from this run",
    )
    args = parser.parse_args()
    try:
        every = load_all()
    except StoryError as exc:
        parser.exit(2, f"a story is broken: {exc}\n")
    stories = [
        story
        for story in every
        if args.catalog in (None, story.catalog)
        and args.split in (None, story.split)
        and args.name in story.name
    ]
    if args.write_known_failures and (args.catalog or args.split or args.name or args.wire):
        parser.error(
            "--write-known-failures needs every story, in process: drop --catalog, --split,"
            " -k and --wire"
        )
    started = time.perf_counter()
    providers = Providers.start() if args.wire else None
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            base_database(args.postgres, Path(workdir)) as url,
        ):
            databases = StoryDatabases(url, Path(workdir))
            try:
                results = [run_story(story, databases, providers, timed=True) for story in stories]
            finally:
                databases.close()
    finally:
        if providers is not None:
            providers.stop()
    report(results, verbose=args.verbose, show_holdout=args.show_holdout)
    print(f"time: {time.perf_counter() - started:.1f} s for {len(results)} stories")
    if args.write_known_failures:
        write_known_failures([r.story.name for r in results if not r.passed])
        print(f"wrote {sum(not r.passed for r in results)} names to known_failures.txt")


if __name__ == "__main__":
    main()
