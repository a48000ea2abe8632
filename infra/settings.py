"""Settings from the environment (and a `.env` file in the working directory).

Every name here is part of the public interface (the README's Configuration lists them);
read them once into a frozen `Settings` so the rest of the code never touches `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite:///instance/orders.db"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


def _countries(name: str) -> tuple[str, ...]:
    """A comma-separated list of ISO 3166 country codes that phone numbers can belong to."""
    codes = tuple(code.strip().upper() for code in _env(name).split(",") if code.strip())
    unknown = [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(f"{name}: {', '.join(unknown)} not ISO country codes (e.g. US,CA,GB)")
    return codes


def _origins(name: str) -> tuple[str, ...]:
    """A comma-separated list of web origins, each `scheme://host[:port]`."""
    origins = []
    for raw in _env(name).split(","):
        origin = raw.strip().rstrip("/").lower()
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"{name}: {raw.strip()!r} is not an origin like https://shop.example")
        origins.append(origin)
    return tuple(origins)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    public_base_url: str = ""
    admin_api_token: str = ""
    # The shop's name in replies and pages; unset, the demo's name where the demo is
    # loaded, else "the shop" (see app.name_the_shop).
    store_name: str = ""
    currency: str = "USD"
    # Times and money as the shop's people read them: an IANA zone and a Babel locale.
    store_timezone: str = "UTC"
    locale: str = "en_US"
    return_window_days: int = 30
    refund_escalation_amount: Decimal = Decimal("150.00")
    pickup_reminder_days: int = 3
    pickup_expiry_days: int = 7
    handoff_wait_alert_minutes: int = 10
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base_url: str = ""
    # WhatsApp through Twilio: the business number, and the Content SID of an approved
    # template with one variable ({{1}}) for messages outside the 24-hour window.
    twilio_whatsapp_from: str = ""
    twilio_whatsapp_template_sid: str = ""
    telegram_bot_token: str = field(default="", repr=False)
    telegram_webhook_secret: str = field(default="", repr=False)
    telegram_api_base_url: str = ""
    imap_host: str = ""
    imap_port: int = 0
    imap_user: str = ""
    imap_password: str = field(default="", repr=False)
    imap_security: str = "ssl"
    imap_folder: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = "starttls"
    email_from: str = ""
    email_poll_seconds: int = 30
    mailgun_signing_key: str = field(default="", repr=False)
    # The authserv-id our receiving mail server writes in Authentication-Results; a
    # DMARC pass in that header (and only that one) proves an email's sender.
    email_authserv_id: str = ""
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
    sms_allowed_countries: tuple[str, ...] = ()
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
    chat_allowed_origins: tuple[str, ...] = ()
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


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; keyword overrides win (tests use them)."""
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    values: dict[str, object] = {
        "database_url": _env("DATABASE_URL", DEFAULT_DATABASE_URL),
        "secret_key": _env("SECRET_KEY"),
        "public_base_url": _env("PUBLIC_BASE_URL").rstrip("/"),
        "admin_api_token": _env("ADMIN_API_TOKEN"),
        "store_name": _env("STORE_NAME", Settings.store_name),
        "currency": _env("CURRENCY", Settings.currency),
        "store_timezone": _env("STORE_TIMEZONE", Settings.store_timezone),
        "locale": _env("LOCALE", Settings.locale),
        "return_window_days": _env_int("RETURN_WINDOW_DAYS", Settings.return_window_days),
        "refund_escalation_amount": Decimal(
            _env("REFUND_ESCALATION_AMOUNT", str(Settings.refund_escalation_amount))
        ),
        "pickup_reminder_days": _env_int("PICKUP_REMINDER_DAYS", Settings.pickup_reminder_days),
        "pickup_expiry_days": _env_int("PICKUP_EXPIRY_DAYS", Settings.pickup_expiry_days),
        "handoff_wait_alert_minutes": _env_int(
            "HANDOFF_WAIT_ALERT_MINUTES", Settings.handoff_wait_alert_minutes
        ),
        "twilio_account_sid": _env("TWILIO_ACCOUNT_SID"),
        "twilio_auth_token": _env("TWILIO_AUTH_TOKEN"),
        "twilio_from_number": _env("TWILIO_FROM_NUMBER"),
        "twilio_messaging_service_sid": _env("TWILIO_MESSAGING_SERVICE_SID"),
        "twilio_api_base_url": _env("TWILIO_API_BASE_URL").rstrip("/"),
        "twilio_whatsapp_from": _env("TWILIO_WHATSAPP_FROM"),
        "twilio_whatsapp_template_sid": _env("TWILIO_WHATSAPP_TEMPLATE_SID"),
        "telegram_bot_token": _env("TELEGRAM_BOT_TOKEN"),
        "telegram_webhook_secret": _env("TELEGRAM_WEBHOOK_SECRET"),
        "telegram_api_base_url": _env("TELEGRAM_API_BASE_URL").rstrip("/"),
        "imap_host": _env("IMAP_HOST"),
        "imap_port": _env_int("IMAP_PORT", 0),
        "imap_user": _env("IMAP_USER"),
        "imap_password": _env("IMAP_PASSWORD"),
        "imap_security": _env("IMAP_SECURITY", "ssl").lower(),
        "imap_folder": _env("IMAP_FOLDER", "INBOX"),
        "smtp_host": _env("SMTP_HOST"),
        "smtp_port": _env_int("SMTP_PORT", 0),
        "smtp_user": _env("SMTP_USER"),
        "smtp_password": _env("SMTP_PASSWORD"),
        "smtp_security": _env("SMTP_SECURITY", "starttls").lower(),
        "email_from": _env("EMAIL_FROM"),
        "email_poll_seconds": _env_int("EMAIL_POLL_SECONDS", 30),
        "mailgun_signing_key": _env("MAILGUN_SIGNING_KEY"),
        "email_authserv_id": _env("EMAIL_AUTHSERV_ID").lower(),
        "outbox_max_attempts": _env_int("OUTBOX_MAX_ATTEMPTS", Settings.outbox_max_attempts),
        "outbox_backoff_seconds": _env_int(
            "OUTBOX_BACKOFF_SECONDS", Settings.outbox_backoff_seconds
        ),
        "outbox_lease_seconds": _env_int("OUTBOX_LEASE_SECONDS", Settings.outbox_lease_seconds),
        "inbound_max_attempts": _env_int("INBOUND_MAX_ATTEMPTS", Settings.inbound_max_attempts),
        "inbound_backoff_seconds": _env_int(
            "INBOUND_BACKOFF_SECONDS", Settings.inbound_backoff_seconds
        ),
        "worker_nice": _env_int("WORKER_NICE", Settings.worker_nice),
        "sms_allowed_countries": _countries("SMS_ALLOWED_COUNTRIES"),
        **{
            limit: _env_int(limit.upper(), getattr(Settings, limit))
            for limit in (
                "chat_messages_per_minute",
                "chat_messages_per_minute_per_ip",
                "chat_open_handoffs_per_ip",
                "sender_answers_per_minute",
                "link_codes_per_hour",
                "link_codes_per_address_per_hour",
                "link_codes_per_shop_per_hour",
            )
        },
        "chat_allowed_origins": _origins("CHAT_ALLOWED_ORIGINS"),
        "chat_long_poll_seconds": _env_int(
            "CHAT_LONG_POLL_SECONDS", Settings.chat_long_poll_seconds
        ),
    }
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    # A mistyped zone or locale fails here, at start, with its name.
    settings.timezone  # noqa: B018
    Locale.parse(settings.locale)
    return settings
