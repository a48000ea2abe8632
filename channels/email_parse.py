"""An email (from IMAP or the Mailgun hook) as an InboundMessage.

The text the bot reads is the customer's new words only: HTML turned to text,
quoted history and signatures cut off with mail-parser-reply. Auto-replies,
bounces and list mail are stored but flagged so they are never answered (two
auto-responders answering each other forever is the classic email loop). A From
header proves nothing; `verified` is true only when our own receiving server's
Authentication-Results says DMARC passed for the From domain.
"""

from __future__ import annotations

import hashlib
import re
from email.message import Message
from email.utils import parseaddr

import html2text
from mailparser_reply import EmailReplyParser

from channels.inbound import AUTO_REPLY, MAX_TEXT, InboundMessage
from orders.customers import normalise_identity
from orders.errors import ValidationFailed

ROBOT_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
SUPPRESS = {"all", "autoreply", "oof"}
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class Unusable(Exception):
    """A mail with no usable sender address; skipped, never answered."""


def is_automatic(headers: Message) -> bool:
    """RFC 3834 and the usual vendor headers: out-of-office, bounce, list, robot."""
    auto_submitted = (headers.get("Auto-Submitted") or "no").strip().lower()
    precedence = (headers.get("Precedence") or "").strip().lower()
    suppress = {
        part.strip().lower() for part in (headers.get("X-Auto-Response-Suppress") or "").split(",")
    }
    sender = parseaddr(headers.get("From") or "")[1].lower()
    return_path = (headers.get("Return-Path") or "").strip()
    return (
        auto_submitted != "no"
        or precedence in BULK_PRECEDENCE
        or bool(suppress & SUPPRESS)
        or any(
            headers.get(h) for h in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")
        )
        or sender.split("@")[0] in ROBOT_SENDERS
        or return_path == "<>"
        or headers.get_content_type() == "multipart/report"
    )


def sender_verified(headers: Message, authserv_id: str, sender: str) -> bool:
    """DMARC pass for the sender's domain in the topmost Authentication-Results, and only
    if our receiving server (authserv_id) wrote it: anyone can add such a header lower down."""
    if not authserv_id:
        return False
    results = headers.get_all("Authentication-Results") or []
    if not results:
        return False
    server, _, rest = str(results[0]).partition(";")
    if server.lower().split()[:1] != [authserv_id.lower()]:
        return False
    domain = sender.rpartition("@")[2].lower()
    return any(
        re.search(r"\bdmarc\s*=\s*pass\b", clause, re.I)
        and re.search(rf"\bheader\.from\s*=\s*{re.escape(domain)}\b", clause, re.I)
        for clause in rest.split(";")
    )


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_links = True
    converter.body_width = 0
    return converter.handle(html)


def new_words(text: str) -> str:
    """The reply without the quoted history and the signature."""
    replies = EmailReplyParser(languages=["en"]).read(text=text).replies
    if not replies:
        return text.strip()
    first = replies[0]
    return (first.body or first.content or "").strip()


def to_inbound(
    headers: Message, plain: str, html: str, *, authserv_id: str, fallback_id: bytes
) -> InboundMessage:
    """Build the message; `fallback_id` hashes into an id when Message-ID is missing."""
    name, sender = parseaddr(headers.get("From") or "")
    try:
        address = normalise_identity("email", sender)
    except ValidationFailed as exc:
        raise Unusable(f"no usable sender address in {headers.get('From')!r}") from exc
    subject = " ".join(str(headers.get("Subject") or "").split())
    body = new_words(plain if plain.strip() else html_to_text(html)) or subject
    message_id = (headers.get("Message-ID") or "").strip()
    references = MESSAGE_ID.findall(str(headers.get("References") or ""))[-20:]
    return InboundMessage(
        channel="email",
        address=address,
        text=body[:MAX_TEXT],
        provider_id=message_id[:255] or "sha256:" + hashlib.sha256(fallback_id).hexdigest(),
        identity=("email", address),
        name=name[:200],
        verified=sender_verified(headers, authserv_id, address),
        command=AUTO_REPLY if is_automatic(headers) else None,
        extra={
            "subject": subject[:500],
            "references": " ".join(references),
        },
    )
