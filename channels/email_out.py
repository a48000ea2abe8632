"""Outbound email by SMTP, threaded with the customer's mail."""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from conversations.delivery import DeliveryError
from conversations.models import OutboxMessage
from infra.settings import Settings

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
        smtp = smtplib.SMTP_SSL(settings.smtp_host, port, timeout=TIMEOUT_SECONDS)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.smtp_security == "starttls":
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def send(row: OutboxMessage, settings: Settings) -> str:
    """Send one mail. Retried only when the server cannot have taken it: not reached, or
    a 4xx answer; a 5xx answer, or a connection lost while handing it over, is final."""
    message = build(row, settings)
    try:
        smtp = _connect(settings)
    except smtplib.SMTPResponseException as exc:
        raise _refused(exc) from exc
    except (smtplib.SMTPException, OSError) as exc:  # nothing handed over yet
        raise DeliveryError(f"SMTP not reachable: {type(exc).__name__}: {exc}") from exc
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"SMTP refused the recipient: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refused(exc) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"SMTP connection lost while handing the mail over (it may have been taken): "
            f"{type(exc).__name__}: {exc}",
            permanent=True,
        ) from exc
    finally:
        _quit(smtp)
    return str(message["Message-ID"])


def _refused(exc: smtplib.SMTPResponseException) -> DeliveryError:
    """The server answered that it took nothing: 4xx may pass, 5xx will not."""
    return DeliveryError(
        f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
    )


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the mail's fate is already known, so a failure here changes nothing."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()
