"""The learned part of intent classification: a linear model over word n-grams.

TF-IDF (sublinear term frequency, L2-normalised) and multinomial logistic regression,
trained by ``bot/nlu/train.py`` with scikit-learn and stored as plain numbers in
``intent_model.json``. Scoring here is a few dictionary look-ups and a softmax, so the
product needs neither scikit-learn nor the training data at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .text import words

MODEL_PATH = Path(__file__).with_name("intent_model.json")
KNOWN_WORDS_PATH = Path(__file__).with_name("known_words.txt")


def features(text: str) -> dict[str, int]:
    """Word unigrams and bigrams (with start and end marks), numbers as one token.

    The marks let a short message such as "roger" or "no" weigh differently from the
    same word inside a longer one.
    """
    tokens = ["<s>", *("<num>" if any(c.isdigit() for c in w) else w for w in words(text)), "</s>"]
    counts: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if 0 < i < len(tokens) - 1:
            counts[token] = counts.get(token, 0) + 1
        if i:
            bigram = f"{tokens[i - 1]} {token}"
            counts[bigram] = counts.get(bigram, 0) + 1
    return counts


@dataclass(frozen=True)
class IntentModel:
    """``weights[feature]`` is (idf, ((intent index, weight), ...)); ``bias`` per intent.

    ``shop_words`` are the words of the training messages about a shop's business (every
    intent but out_of_scope): the language customers use with a shop (see
    ``intents.foreign_words``)."""

    intents: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, tuple[tuple[int, float], ...]]]
    shop_words: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, data: dict) -> IntentModel:
        weights = {
            feature: (idf, tuple((int(k), float(w)) for k, w in pairs))
            for feature, (idf, pairs) in data["weights"].items()
        }
        return cls(
            tuple(data["intents"]),
            tuple(data["bias"]),
            weights,
            frozenset(data.get("shop_words", ())),
        )

    def to_json(self) -> dict:
        return {
            "intents": list(self.intents),
            "bias": list(self.bias),
            "shop_words": sorted(self.shop_words),
            "weights": {
                f: [idf, [list(p) for p in pairs]]
                for f, (idf, pairs) in sorted(self.weights.items())
            },
        }

    def probabilities(self, text: str) -> dict[str, float]:
        """Each intent's probability; words the model never saw count for nothing."""
        known = {
            f: (1.0 + math.log(n)) * self.weights[f][0]
            for f, n in features(text).items()
            if f in self.weights
        }
        norm = math.sqrt(sum(v * v for v in known.values())) or 1.0
        logits = list(self.bias)
        for f, value in known.items():
            for k, w in self.weights[f][1]:
                logits[k] += w * value / norm
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {intent: e / total for intent, e in zip(self.intents, exps, strict=True)}


@lru_cache(maxsize=1)
def shipped_model() -> IntentModel:
    with open(MODEL_PATH, encoding="utf-8") as fh:
        return IntentModel.from_json(json.load(fh))


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Words that occur in the training messages (``train.py`` writes them): real words,
    which typo correction must leave alone ("meeting" is not a misspelt "deleting")."""
    return frozenset(KNOWN_WORDS_PATH.read_text(encoding="utf-8").split())
