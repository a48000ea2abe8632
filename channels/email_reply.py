"""The customer's new words in an email reply, without the quoted history.

A reply usually carries the shop's earlier mail ("Cancel order #10002? Reply YES"); if
the bot read it, it would answer about the quoted order instead of the one asked about.
mail-parser-reply knows the attribution lines and header blocks of the common clients
in many languages ("On … wrote:", "Le … a écrit :", "Am … schrieb …:", "2026年12月1日
(月) 10:02 … <…>:", Outlook's From/Sent block, "-----Original Message-----"). Two shapes
it misses are handled after it: an attribution it does not know, or one the client
wrapped over two lines, right before a block of ">" lines; and words written between
or below quoted lines ("bottom-posting").
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

# Every language the library knows; "david" is one vendor's gateway banner, not a language.
LANGUAGES = [language for language in MAIL_LANGUAGES if language != "david"]
QUOTED_LINE = re.compile(r"^\s*>")
# An attribution line names when or who (a digit of the date, an address) or says
# "… wrote:" in one of the usual languages.
ATTRIBUTION_FACT = re.compile(
    r"[\d@]|\b(?:wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|skrev|napisał)\s*:$",
    re.IGNORECASE,
)
# What html2text leaves of a horizontal rule between the reply and the quoted mail.
RULE_LINE = re.compile(r"^[\s*_=-]*$")
# The tail of an attribution wrapped onto its own short line ("écrit :", "wrote:").
WRAPPED_TAIL_MAX = 30


def new_words(text: str) -> str:
    """The reply without the quoted history and the signature."""
    # Clients that send format=flowed end lines with a space; the attribution
    # patterns expect the colon at the end of the line.
    text = "\n".join(line.rstrip() for line in text.splitlines())
    replies = EmailReplyParser(languages=LANGUAGES).read(text=text).replies
    first = (replies[0].body or replies[0].content or "") if replies else text
    lines = _without_quoted_lines(first.split("\n"))
    while lines and RULE_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).strip()


def _without_quoted_lines(lines: list[str]) -> list[str]:
    """Drop ">" lines, and the attribution line(s) just before each quoted block."""
    kept: list[str] = []
    for line in lines:
        if QUOTED_LINE.match(line):
            _drop_attribution(kept)
            continue
        kept.append(line)
    return kept


def _drop_attribution(kept: list[str]) -> None:
    while kept and not kept[-1].strip():
        kept.pop()
    if not kept or not kept[-1].endswith(":"):
        return
    last = kept[-1]
    if ATTRIBUTION_FACT.search(last):
        kept.pop()
    elif len(kept) >= 2 and len(last) <= WRAPPED_TAIL_MAX and ATTRIBUTION_FACT.search(kept[-2]):
        del kept[-2:]
