"""Outbound email by SMTP, threaded with the customer's mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from channels.delivery import DeliveryError
from channels.models import OutboxMessage
from settings import Settings

TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def build(row: OutboxMessage, settings: Settings) -> EmailMessage:
    payload = row.payload or {}
    domain = settings.email_from.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = row.to_address
    message["Subject"] = payload.get("subject") or "Your order"
    message["Date"] = formatdate(localtime=False)
    # Stable across retries, so a resend after a timeout is recognisably the same mail.
    message["Message-ID"] = f"<outbox-{row.id}-{row.message_id}@{domain}>"
    if payload.get("in_reply_to"):
        message["In-Reply-To"] = payload["in_reply_to"]
    if payload.get("references"):
        message["References"] = payload["references"]
    # RFC 3834: tells other robots not to answer us (no auto-reply ping-pong).
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(row.body)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    port = settings.smtp_port or DEFAULT_PORTS.get(settings.smtp_security, 587)
    if settings.smtp_security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, port, timeout=TIMEOUT_SECONDS)
    smtp = smtplib.SMTP(settings.smtp_host, port, timeout=TIMEOUT_SECONDS)
    if settings.smtp_security == "starttls":
        smtp.starttls()
    return smtp


def send(row: OutboxMessage, settings: Settings) -> str:
    """Send one mail; 5xx answers are permanent, 4xx and connection problems are retried."""
    message = build(row, settings)
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"SMTP refused the recipient: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP not reachable: {type(exc).__name__}: {exc}") from exc
    return str(message["Message-ID"])
