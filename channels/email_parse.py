"""An email (from IMAP or the Mailgun hook) as an InboundMessage.

The text the bot reads is the customer's new words only: HTML turned to text,
quoted history and signatures cut off (`channels.email_reply`), at most MAX_TEXT
characters of it; a mail with no words (only attachments or pictures) gets the polite
"I can only read text". Auto-replies and list mail are stored but flagged so they are
never answered (two auto-responders answering each other forever is the classic email
loop). A bounce is no customer's message: it names the addresses that failed, which
are marked unreachable, and nothing else is kept. A From
header proves nothing; `verified` is true only when our own receiving server's
Authentication-Results (parsed with authres) says DMARC passed for the From domain.
"""

from __future__ import annotations

import hashlib
import re
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr

import authres
import html2text

from channels.email_reply import new_words
from conversations.inbound import AUTO_REPLY, MAX_TEXT, MEDIA_ONLY, InboundMessage
from orders.customers import normalise_identity
from orders.errors import ValidationFailed

BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
ROBOT_SENDERS = (*BOUNCE_SENDERS, "noreply", "no-reply", "donotreply")
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
SUPPRESS = {"all", "autoreply", "oof"}
MESSAGE_ID = re.compile(r"<[^<>]+>")
# Line breaks, other control characters and spaces: none belongs in a message id, and
# one stored there would break every later reply's In-Reply-To / References header.
NOT_IN_AN_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


class Unusable(Exception):
    """A mail with no usable sender address; skipped, never answered."""


class Bounce(Exception):
    """A delivery failure report; `addresses` are the recipients that failed for good."""

    def __init__(self, addresses: list[str]) -> None:
        super().__init__(f"bounce for {', '.join(addresses) or 'no address we know'}")
        self.addresses = addresses


def is_bounce(headers: Message) -> bool:
    sender = parseaddr(headers.get("From") or "")[1].lower()
    return sender.split("@")[0] in BOUNCE_SENDERS or (
        headers.get_content_type() == "multipart/report"
        and (headers.get_param("report-type") or "").lower() == "delivery-status"
    )


def bounced_addresses(mail: Message) -> list[str]:
    """The recipients a bounce says failed permanently.

    From the RFC 3464 report (`Action: failed`, a 5.x.x `Status`) where the mail has
    one, and from the `X-Failed-Recipients` header that Exim and Gmail add.
    """
    found = [
        address
        for value in mail.get_all("X-Failed-Recipients") or []
        for address in str(value).split(",")
    ]
    for part in mail.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload() or []:
            status = str(block.get("Status") or "").strip()
            if str(block.get("Action") or "").strip().lower() == "failed" and status[:1] == "5":
                found.append(str(block.get("Final-Recipient") or "").rpartition(";")[2])
    addresses: list[str] = []
    for candidate in found:
        try:
            address = normalise_identity("email", candidate.strip())
        except ValidationFailed:
            continue
        if address not in addresses:
            addresses.append(address)
    return addresses


def decoded_header(value: object) -> str:
    """A header's text with RFC 2047 words decoded ("=?utf-8?q?...?=" -> "..."), on one line."""
    try:
        text = str(make_header(decode_header(str(value or ""))))
    except (UnicodeError, LookupError, HeaderParseError):
        text = str(value or "")
    return " ".join(text.split())


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


def _our_results(headers: Message, authserv_id: str) -> authres.AuthenticationResultsHeader | None:
    """The topmost Authentication-Results our receiving server (`authserv_id`) wrote.

    Headers with any other authserv-id, above or below it, are another hop's or the
    sender's own words and are ignored; so is one that does not parse (RFC 8601). Our
    server must remove incoming headers that claim its id, as RFC 8601 asks.
    """
    for value in headers.get_all("Authentication-Results") or []:
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(str(value))
        except authres.AuthResError:
            continue
        if (parsed.authserv_id or "").lower() == authserv_id.lower():
            return parsed
    return None


def sender_verified(headers: Message, authserv_id: str, sender: str) -> bool:
    """True if our receiving server found a DMARC pass for exactly the From domain.

    Exactly: `header.from=example.com.evil.net` proves nothing about example.com.
    """
    ours = _our_results(headers, authserv_id) if authserv_id else None
    if ours is None:
        return False
    domain = sender.rpartition("@")[2].lower()
    return any(
        result.method.lower() == "dmarc"
        and result.result.lower() == "pass"
        and any(
            (prop.type, prop.name) == ("header", "from") and prop.value.lower() == domain
            for prop in result.properties
        )
        for result in ours.results
    )


def id_header(headers: Message, name: str) -> str:
    """A Message-ID, In-Reply-To or References header without the line breaks, control
    characters and spaces a sender may have put in it."""
    return NOT_IN_AN_ID.sub("", str(headers.get(name) or ""))


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_links = True
    converter.body_width = 0
    return converter.handle(html)


def to_inbound(
    headers: Message,
    plain: str,
    html: str,
    *,
    authserv_id: str,
    fallback_id: bytes,
    has_attachments: bool = False,
) -> InboundMessage:
    """Build the message; `fallback_id` hashes into an id when Message-ID is missing.

    Raises Bounce for a delivery failure report, Unusable for a mail with no sender.
    """
    if is_bounce(headers):
        raise Bounce(bounced_addresses(headers))
    raw_name, sender = parseaddr(str(headers.get("From") or ""))
    name = decoded_header(raw_name)
    try:
        address = normalise_identity("email", sender)
    except ValidationFailed as exc:
        raise Unusable(f"no usable sender address in {headers.get('From')!r}") from exc
    subject = decoded_header(headers.get("Subject"))
    words = new_words(plain if plain.strip() else html_to_text(html))
    if not words and not has_attachments:
        words = subject  # the whole question in the subject line
    message_id = id_header(headers, "Message-ID")
    message_id = next(iter(MESSAGE_ID.findall(message_id)), message_id)
    references = MESSAGE_ID.findall(id_header(headers, "References")) or MESSAGE_ID.findall(
        id_header(headers, "In-Reply-To")
    )
    return InboundMessage(
        channel="email",
        address=address,
        text=words[:MAX_TEXT],
        provider_id=message_id[:255] or "sha256:" + hashlib.sha256(fallback_id).hexdigest(),
        identity=("email", address),
        name=name[:200],
        verified=sender_verified(headers, authserv_id, address),
        command=AUTO_REPLY if is_automatic(headers) else None if words else MEDIA_ONLY,
        extra={
            "subject": subject[:500],
            "references": " ".join(references[-20:]),
        },
    )
