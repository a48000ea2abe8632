"""Train the intent model and write ``bot/nlu/intent_model.json``.

Run from the repo root: ``python -m bot.nlu.train`` (a few seconds). It trains on the
"tune" part of every source in ``bot/nlu/corpus.py`` and never on a held-out part.
The result is deterministic: the same data and scikit-learn version (pinned in
requirements-dev.txt) give the same file, byte for byte. scikit-learn is needed here and
in the bench only; the product reads the JSON (see ``bot/nlu/learned.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from . import corpus
from .learned import KNOWN_WORDS_PATH, MODEL_PATH, IntentModel, features
from .text import words

# Chosen with bench/nlu.py on tune splits only (trained on one source, scored on the
# other's tune split): stronger regularisation generalised better across sources.
C = 4.0
CLASS_WEIGHT: str | None = "balanced"
SOURCE_WEIGHT = {"shop": 1.0}
MIN_DOCUMENTS = 2  # an n-gram seen in one message only is noise, and bytes
PRECISION = 2  # decimals kept in the JSON
# Weights nearer zero than this are dropped: they move no prediction measurably (see the
# bench) and would make the file ten times larger.
MIN_WEIGHT = 0.1


def training_set(sources: Iterable[str] = ("bitext", "hwu64", "shop")) -> list[corpus.Example]:
    """The tune part of the named sources. Shop-chat rows that answer a question the bot
    asked ("2" after "how many?") mean something only in that context, so they are left
    to the rules."""
    loaders = {"bitext": corpus.bitext, "hwu64": corpus.hwu64, "shop": corpus.shop_chat}
    return [ex for name in sources for ex in loaders[name]("tune") if ex.expecting is None]


def fit(
    examples: list[corpus.Example],
    c: float = C,
    class_weight: str | None = CLASS_WEIGHT,
    source_weight: dict[str, float] | None = None,
) -> IntentModel:
    docs = [features(ex.text) for ex in examples]
    seen = Counter(f for doc in docs for f in doc)
    docs = [{f: n for f, n in doc.items() if seen[f] >= MIN_DOCUMENTS} for doc in docs]
    vectoriser = DictVectorizer(sort=True)
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(vectoriser.fit_transform(docs))
    weights_by_source = SOURCE_WEIGHT if source_weight is None else source_weight
    classifier = LogisticRegression(C=c, class_weight=class_weight, max_iter=2000)
    classifier.fit(
        x,
        [ex.intent for ex in examples],
        sample_weight=[weights_by_source.get(ex.source, 1.0) for ex in examples],
    )
    names = vectoriser.get_feature_names_out()
    weights = {}
    for j, name in enumerate(names):
        pairs = tuple(
            (k, round(float(w), PRECISION))
            for k, w in enumerate(classifier.coef_[:, j])
            if abs(w) >= MIN_WEIGHT
        )
        if pairs:
            weights[str(name)] = (round(float(tfidf.idf_[j]), PRECISION), pairs)
    return IntentModel(
        tuple(str(c) for c in classifier.classes_),
        tuple(round(float(b), PRECISION) for b in classifier.intercept_),
        weights,
        shop_words(examples),
    )


def shop_words(examples: list[corpus.Example]) -> frozenset[str]:
    """The alphabetic words of the messages about the shop's business (every intent but
    out_of_scope): what a message that names nothing of the shop may say and still be read
    as a request to change an order ("pls cancel", "add 2 more"); see
    ``intents.foreign_words``."""
    return frozenset(
        w for ex in examples if ex.intent != "out_of_scope" for w in words(ex.text) if w.isalpha()
    )


def known_words(examples: list[corpus.Example]) -> list[str]:
    """Alphabetic words seen at least MIN_DOCUMENTS times: real words, not typos."""
    seen = Counter(w for ex in examples for w in set(words(ex.text)) if w.isalpha())
    return sorted(w for w, n in seen.items() if n >= MIN_DOCUMENTS)


def main() -> None:
    examples = training_set()
    KNOWN_WORDS_PATH.write_text("\n".join(known_words(examples)) + "\n", encoding="utf-8")
    model = fit(examples)
    text = json.dumps(model.to_json(), separators=(",", ":"), sort_keys=True)
    MODEL_PATH.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({len(text):,} bytes, {len(model.weights):,} n-grams)")


if __name__ == "__main__":
    main()
