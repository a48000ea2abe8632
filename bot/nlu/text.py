"""Text normalisation and tokenisation that keeps character offsets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A measure such as "250g", "250 g", "1.5kg" or "2 litres" is one token, written the
# short way ("2l"), so sizes match catalogue names. "2 m" stays two words (a size M).
_MEASURES = {
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogram", "kilograms"), "kg"),
    **dict.fromkeys(("g", "gr", "gram", "grams"), "g"),
    **dict.fromkeys(("ml", "millilitre", "millilitres", "milliliter", "milliliters"), "ml"),
    **dict.fromkeys(("l", "ltr", "litre", "litres", "liter", "liters"), "l"),
    **dict.fromkeys(("oz", "ounce", "ounces"), "oz"),
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), "lb"),
    **dict.fromkeys(("cm", "mm"), None),
    **dict.fromkeys(("m", "metre", "metres", "meter", "meters"), "m"),
}
# A dimension ("4x40mm") is read without its unit, as customers say it ("4x40"); a
# decimal ("1.5") stays one token.
_TOKEN_RE = re.compile(
    r"[a-z][a-z0-9]*(?:'[a-z]+)?"
    r"|(?P<number>\d+(?:\.\d+)?)(?:\s?(?P<unit>"
    + "|".join(sorted(set(_MEASURES) - {"m"}, key=len, reverse=True))
    + r")|(?P<metre>m))\b|\d+(?:\.\d+)?x\d+(?:\.\d+)?(?=mm\b|cm\b|m\b|\b)|\d+\.\d+\b"
    r"|[0-9][a-z0-9]*(?:'[a-z]+)?",
)

# How the intent rules and model split words ("250 g" -> "250g"; nothing else joined).
_WORD_RE = re.compile(r"\d+(?:\.\d+)?\s?(?:kg|g|ml|l|oz)\b|[a-z0-9]+(?:'[a-z]+)?")

# SMS shorthand and contractions -> plain words. Applied token by token.
SHORTHAND: dict[str, str] = {
    "u": "you",
    "r": "are",
    "ur": "your",
    "yr": "your",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "thanx": "thanks",
    "ty": "thanks",
    "tq": "thanks",
    "wheres": "where is",
    "where's": "where is",
    # SMS shorthand: "wer is my ordr", "wen is it rdy" (more below)
    "wer": "where",
    "whr": "where",
    "wen": "when",
    "rdy": "ready",
    "abt": "about",
    "hav": "have",
    "cud": "could",
    "wud": "would",
    "shud": "should",
    "tdy": "today",
    "2morrow": "tomorrow",
    "tmr": "tomorrow",
    "wat": "what",
    "wot": "what",
    "wut": "what",
    "whats": "what is",
    "what's": "what is",
    "hows": "how is",
    "how's": "how is",
    "dont": "do not",
    "don't": "do not",
    "doesnt": "does not",
    "doesn't": "does not",
    "didnt": "did not",
    "didn't": "did not",
    "havent": "have not",
    "haven't": "have not",
    "hasnt": "has not",
    "hasn't": "has not",
    "cant": "can not",
    "can't": "can not",
    "cannot": "can not",
    "wont": "will not",
    "won't": "will not",
    "isnt": "is not",
    "arent": "are not",
    "aren't": "are not",
    "wasnt": "was not",
    "wasn't": "was not",
    "werent": "were not",
    "weren't": "were not",
    "couldnt": "could not",
    "couldn't": "could not",
    "wouldnt": "would not",
    "wouldn't": "would not",
    "shouldnt": "should not",
    "shouldn't": "should not",
    "isn't": "is not",
    "aint": "is not",
    "im": "i am",
    "i'm": "i am",
    "i'd": "i would",
    "it's": "it is",
    "let's": "let us",
    "thats": "that is",
    "that's": "that is",
    "that'll": "that will",
    "thatll": "that will",
    "there's": "there is",
    "you're": "you are",
    "youre": "you are",
    "we're": "we are",
    "they're": "they are",
    "i'll": "i will",
    "you'll": "you will",
    "it'll": "it will",
    "ive": "i have",
    "i've": "i have",
    "we've": "we have",
    "you've": "you have",
    "gtg": "got to go",
    "g2g": "got to go",
    "ttyl": "talk to you later",
    "ttfn": "bye for now",
    "thru": "through",
    "tho": "though",
    "cuz": "because",
    "coz": "because",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "gimme": "give me",
    "lemme": "let me",
    "b4": "before",
    "2day": "today",
    "2moro": "tomorrow",
    "tmrw": "tomorrow",
    "msg": "message",
    "ppl": "people",
    "asap": "soon",
    "ya": "you",
    "ye": "yes",
    "yea": "yeah",
    "k": "ok",
    "kk": "ok",
    "okay": "ok",
    "okey": "ok",
    "okie": "ok",
    "yh": "yeah",
    "yas": "yes",
    "yass": "yes",
    "g'day": "good day",
    "gday": "good day",
}

# Emoji that say a word: a thumbs-up answers "shall I place it?" as "ok" does.
EMOJI_WORDS: dict[str, str] = {
    **dict.fromkeys("\U0001f44d\U0001f44c\u2705\u2714\u2611\U0001f197", "ok"),
    **dict.fromkeys("\U0001f44e\u274c\u2716\U0001f6ab", "no"),
    **dict.fromkeys("\U0001f64f", "thanks"),
}
_EMOJI_RE = re.compile("|".join(map(re.escape, EMOJI_WORDS)))
# Alone, at a yes-or-no question, these say yes or no: the emoji above that say "ok" or
# "no", and smiles and applause, which say no word of their own.
_YES_SIGNS = frozenset(e for e, w in EMOJI_WORDS.items() if w == "ok") | frozenset(
    "\U0001f642\U0001f600\U0001f60a\U0001f44f\U0001f64c\U0001f4af"
)
_NO_SIGNS = frozenset(e for e, w in EMOJI_WORDS.items() if w == "no")
# Joiners, variation selectors and skin tones add nothing to a sign.
_MODIFIERS = re.compile("[\ufe0f\u200d\U0001f3fb-\U0001f3ff\\s]")


def emoji_answer(text: str) -> str | None:
    """ "affirm" or "deny" for a message of emoji alone that say yes or no ("👍", "❌"),
    else None."""
    signs = set(_MODIFIERS.sub("", text))
    if signs and signs <= _YES_SIGNS:
        return "affirm"
    if signs and signs <= _NO_SIGNS:
        return "deny"
    return None


@dataclass(frozen=True)
class Token:
    """A lower-cased token and its span in the original text."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lower-case and strip accents, one character for one, so offsets stay valid."""
    if text.isascii():
        return text.lower()
    chars = []
    for ch in text:
        if ch == "\u2019":
            ch = "'"
        elif ord(ch) > 127:
            ch = unicodedata.normalize("NFKD", ch)[0]
        low = ch.lower()
        chars.append(low if len(low) == 1 else ch)
    return "".join(chars)


