"""pytest fixtures for the stand-ins; load with ``pytest_plugins = ["tests.standins.fixtures"]``.

Each server starts once per session (``*_server_session``); the function-scoped
fixture of the same name without ``_session`` resets it (recorded traffic,
injected failures, outage) before handing it to the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .dovecot import DovecotStandin, DovecotUnavailable
from .smtp_server import SmtpStandin
from .telegram_server import TelegramStandin
from .twilio_server import TwilioStandin


def pytest_configure(config: pytest.Config) -> None:
    # aiosmtpd 1.4.6 warns about its own deprecated attribute on every successful AUTH.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session.login_data is deprecated:DeprecationWarning"
    )


@pytest.fixture(scope="session")
def twilio_server_session() -> Iterator[TwilioStandin]:
    server = TwilioStandin().start()
    yield server
    server.stop()


@pytest.fixture
def twilio_server(twilio_server_session: TwilioStandin) -> TwilioStandin:
    twilio_server_session.reset()
    return twilio_server_session


@pytest.fixture(scope="session")
def telegram_server_session() -> Iterator[TelegramStandin]:
    server = TelegramStandin().start()
    yield server
    server.stop()


@pytest.fixture
def telegram_server(telegram_server_session: TelegramStandin) -> TelegramStandin:
    telegram_server_session.reset()
    return telegram_server_session


@pytest.fixture(scope="session")
def smtp_server_session() -> Iterator[SmtpStandin]:
    server = SmtpStandin().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_server_session: SmtpStandin) -> SmtpStandin:
    smtp_server_session.reset()
    return smtp_server_session


@pytest.fixture(scope="session")
def imap_server_session() -> Iterator[DovecotStandin]:
    """A real Dovecot; skipped without it, except in CI (CI=true) where that fails."""
    try:
        server = DovecotStandin()
    except DovecotUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{exc} (required in CI)")
        pytest.skip(str(exc))
    server.start()
    yield server
    server.close()


@pytest.fixture
def imap_server(imap_server_session: DovecotStandin) -> DovecotStandin:
    imap_server_session.reset()
    return imap_server_session
