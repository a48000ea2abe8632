"""Reading a customer's answer to "Whose name should the order be under?".

People answer with the name alone ("Sam"), in a sentence ("it's Sam Lee", "put it under
Sam"), in lower case ("sam lee"), or decline ("skip", "rather not"). Anything that
reads as a question or a request instead is not a name, and the flow hears it as such.
"""

from __future__ import annotations

import re

MAX_NAME_WORDS = 4
MAX_NAME_LENGTH = 60

DECLINE = re.compile(
    r"^(?:no|nope|nah|none|pass|i ll pass|skip(?: it| that)?|no name|no need|no thanks?|"
    r"no thank you|(?:i )?(?:d |would )?(?:rather|prefer) not(?: to)?(?: say| give it| tell)?|"
    r"not telling|(?:it )?(?:doesn t|does not) matter|don t need one|leave it(?: blank)?)$"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# What people put before and after a name: "ok it's Sam", "put it under Sam Lee, thanks".
_INTERJECTIONS = _words("ok okay sure yes yeah yep actually oh hi hello hey um uh so well")
_LEADS = sorted(
    (
        tuple(phrase.split())
        for phrase in (
            "it's",
            "its",
            "it is",
            "it'll be",
            "it will be",
            "that's",
            "thats",
            "that is",
            "this is",
            "my name is",
            "my name's",
            "name is",
            "name's",
            "the name is",
            "name",
            "i'm",
            "im",
            "i am",
            "call me",
            "put it under",
            "put it in",
            "put it down as",
            "under",
            "under the name",
            "under the name of",
            "in the name of",
            "for",
        )
    ),
    key=len,
    reverse=True,
)
_TRAILS = (("thank", "you"), ("please",), ("pls",), ("thanks",), ("thx",), ("ty",))
# A word that starts a question or a request is not the start of a name.
_NOT_NAMES = _words(
    "what when where why how who which can could would will do does did is are am was "
    "the a an my your you me we i it this that there here order orders store open "
    "hours cancel track return deliver delivery pickup pick collect help human person "
    "agent not dont don't yes no ok okay thanks hello hi hey"
)
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def declines(text: str) -> bool:
    """ "no", "skip", "rather not", "I'd rather not say": no name for this order."""
    plain = " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("'", " ")).split())
    return bool(DECLINE.match(plain))


def read_name(text: str) -> str | None:
    """The name in an answer, as people write names ("sam lee" -> "Sam Lee"), or None
    when the answer does not read as a name."""
    if "?" in text or len(text) > MAX_NAME_LENGTH * 2:
        return None
    words = [w.replace("’", "'") for w in _WORD.findall(text)]
    lower = [w.lower() for w in words]
    start = 0
    while start < len(lower) and lower[start] in _INTERJECTIONS:
        start += 1
    lead = next((p for p in _LEADS if tuple(lower[start : start + len(p)]) == p), ())
    start += len(lead)
    end = len(words)
    while trail := next((t for t in _TRAILS if tuple(lower[end - len(t) : end]) == t), None):
        end -= len(trail)
    name_words = words[start:end]
    if not 1 <= len(name_words) <= MAX_NAME_WORDS or lower[start] in _NOT_NAMES:
        return None
    if any(ch.isdigit() for w in name_words for ch in w):
        return None
    name = " ".join(name_words)
    if name == name.lower() or name == name.upper():
        name = " ".join(_capitalised(w) for w in name_words)
    return name[:MAX_NAME_LENGTH]


def _capitalised(word: str) -> str:
    """ "o'brien" -> "O'Brien", "garcia-lopez" -> "Garcia-Lopez"."""
    return re.sub(r"(^|['\-])(\w)", lambda m: m.group(1) + m.group(2).upper(), word.lower())
