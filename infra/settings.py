"""Settings from the environment (and a `.env` file in the working directory).

Every name here is part of the public interface (the README's Configuration lists them):
each field is read from the variable of its name in capitals (`return_window_days` from
RETURN_WINDOW_DAYS); an empty variable counts as unset. They are read once into a frozen
`Settings`, so the rest of the code never touches `os.environ`; a bad value stops the
start with a message naming the variable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///instance/orders.db"


class SettingsError(ValueError):
    """A variable with a value we cannot use; the message names it."""


def _listed(raw: object) -> object:
    """A comma-separated variable as a tuple of its non-empty items (a tuple stays one)."""
    if isinstance(raw, str):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    return raw


def _countries(codes: tuple[str, ...]) -> tuple[str, ...]:
    """ISO 3166 country codes that phone numbers can belong to."""
    codes = tuple(code.upper() for code in codes)
    unknown = [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not ISO country codes (e.g. US,CA,GB)")
    return codes


def _origins(raw: tuple[str, ...]) -> tuple[str, ...]:
    """Web origins, each `scheme://host[:port]`."""
    origins = []
    for item in raw:
        origin = item.rstrip("/").lower()
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"{item!r} is not an origin like https://shop.example")
        origins.append(origin)
    return tuple(origins)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone (e.g. Europe/Paris)") from None
    return name


def _locale(name: str) -> str:
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{name!r} is not a locale (e.g. en_US, fr_CA)") from None
    return name


Listed = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_listed)]
Countries = Annotated[Listed, AfterValidator(_countries)]
Origins = Annotated[Listed, AfterValidator(_origins)]
BaseUrl = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]
Lower = Annotated[str, AfterValidator(str.lower)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
LocaleName = Annotated[str, AfterValidator(_locale)]


class Settings(BaseSettings):
    """Read from the environment, then `.env`, then these defaults (keyword arguments,
    as `load_settings` passes its overrides, win over all three)."""

    model_config = SettingsConfigDict(
        env_file=".env",  # relative: the working directory's, read at each load
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",  # a .env may hold other programs' variables too
        frozen=True,
        str_strip_whitespace=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = Field("", repr=False)
    public_base_url: BaseUrl = ""
    admin_api_token: str = ""
    # The shop's name in replies and pages; unset, the demo's name where the demo is
    # loaded, else "the shop" (see app.name_the_shop).
    store_name: str = ""
    currency: str = "USD"
    # Times and money as the shop's people read them: an IANA zone and a Babel locale.
    store_timezone: TimeZoneName = "UTC"
    locale: LocaleName = "en_US"
    return_window_days: int = 30
    refund_escalation_amount: Decimal = Decimal("150.00")
    pickup_reminder_days: int = 3
    pickup_expiry_days: int = 7
    handoff_wait_alert_minutes: int = 10
    twilio_account_sid: str = ""
    twilio_auth_token: str = Field("", repr=False)
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base_url: BaseUrl = ""
    # WhatsApp through Twilio: the business number, and the Content SID of an approved
    # template with one variable ({{1}}) for messages outside the 24-hour window.
    twilio_whatsapp_from: str = ""
    twilio_whatsapp_template_sid: str = ""
    telegram_bot_token: str = Field("", repr=False)
    telegram_webhook_secret: str = Field("", repr=False)
    telegram_api_base_url: BaseUrl = ""
    imap_host: str = ""
    imap_port: int = 0
    imap_user: str = ""
    imap_password: str = Field("", repr=False)
    imap_security: Lower = "ssl"
    imap_folder: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_user: str = ""
    smtp_password: str = Field("", repr=False)
    smtp_security: Lower = "starttls"
    email_from: str = ""
    email_poll_seconds: int = 30
    mailgun_signing_key: str = Field("", repr=False)
    # The authserv-id our receiving mail server writes in Authentication-Results; a
    # DMARC pass in that header (and only that one) proves an email's sender.
    email_authserv_id: Lower = ""
    # Outbox delivery: attempts before a message becomes a dead letter, and the first
    # retry delay (doubled per attempt, with jitter, capped at 15 minutes).
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: int = 5
    # How long a worker owns the rows it claimed; a worker that dies leaves them to
    # another once this runs out. Longer than the slowest send (15 s provider timeouts).
    outbox_lease_seconds: int = 60
    # Answering a stored inbound message whose routing fails: attempts before it becomes
    # a dead letter (the conversation moves on, CSRs see it), and the first retry delay.
    inbound_max_attempts: int = 5
    inbound_backoff_seconds: int = 5
    # `python app.py worker` lowers its CPU priority by this much (0 to 19), so that on a
    # host it shares with web processes, acknowledging webhooks (which providers time out
    # on) wins the CPU over answering (which can queue). 0 on a host of its own.
    worker_nice: int = 10
    # Where outbound SMS may go: ISO country codes, comma-separated. Empty means the
    # country of TWILIO_FROM_NUMBER (US without one); see conversations/destinations.py.
    sms_allowed_countries: Countries = ()
    # Abuse limits, counted in the database (infra/rate_limits.py) so they hold across every
    # process and host; conversations/limits.py applies them. 0 turns one off.
    chat_messages_per_minute: int = 20  # per web chat session
    chat_messages_per_minute_per_ip: int = 60  # per client address (IPv6: its /64)
    chat_open_handoffs_per_ip: int = 3
    sender_answers_per_minute: int = 20  # per SMS number or Telegram chat
    link_codes_per_hour: int = 3  # per conversation asking
    link_codes_per_address_per_hour: int = 3  # per phone or email a code goes to
    link_codes_per_shop_per_hour: int = 30
    # Sites (scheme://host[:port]) whose pages may embed the chat widget, besides the
    # app's own origin, which is always allowed (the /chat page).
    chat_allowed_origins: Origins = ()
    # How long a chat page's request for new messages waits for one before answering
    # empty, where the web process has threads to wait with (not gunicorn's sync
    # workers, which answer at once). Under a proxy's read timeout; 0: never wait.
    chat_long_poll_seconds: int = 20

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.store_timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def imap_enabled(self) -> bool:
        return bool(self.imap_host)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)


def _problem(error: Any) -> str:
    """One refused value, named by its variable: `IMAP_PORT: 'abc' is not valid (...)`."""
    name = str(error["loc"][0]).upper()
    if error["type"] == "value_error":
        return f"{name}: {error['ctx']['error']}"
    return f"{name}: {error['input']!r} is not valid ({error['msg'].lower()})"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`; keyword overrides win (tests use them)."""
    unknown = set(overrides) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError("; ".join(_problem(e) for e in exc.errors())) from None
