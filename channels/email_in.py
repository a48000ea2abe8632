"""Inbound email: the IMAP reader (IDLE where offered, else polling) and the Mailgun hook.

The reader keeps a checkpoint per mailbox (UIDVALIDITY and the last UID read) and
advances it in the same transaction that stores each message: after downtime it
continues exactly where it stopped, nothing missed and nothing read twice.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage, Message

from flask import Blueprint, Response, abort, request
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from bot import answering
from channels.email_parse import Bounce, Unusable, to_inbound
from channels.requests_io import strict_form
from conversations import identities, intake
from conversations.inbound import BadRequest
from conversations.models import MailboxCheckpoint
from infra import clock
from infra.db import Database, UTCDateTime
from infra.settings import Settings
from infra.web import database, settings

log = logging.getLogger(__name__)
bp = Blueprint("email", __name__)

MAILGUN_MAX_AGE_SECONDS = 15 * 60
# Mailgun posts the whole mail, attachments included (it accepts mails up to 25 MB);
# the app's 1 MB request limit would refuse a photo of a broken mug. Files are spooled
# to disk by Werkzeug and never read; text fields stay bounded in memory.
MAILGUN_MAX_REQUEST_BYTES = 40 * 1024 * 1024
MAILGUN_MAX_FIELD_BYTES = 2 * 1024 * 1024
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
MAILBOX_CLASSES: dict[str, type[BaseMailBox]] = {
    "ssl": MailBox,
    "starttls": MailBoxStartTls,
    "none": MailBoxUnencrypted,
}


# IMAP ---------------------------------------------------------------------------------


def mailbox_key(settings: Settings) -> str:
    return f"{settings.imap_user}@{settings.imap_host}:{_port(settings)}/{settings.imap_folder}"


def _port(settings: Settings) -> int:
    return settings.imap_port or DEFAULT_PORTS.get(settings.imap_security, 993)


def connect(settings: Settings) -> BaseMailBox:
    mailbox_class = MAILBOX_CLASSES.get(settings.imap_security)
    if mailbox_class is None:
        raise ValueError(
            f"IMAP_SECURITY must be ssl, starttls or none, not {settings.imap_security!r}"
        )
    mailbox = mailbox_class(settings.imap_host, _port(settings))
    return mailbox.login(
        settings.imap_user, settings.imap_password, initial_folder=settings.imap_folder
    )


def _checkpoint(session: Session, key: str) -> MailboxCheckpoint | None:
    return session.scalar(select(MailboxCheckpoint).where(MailboxCheckpoint.mailbox == key))


def _advance(key: str, uidvalidity: int, uid: int):  # type: ignore[no-untyped-def]
    def advance(session: Session) -> None:
        checkpoint = _checkpoint(session, key)
        if checkpoint is None:
            checkpoint = MailboxCheckpoint(mailbox=key, uidvalidity=uidvalidity, last_uid=0)
            session.add(checkpoint)
        checkpoint.uidvalidity = uidvalidity
        checkpoint.last_uid = uid
        checkpoint.updated_at = clock.now(session)

    return advance


def poll_once(database: Database, settings: Settings, mailbox: BaseMailBox) -> int:
    """Read every message after the checkpoint; returns how many were new."""
    key = mailbox_key(settings)
    uidvalidity = mailbox.folder.status(settings.imap_folder, ["UIDVALIDITY"])["UIDVALIDITY"]
    with database.transaction() as session:
        checkpoint = _checkpoint(session, key)
        # A new UIDVALIDITY renumbers the folder: read it all again; Message-IDs
        # already stored are recognised as duplicates.
        last_uid = (
            checkpoint.last_uid if checkpoint and checkpoint.uidvalidity == uidvalidity else 0
        )
    new = 0
    criteria = AND(uid=f"{last_uid + 1}:*")
    for message in mailbox.fetch(criteria, mark_seen=False, bulk=False):
        uid = int(message.uid or 0)
        if uid <= last_uid:  # "N:*" always returns the newest message, even below N
            continue
        new += _read(database, settings, message.obj, _advance(key, uidvalidity, uid))
    return new


def _read(database: Database, settings: Settings, mime: Message, advance) -> int:  # type: ignore[no-untyped-def]
    try:
        inbound = to_inbound(
            mime,
            _part(mime, "text/plain"),
            _part(mime, "text/html"),
            authserv_id=settings.email_authserv_id,
            fallback_id=mime.as_bytes(),
            has_attachments=_has_attachments(mime),
        )
    except Bounce as bounce:
        record_bounce(database, bounce, within=advance)
        return 0
    except (Unusable, BadRequest) as exc:  # never let one mail stop the mailbox
        log.info("skipping email: %s", exc)
        with database.transaction() as session:
            advance(session)
        return 0
    result = answering.receive(database, settings, inbound, within=advance)
    return 0 if result.duplicate else 1


def record_bounce(database: Database, bounce: Bounce, within: Callable[[Session], None]) -> None:
    """Mark the addresses a bounce names unreachable; the bounce itself is no customer's."""
    log.info("email %s", bounce)
    with database.transaction() as session:
        for address in bounce.addresses:
            identities.mark(session, "email", address, "unreachable")
        within(session)


# Large mails are read by their text part; this bounds what is decoded of it.
MAX_TEXT_PART_BYTES = 256 * 1024


