"""Split a long reply into parts on sentence boundaries (SMS has a length limit)."""

from __future__ import annotations

import re
from collections.abc import Callable

# A sentence end or a line break, captured: a part keeps the line breaks of a list.
SENTENCE_END = re.compile(r"([ \t]*\n+[ \t]*|(?<=[.!?])[ \t]+)")


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` (measured by `length`), cut between sentences or lines
    where possible; a part keeps the line breaks between the lines it holds.

    A single sentence longer than `limit` is cut between words, and a single word
    longer than that is cut hard, so every part fits.
    """
    text = text.strip()
    if length(text) <= limit:
        return [text] if text else []
    pieces = SENTENCE_END.split(text)
    parts: list[str] = []
    current = ""
    for sentence, gap in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
        for piece in _fit(sentence.strip(), limit, length):
            candidate = f"{current}{piece}"
            if length(candidate) <= limit:
                current = candidate
            else:
                parts.append(current.rstrip())
                current = piece
            current += " "
        if current and "\n" in gap:
            current = current.rstrip() + "\n"
    if current.strip():
        parts.append(current.rstrip())
    return [part for part in parts if part]


def _fit(sentence: str, limit: int, length: Callable[[str], int]) -> list[str]:
    if length(sentence) <= limit:
        return [sentence] if sentence else []
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        while length(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = _longest_prefix(word, limit, length)
            pieces.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if length(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def _longest_prefix(word: str, limit: int, length: Callable[[str], int]) -> int:
    cut = min(len(word), limit)
    while cut > 1 and length(word[:cut]) > limit:
        cut -= 1
    return cut
