"""The entry points: parse one message, or a stream of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .catalog import CatalogIndex
from .entities import extract
from .intents import classify, normalise
from .learned import IntentModel, shipped_model
from .models import ParseContext, ParseResult
from .operations import cues
from .text import tokenize

# Below this the bot asks instead of acting. Chosen with bench/nlu.py on the tune split
# of the Bitext data (pick_threshold: the band just above it is >= 90% accurate).
CONFIDENCE_THRESHOLD = 0.65

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
    """``model`` is the learned part of intent classification; None means rules alone."""
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
