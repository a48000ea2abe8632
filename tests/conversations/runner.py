"""Run one story: a fresh world, each line through the channel, the replies and the
resulting state checked. Every turn runs even after one fails, so that a story reports
how many of its turns went right as well as whether it passed."""

from __future__ import annotations

import gc
import time
import traceback
from dataclasses import dataclass, field
from decimal import Decimal

from app import create_app
from entrypoints.bootstrap import Wiring, bootstrap
from infra import heap
from infra.db import Database
from infra.settings import Settings, load_settings
from tests.conversations import checks
from tests.conversations.stories import Story, Turn
from tests.conversations.talk import AUTHSERV_ID, StoryCustomer
from tests.conversations.wire import Providers, WireCustomer
from tests.conversations.world import StoryDatabases, World, build


@dataclass
class TurnResult:
    said: str
    replies: list[str]
    problems: list[str]
    seconds: float = 0.0  # the whole turn: channel adapter, intake, bot, replies stored
    cpu_seconds: float = 0.0  # the process's CPU time over the same span

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class StoryResult:
    story: Story
    turns: list[TurnResult] = field(default_factory=list)
    state_problems: list[str] = field(default_factory=list)
    error: str | None = None
    over_the_wire: bool = False

    @property
    def turns_passed(self) -> int:
        return sum(turn.passed for turn in self.turns)

    @property
    def state_ok(self) -> bool:
        return self.error is None and not self.state_problems

    @property
    def passed(self) -> bool:
        return self.state_ok and self.turns_passed == len(self.story.turns)

    def first_failure(self) -> str:
        """Where it first went wrong, in one line ("" when it passed)."""
        if self.error:
            return f"error: {self.error.strip().splitlines()[-1]}"
        for number, turn in enumerate(self.turns, start=1):
            if turn.problems:
                return f"turn {number} {turn.said!r}: {turn.problems[0]}"
        return f"end state: {self.state_problems[0]}" if self.state_problems else ""

    def transcript(self) -> str:
        """The dialogue with every problem under the turn it belongs to."""
        lines = []
        for number, turn in enumerate(self.turns, start=1):
            first, *more = turn.said.splitlines() or [""]
            lines.append(f"  {number}. you> {first}")
            lines += [f"          {line}" for line in more]
            lines += [f"     bot> {line}" for r in turn.replies for line in r.splitlines()]
            lines += [f"     !! {problem}" for problem in turn.problems]
        lines += [f"  end !! {problem}" for problem in self.state_problems]
        if self.error:
            lines.append(f"  error !! {self.error}")
        return "\n".join(lines)


def story_settings(url: str, story: Story, **channels: object) -> Settings:
    """The product's settings for the story's database, with the story's own changes
    (and `channels`: where the providers are, for a story told over the wire)."""
    defaults = {name: f.default for name, f in Settings.model_fields.items()}
    overrides = {
        key: Decimal(str(value)) if isinstance(defaults.get(key), Decimal) else value
        for key, value in story.given.settings.items()
    }
    return load_settings(
        database_url=url,
        secret_key="conversation-stories",
        email_authserv_id=AUTHSERV_ID,
        **channels,
        **overrides,
    )


def story_wiring(story: Story, databases: StoryDatabases) -> Wiring:
    """A process's wiring on a fresh database of the story's catalog (its settings are the
    story's once `story_settings` has read them), with the run's catalogue cache."""
    url = databases.fresh(story.catalog)
    return bootstrap(
        load_settings(database_url=url),
        catalog_cache=databases.catalog_cache,
        engine=databases.engine(url),
    )


def run_story(
    story: Story,
    databases: StoryDatabases,
    providers: Providers | None = None,
    *,
    timed: bool = False,
) -> StoryResult:
    """Tell the story. With `providers`, its SMS, Telegram and email lines go over the
    wire (see tests/conversations/wire.py); the terminal's and the web chat's as always.

    `timed` (the bench) runs the turns as a worker does once started (infra.heap): what
    the story's world made is frozen as startup, so a full collection in a turn does not
    walk every earlier story's leftovers. The collection before costs about 0.3 s a story.
    """
    result = StoryResult(story)
    wiring = story_wiring(story, databases)
    database = wiring.database
    customer: StoryCustomer | WireCustomer | None = None
    try:
        wiring.settings = story_settings(database.url, story)
        with database.transaction() as session:
            world = build(session, story)
        identity = world.speaker_identity
        if providers is not None and identity is not None and over_the_wire(story, identity):
            providers.reset()
            settings = story_settings(database.url, story, **providers.settings())
            over_wire = bootstrap(settings, catalog_cache=databases.catalog_cache)
            app = create_app(wiring=over_wire, migrate_on_start=False)
            customer = WireCustomer(app, providers, story.channel, identity, world.speaker_name)
            result.over_the_wire = True
        else:
            customer = StoryCustomer(
                database, wiring.settings, story.channel, identity, world.speaker_name
            )
        if timed:
            heap.freeze_startup_objects()
        for turn in story.turns:
            result.turns.append(_turn(database, world, customer, turn))
        with database.sessions() as session:
            result.state_problems = checks.state_problems(
                session, world, customer.conversation_id, story.state, final=True
            )
    except Exception:  # a broken story or a crash outside the bot: reported, not raised
        result.error = traceback.format_exc(limit=-3)
    finally:
        if timed:
            gc.unfreeze()
        if isinstance(customer, WireCustomer):
            customer.close()
        database.dispose()
    return result


def over_the_wire(story: Story, identity: tuple[str, str]) -> bool:
    """Whether a provider's wire format carries the story: SMS, Telegram and email, from
    the speaker's address there (a stranger on Telegram has none to write from)."""
    kind = {"sms": "phone", "telegram": "telegram", "email": "email"}.get(story.channel)
    return identity[0] == kind


def _turn(
    database: Database, world: World, customer: StoryCustomer | WireCustomer, turn: Turn
) -> TurnResult:
    with database.sessions() as session:
        said = checks.expand(turn.say, checks.references(session, world))
    started, cpu_started = time.perf_counter(), time.process_time()
    replies = customer.send(said)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    with database.sessions() as session:
        values = checks.references(session, world)
        problems = checks.reply_problems(replies, turn, values)
        if turn.state is not None:
            problems += checks.state_problems(
                session, world, customer.conversation_id, turn.state, final=False
            )
    return TurnResult(said, replies, problems, seconds, cpu_seconds)