def measure_unit(word: str) -> str | None:
    """The short form of a measure word: "metres" -> "m", "kilos" -> "kg"."""
    return (_MEASURES[word] or word) if word in _MEASURES else None


def tokenize(text: str) -> list[Token]:
    folded = fold(text)
    tokens = []
    for m in _TOKEN_RE.finditer(folded):
        text = m.group()
        if m.lastgroup in ("unit", "metre"):  # a measure: "2 litres" -> "2l"
            unit = m.group("unit") or "m"
            text = m.group("number") + (_MEASURES[unit] or unit)
        tokens.append(Token(text, m.start(), m.end()))
    return tokens


def words(text: str) -> list[str]:
    """Plain lower-case words with shorthand expanded, for keyword rules and the intent
    model, which was trained on words split this way (measures are not normalised)."""
    out: list[str] = []
    folded = _EMOJI_RE.sub(lambda m: f" {EMOJI_WORDS[m.group()]} ", fold(text))
    for match in _WORD_RE.finditer(folded):
        word = match.group().replace(" ", "")
        if word not in SHORTHAND and word.endswith("'s"):
            word = word[:-2]  # "my refund's been done", "the order's status"
        out.extend(SHORTHAND.get(word, word).split())
    return out


def wordset(spaced: str) -> frozenset[str]:
    """A set of words written as one space-separated string (keeps long lists readable)."""
    return frozenset(spaced.split())
