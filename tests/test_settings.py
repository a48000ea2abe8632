"""Settings: one environment variable per field, `.env` in the working directory below
the real environment, and a bad value stops the start with the variable's name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from infra.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable of ours from the machine running the tests, and no `.env` of its own."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.currency, settings.store_timezone, settings.locale) == ("USD", "UTC", "en_US")
    assert settings.return_window_days == 30
    assert settings.refund_escalation_amount == Decimal("150.00")
    assert (settings.pickup_reminder_days, settings.pickup_expiry_days) == (3, 7)
    assert (settings.imap_security, settings.imap_folder, settings.email_poll_seconds) == (
        "ssl",
        "INBOX",
        30,
    )
    assert (settings.outbox_max_attempts, settings.outbox_backoff_seconds) == (8, 5)
    assert (settings.outbox_lease_seconds, settings.worker_nice) == (60, 10)
    assert settings.sms_allowed_countries == settings.chat_allowed_origins == ()


def test_each_field_reads_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURN_WINDOW_DAYS", " 14 ")
    monkeypatch.setenv("REFUND_ESCALATION_AMOUNT", "99.50")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example/")
    monkeypatch.setenv("IMAP_SECURITY", "STARTTLS")
    monkeypatch.setenv("SMS_ALLOWED_COUNTRIES", "us, ca,")
    monkeypatch.setenv("CHAT_MESSAGES_PER_MINUTE", "0")
    monkeypatch.setenv("CURRENCY", "")  # empty: unset
    settings = load_settings()
    assert settings.return_window_days == 14
    assert settings.refund_escalation_amount == Decimal("99.50")
    assert settings.public_base_url == "https://shop.example"
    assert settings.imap_security == "starttls"
    assert settings.sms_allowed_countries == ("US", "CA")
    assert settings.chat_messages_per_minute == 0
    assert settings.currency == "USD"


def test_dotenv_in_the_working_directory_is_below_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "STORE_NAME=Corner Shop\nCURRENCY=EUR\nSOME_OTHER_TOOL=yes\n", encoding="utf-8"
    )
    monkeypatch.setenv("CURRENCY", "GBP")
    settings = load_settings()
    assert (settings.store_name, settings.currency) == ("Corner Shop", "GBP")
    assert load_settings(store_name="Override").store_name == "Override"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("IMAP_PORT", "nine-nine-three", "IMAP_PORT: 'nine-nine-three'"),
        ("REFUND_ESCALATION_AMOUNT", "lots", "REFUND_ESCALATION_AMOUNT: 'lots'"),
        ("STORE_TIMEZONE", "Mars/Olympus", "STORE_TIMEZONE: 'Mars/Olympus' is not a time zone"),
        ("LOCALE", "xx_QQ", "LOCALE: 'xx_QQ' is not a locale"),
        ("SMS_ALLOWED_COUNTRIES", "US,UK", "SMS_ALLOWED_COUNTRIES: UK not ISO country codes"),
        ("CHAT_ALLOWED_ORIGINS", "shop.example", "CHAT_ALLOWED_ORIGINS: 'shop.example' is not"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith(said)
    assert isinstance(refused.value, ValueError)


def test_overrides_are_checked_and_settings_are_frozen() -> None:
    with pytest.raises(TypeError, match="unknown settings"):
        load_settings(no_such_setting=1)
    settings = load_settings(sms_allowed_countries=("gb",), store_timezone="Europe/Paris")
    assert settings.sms_allowed_countries == ("GB",) and settings.timezone.key == "Europe/Paris"
    with pytest.raises(ValueError, match="frozen"):
        settings.currency = "EUR"  # type: ignore[misc]
    assert settings.model_copy(update={"currency": "EUR"}).currency == "EUR"
    assert "secret-value" not in repr(load_settings(secret_key="secret-value"))