def _part(mime: Message, content_type: str) -> str:
    """The first non-attachment part of that type, decoded (at most MAX_TEXT_PART_BYTES)."""
    for part in mime.walk():
        if part.get_content_type() == content_type and not _is_attachment(part):
            payload = (part.get_payload(decode=True) or b"")[:MAX_TEXT_PART_BYTES]
            try:
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            except LookupError:  # a charset Python does not know
                return payload.decode("utf-8", errors="replace")
    return ""


def _is_attachment(part: Message) -> bool:
    return bool(part.get_filename()) or part.get_content_disposition() == "attachment"


def _has_attachments(mime: Message) -> bool:
    """Files or pictures (inline ones included) beside, or instead of, the text."""
    return any(
        _is_attachment(part) or part.get_content_maintype() in ("image", "audio", "video")
        for part in mime.walk()
        if not part.is_multipart()
    )


def run_reader(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Read the mailbox until `stop`: IDLE when the server has it, else every EMAIL_POLL_SECONDS."""
    while not stop.is_set():
        try:
            with connect(settings) as mailbox:
                idle = "IDLE" in mailbox.client.capabilities
                while not stop.is_set():
                    poll_once(database, settings, mailbox)
                    if idle:
                        mailbox.idle.wait(timeout=settings.email_poll_seconds)
                    else:
                        stop.wait(settings.email_poll_seconds)
        except Exception:  # server down, network gone: log, wait, reconnect
            log.exception("IMAP reader failed; reconnecting")
            stop.wait(min(60, settings.email_poll_seconds))


# Mailgun ------------------------------------------------------------------------------


def mailgun_signature_ok(form: dict[str, str], signing_key: str, now: float) -> bool:
    timestamp, token = form.get("timestamp", ""), form.get("token", "")
    fresh = timestamp.isascii() and timestamp.isdigit()
    if not fresh or abs(now - int(timestamp)) > MAILGUN_MAX_AGE_SECONDS:
        return False
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), form.get("signature", ""))


def mailgun_headers(form: dict[str, str]) -> Message:
    try:
        pairs = json.loads(form.get("message-headers") or "[]")
        headers = EmailMessage(policy=email.policy.compat32)
        for name, value in pairs:
            headers[str(name)] = str(value)
    except (ValueError, TypeError) as exc:
        raise BadRequest("message-headers is not a JSON list of [name, value] pairs") from exc
    if "From" not in headers:
        headers["From"] = form.get("from") or form.get("sender", "")
    return headers


class ReplayedToken(Exception):
    """A Mailgun token seen before: a captured request sent again, maybe with another body."""


def remember_token(token: str) -> Callable[[Session], None]:
    """Record `token` in the caller's transaction; ReplayedToken if it was used already.

    Tokens are kept for twice the signature's lifetime, enough to outlive any
    timestamp that would still pass the freshness check. Two prebuilt statements (the
    ORM's delete, savepoint and flush cost twice what storing the mail did). The delete
    picks the expired tokens by `seen_at` alone, on its index: with the provider in the
    condition SQLite read every Mailgun token through the (provider, token) index, 7 ms a
    mail with the 20,000 a busy half hour keeps (only Mailgun's webhook has tokens).
    """

    def remember(session: Session) -> None:
        now = clock.now(session)
        session.execute(FORGET_TOKENS, {"before": now - TOKEN_LIFETIME})
        if session.execute(_REMEMBER_TOKEN, {"token": token, "now": now}).first() is None:
            raise ReplayedToken(token)

    return remember


TOKEN_LIFETIME = 2 * timedelta(seconds=MAILGUN_MAX_AGE_SECONDS)
FORGET_TOKENS = text("DELETE FROM webhook_tokens WHERE seen_at < :before").bindparams(
    bindparam("before", type_=UTCDateTime)
)
_REMEMBER_TOKEN = text(
    "INSERT INTO webhook_tokens (provider, token, seen_at) VALUES ('mailgun', :token, :now)"
    " ON CONFLICT (provider, token) DO NOTHING RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime))


@bp.post("/webhooks/email/inbound")
def mailgun_inbound() -> Response:
    config = settings()
    if not config.mailgun_signing_key:
        abort(404)
    request.max_content_length = MAILGUN_MAX_REQUEST_BYTES
    request.max_form_memory_size = MAILGUN_MAX_FIELD_BYTES
    form = strict_form(request)
    if not mailgun_signature_ok(
        form, config.mailgun_signing_key, clock.now(database()).timestamp()
    ):
        abort(403)
    remember = remember_token(form.get("token", ""))
    headers = mailgun_headers(form)
    try:
        try:
            inbound = to_inbound(
                headers,
                form.get("body-plain", ""),
                form.get("body-html", ""),
                authserv_id=config.email_authserv_id,
                fallback_id=json.dumps(form, sort_keys=True).encode(),
                has_attachments=form.get("attachment-count", "0") not in ("", "0"),
            )
        except Bounce as bounce:
            record_bounce(database(), bounce, within=remember)
            return Response(status=200)
        except Unusable as exc:
            with database().transaction() as session:
                remember(session)  # or the same token could come back with a usable body
            raise BadRequest(str(exc)) from exc
        # The token is stored with the message: if storing fails, Mailgun's retry is welcome.
        intake.accept(database(), inbound, within=remember)
    except ReplayedToken:
        abort(403)
    return Response(status=200)
