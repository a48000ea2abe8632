"""The entry points: parse one message, or a stream of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from . import clauses
from .catalog import CatalogIndex
from .entities import extract
from .hybrid import STATE_CHANGING
from .intents import classify, normalise
from .learned import IntentModel, shipped_model
from .models import ParseContext, ParseResult
from .operations import cues
from .text import tokenize

# Below this the bot asks instead of acting. Chosen with bench/nlu.py on the tune split
# of the Bitext data (pick_threshold: the band just above it is >= 90% accurate).
CONFIDENCE_THRESHOLD = 0.65
# What a message with several requests is mainly about: something done, not a question.
_ACTS = STATE_CHANGING | {"complaint", "human_agent"}

_ABORT_RE = re.compile(
    r"^(?:(?:oh |ok |no |actually |please |pls )*(?:stop|never mind|nevermind|nvm|forget it|"
    r"forget (?:about )?(?:it|that)|cancel (?:that|this)|scratch that|abort|quit|exit|"
    r"leave it|skip (?:it|that)|don t bother|do not bother|start over|restart))"
    r"(?: please| thanks| then| it| that)*[.!]*$"
)


def parse(
    text: str,
    catalog: CatalogIndex,
    context: ParseContext | None = None,
    model: IntentModel | None = shipped_model(),  # noqa: B008 (loaded once, on import)
) -> ParseResult:
    """``model`` is the learned part of intent classification; None means rules alone.

    A message with several requests ("cancel the kettle and what time do you close
    today") has them in ``clauses``, each parsed on its own (``context`` applies to the
    first); its intent is the first one that asks for something to be done (a change, a
    person), else the first question; a hello or thanks beside them is manners. The
    pieces count as requests only
    when each is understood with confidence and they ask different things; otherwise
    the message is one request ("2 kenya beans and a hand grinder").
    """
    whole = _parse_one(text, catalog, context, model)
    pieces = clauses.pieces(text)
    if not pieces:
        return whole
    parts = [
        _parse_one(piece, catalog, context if i == 0 else None, model)
        for i, piece in enumerate(pieces)
    ]
    sure = all(p.confidence >= CONFIDENCE_THRESHOLD and p.intent != "out_of_scope" for p in parts)
    if sure and len({p.intent for p in parts}) == len(parts):
        asked = [p for p in parts if p.intent not in clauses.MANNERS] or parts
        main = next((p for p in asked if p.intent in _ACTS), asked[0])
        whole.intent, whole.confidence, whole.clauses = main.intent, main.confidence, parts
    return whole


def _parse_one(
    text: str, catalog: CatalogIndex, context: ParseContext | None, model: IntentModel | None
) -> ParseResult:
    entities = extract(text, catalog, context)
    operation = None
    if any(e.type in ("product", "quantity") for e in entities):
        found = cues(tokenize(text))
        operation = found[0][1] if found else None
    intent, confidence = classify(
        text, entities, context, operation, model, known=catalog.vocabulary
    )
    norm = normalise(text, catalog.vocabulary)
    return ParseResult(text, intent, confidence, entities, operation, norm)


def is_abort(text: str) -> bool:
    """Whether the customer wants to drop the current question ("never mind", "forget it").

    "cancel that" counts; "cancel my order" or "cancel #10042" does not. SMS "STOP"
    is an opt-out handled by the channel before the message reaches the parser.
    """
    return bool(_ABORT_RE.match(normalise(text)))


def run_stream(lines: Iterable[str], catalog: CatalogIndex) -> Iterator[dict]:
    """One ``to_json()`` per non-empty line, for ``python app.py nlu``."""
    for line in lines:
        text = line.strip()
        if text:
            yield parse(text, catalog).to_json()
