"""Sixteen stories end to end over the providers' wire formats: signed Twilio, Telegram
and Mailgun webhooks in, the worker's answering and delivery, the replies read at the
local stand-ins. Every story over Telegram and email that the bot gets right in
process, and SMS stories to make sixteen; they must pass over the wire as well.
`python bench/conversations.py --wire` tells every story this way."""

from __future__ import annotations

import hashlib

import pytest

from tests.conversations.runner import run_story
from tests.conversations.stories import NEW_CUSTOMER, Story, known_failures, load_all
from tests.conversations.wire import Providers
from tests.conversations.world import StoryDatabases
from tests.standins.smtp_server import SmtpStandin
from tests.standins.telegram_server import TelegramStandin
from tests.standins.twilio_server import TwilioStandin

SCENARIOS = 16


def _scenarios() -> list[Story]:
    known = known_failures()
    # A stranger on Telegram has no chat to write from; everyone else has an address.
    working = [
        s
        for s in load_all()
        if s.name not in known and not (s.channel == "telegram" and s.speaker == NEW_CUSTOMER)
    ]
    others = [s for s in working if s.channel in ("telegram", "email")]
    # SMS stories by a stable hash of their name: a fixed, unbiased sample.
    sms = sorted(
        (s for s in working if s.channel == "sms"),
        key=lambda s: hashlib.sha256(s.name.encode()).hexdigest(),
    )
    return others + sms[: SCENARIOS - len(others)]


@pytest.fixture
def providers(
    twilio_server: TwilioStandin, telegram_server: TelegramStandin, smtp_server: SmtpStandin
) -> Providers:
    return Providers(twilio_server, telegram_server, smtp_server)


@pytest.mark.parametrize("story", _scenarios(), ids=lambda s: s.name)
def test_story_over_the_wire(
    story: Story, story_databases: StoryDatabases, providers: Providers
) -> None:
    result = run_story(story, story_databases, providers)
    assert result.over_the_wire, result.error
    assert result.passed, f"{result.first_failure()}\n{result.transcript()}"
