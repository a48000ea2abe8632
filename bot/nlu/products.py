"""Fuzzy product lookup over an inverted index.

Names and aliases are split into tokens. A message token is matched against the
*vocabulary* of distinct catalogue tokens (exact, plural, then rapidfuzz), which stays
small even for a large catalogue; only products sharing a matched token are scored.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .learned import known_words
from .models import ProductEntry
from .names import NameText
from .numbers import is_measure
from .postings import Postings
from .text import Token, measure_unit, tokenize, wordset
from .variants import size_code

COLOURS = wordset(
    "white black blue red green yellow grey gray pink purple orange brown silver gold "
    "beige navy cream clear"
)
SIZES = wordset("xs s m l xl xxl small medium large mini regular big tall")

# Words too common in messages to identify a product on their own.
GENERIC = (
    COLOURS
    | SIZES
    | wordset(
        "coffee tea over hand set box pack mix hot machine house process travel logo "
        "digital paper maker blend milk steel electric manual bag one cup single "
        "organic new gift"
    )
)
# Never looked up: function words, and words about orders rather than products.
STOPWORDS = wordset(
    """a an the and or of for to in on at by with from my me i you your we our it its
    is are was be been am do does did not no yes please pls can could would will want
    need like get got have has had some any this that these those there here what
    which when where how who why order orders purchase item items thing things
    just also too very more less instead then than one two three four five six seven
    eight nine ten dozen couple few x pickup pick up delivery deliver store shop
    cancel return send sent make change add remove swap buy price much many stock
    so but if as hi hey ok thanks thank still yet all only other another them they
    he she his her him came come arrived broken"""
)

# Score weights: how much of the catalogue phrase is covered vs how much of the mention.
_PRECISION_WEIGHT = 0.6
_MIN_SCORE = 0.55
_CANDIDATE_MARGIN = 0.25
_MAX_CANDIDATES = 4
_VARIANT_WEIGHT = 0.3
_MAX_SCORED = 64


def is_variant(token: str) -> bool:
    return token in COLOURS or token in SIZES or is_measure(token)


def _variant_key(token: str) -> str:
    """One spelling per variant, so "large" in a message meets "L" in a name."""
    return f"size:{size_code(token)}" if token in SIZES else token


def _phrase_variants(phrase: str) -> list[set[str]]:
    """Token sets of a catalogue phrase; "T-Shirt" is indexed both split and joined."""
    split = {t.text for t in tokenize(phrase)}
    joined_phrase = _JOINABLE_HYPHEN.sub("", phrase)
    if joined_phrase == phrase:  # no hyphen to join: the same tokens
        return [split]
    joined = {t.text for t in tokenize(joined_phrase)}
    return [toks for toks in (split, joined) if toks] if joined != split else [split]


_JOINABLE_HYPHEN = re.compile(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])")


@dataclass
class ProductMatch:
    sku: str
    score: float
    start: int  # index of the first token of the mention
    end: int  # index after the last token
    candidates: list[str]
    exact: bool = False  # every word of a name or alias said as written (plurals allowed)
    spelt: bool = False  # every word said as written, of a name or of its family's name


@dataclass
class _Unit:
    """One mention unit: a token, or two tokens that form a compound ("aero press")."""

    first: int
    last: int
    matches: list[tuple[str, float]]


class ProductIndex:
    """``bases`` maps a SKU to its base product's name ("Merino Sweater" for "Merino
    Sweater - Grey / L"), indexed as one more phrase so a plain "sweater" finds it."""

    def __init__(self, products: Iterable[ProductEntry], bases: Mapping[str, str] | None = None):
        # SKUs and names, not the entries: 100,000 small objects more for every full
        # garbage collection of a worker to walk.
        self.skus: list[str] = []
        self.names: list[str] = []
        bases = bases or {}
        # Compact storage (`Postings`, arrays): a big catalogue stays tens of MB.
        self._docs = Postings()
        self._doc_product = array("I")
        self._base_doc = bytearray()  # 1 where the document names the family, not the SKU
        self._product_docs = array("I", [0])  # product p's docs: [p] up to [p + 1]
        self._variants: dict[int, frozenset[str]] = {}  # only the products that have any
        product_df = array("I")  # per token id: how many products have it
        # A family's name and its category phrase recur across its products: read once.
        family_tokens: dict[str, list[set[str]]] = {}
        for pid, product in enumerate(products):
            self.skus.append(product.sku)
            self.names.append(product.name)
            phrases = [(product.name, False), *((a, False) for a in product.aliases)]
            base = bases.get(product.sku, product.name)
            if base != product.name:
                phrases.append((base, True))  # names the family, not the SKU
            if product.category:  # "white matt paint": the name with what kind of thing it is
                phrases.append((f"{base} {product.category}", True))
            product_tokens: set[int] = set()
            for phrase, is_base in phrases:
                if not is_base:  # a product's own name or alias: read once anyway
                    variants_of = _phrase_variants(phrase)
                elif (variants_of := family_tokens.get(phrase)) is None:
                    variants_of = family_tokens[phrase] = _phrase_variants(phrase)
                for toks in variants_of:
                    ids = [self._docs.token_id(t) for t in toks]
                    self._docs.add(ids)
                    self._base_doc.append(is_base)
                    self._doc_product.append(pid)
                    product_tokens.update(ids)
            self._product_docs.append(len(self._doc_product))
            tokens = self._docs.tokens
            variants = frozenset(
                _variant_key(tokens[t]) for t in product_tokens if is_variant(tokens[t])
            )
            if variants:
                self._variants[pid] = variants
            product_df.extend([0] * (len(tokens) - len(product_df)))
            for tok in product_tokens:
                product_df[tok] += 1
        self._docs.freeze()
        n = max(len(self.skus), 1)
        # Rare words identify a product; a missing variant word ("mug" for "black mug")
        # or unit word (the "mm" of "4x40mm") costs less than a missing name word.
        self._weights = array(
            "d",
            (
                (1.0 + math.log(n / df))
                * (_VARIANT_WEIGHT if is_variant(t) or measure_unit(t) else 1.0)
                for t, df in zip(self._docs.tokens, product_df, strict=True)
            ),
        )
        self._doc_weight = array(
            "d",
            (
                sum(self._weights[t] for t in self._docs.doc_ids(did))
                for did in range(len(self._docs))
            ),
        )
        self._vocab = sorted(self._docs.tokens)
        self._fuzzy_vocab = [t for t in self._vocab if len(t) >= 4 and not t.isdigit()]
        self._lookup_cache: dict[str, list[tuple[str, float]]] = {}
        self._pid_by_sku = {sku: pid for pid, sku in enumerate(self.skus)}
        self._name_text = NameText(self.names)

    def _weight(self, token: str) -> float:
        found = self._docs.id_of(token)
        return 0.0 if found is None else self._weights[found]

    def _product_tokens(self, pid: int) -> frozenset[str]:
        """Every word of the product's names and aliases."""
        docs = range(self._product_docs[pid], self._product_docs[pid + 1])
        return frozenset().union(*(self._docs.doc(did) for did in docs))

    def has_word(self, sku: str, word: str) -> bool:
        """Whether the product's name or an alias has ``word`` ("and" in "Twin and Earth")."""
        pid = self._pid_by_sku.get(sku)
        return pid is not None and word in self._product_tokens(pid)

    def named_containing(self, piece: str) -> Iterator[tuple[str, str]]:
        """The SKU and name of every product whose name contains `piece`, in any case."""
        for pid in self._name_text.containing(piece):
            yield self.skus[pid], self.names[pid]

    def among(
        self, tokens: Sequence[Token], blocked: set[int], skus: Sequence[str]
    ) -> ProductMatch | None:
        """The one offered product (of ``skus``) the words point at: "the blue one".

        Each free word that some but not all offered products contain narrows the
        choice; a single product left is the answer.
        """
        offered = [
            (sku, self._product_tokens(self._pid_by_sku[sku]))
            for sku in skus
            if sku in self._pid_by_sku
        ]
        left = {sku for sku, _ in offered}
        used: list[int] = []
        for i, tok in enumerate(tokens):
            if i in blocked or tok.text in STOPWORDS:
                continue
            forms = {tok.text, *_inflections(tok.text)}
            having = {sku for sku, toks in offered if not forms.isdisjoint(toks)}
            if having and having != {sku for sku, _ in offered}:
                left &= having
                used.append(i)
        if len(left) != 1 or not used:
            return None
        return ProductMatch(left.pop(), 1.0, min(used), max(used) + 1, [], spelt=True)

    def lookup(self, token: str) -> list[tuple[str, float]]:
        """Catalogue tokens close to ``token`` with a similarity in 0..1, best first."""
        cached = self._lookup_cache.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if token in self._docs:
            found[token] = 1.0
        for variant in _inflections(token):
            if variant in self._docs:
                found.setdefault(variant, 0.97)
        if not found and len(token) >= 4 and not token.isdigit() and token not in known_words():
            # One letter wrong in five is another word as often as a typo ("short",
            # "brill"); a real word ("clear", "right") is never a misspelt product.
            cutoff = 86 if len(token) <= 5 else 80 if len(token) == 6 else 78
            for cand, score, _ in process.extract(
                token, self._fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4
            ):
                found[cand] = score / 100.0 * 0.97
        result = sorted(found.items(), key=lambda kv: -kv[1])
        if len(self._lookup_cache) > 50_000:
            self._lookup_cache.clear()
        self._lookup_cache[token] = result
        return result

    def find(self, tokens: Sequence[Token], blocked: set[int]) -> list[ProductMatch]:
        """Product mentions in ``tokens``, skipping token indexes in ``blocked``."""
        units = self._units(tokens, blocked)
        matches: list[ProductMatch] = []
        run: list[_Unit] = []
        for unit in units:
            if run and unit.first != run[-1].last + 1:
                matches.extend(self._match_run(run))
                run = []
            run.append(unit)
        if run:
            matches.extend(self._match_run(run))
        return matches

    def _units(self, tokens: Sequence[Token], blocked: set[int]) -> list[_Unit]:
        units: list[_Unit] = []
        i = 0
        while i < len(tokens):
            if i in blocked:
                i += 1
                continue
            if i + 1 < len(tokens) and i + 1 not in blocked:
                joined = tokens[i].text + tokens[i + 1].text
                if joined in self._docs:
                    units.append(_Unit(i, i + 1, [(joined, 1.0)]))
                    i += 2
                    continue
            text = tokens[i].text
            if text not in STOPWORDS and (len(text) >= 2 or text in self._docs):
                found = self.lookup(text)
                if found:
                    units.append(_Unit(i, i, found))
            i += 1
        return units

    def _candidates(self, run: list[_Unit]) -> list[int]:
        """Docs worth scoring: those of the rarest unit, narrowed by the other units.

        Keeps the work bounded on big catalogues, where a word like "mug" may name
        thousands of products; when still too many, the shortest names are kept, as
        they are the ones a bare word describes best.
        """
        order = sorted(run, key=lambda u: sum(self._docs.count(t) for t, _ in u.matches))
        cands = list(dict.fromkeys(d for t, _ in order[0].matches for d in self._docs.docs(t)))
        for unit in order[1:]:
            if len(cands) <= _MAX_SCORED:
                break
            having = {d for t, _ in unit.matches for d in self._docs.docs(t)}
            narrowed = [d for d in cands if d in having]
            if narrowed:
                cands = narrowed
        if len(cands) > _MAX_SCORED:
            cands = heapq.nsmallest(_MAX_SCORED, cands, key=self._doc_weight.__getitem__)
        if len(order) > 1 and len(cands) <= _MAX_SCORED:
            # Units skipped above may still point at other docs worth a look (a typo'd word).
            for unit in order[1:]:
                extra = [d for t, _ in unit.matches for d in self._docs.docs(t)]
                if len(extra) <= _MAX_SCORED:
                    cands.extend(extra)
        return list(dict.fromkeys(cands))

    def _match_run(self, run: list[_Unit]) -> list[ProductMatch]:
        credit: dict[int, float] = {}
        covered_units: dict[int, list[int]] = {}
        run_weight = sum(self._weight(u.matches[0][0]) * u.matches[0][1] for u in run)
        for did in self._candidates(run):
            toks = self._docs.doc(did)
            got = 0.0
            units = []
            for ui, unit in enumerate(run):
                best = max(
                    (self._weight(t) * sim for t, sim in unit.matches if t in toks), default=0.0
                )
                if best:
                    got += best
                    units.append(ui)
            credit[did] = got
            covered_units[did] = units
        run_variants = {_variant_key(t) for u in run for t, _ in u.matches[:1] if is_variant(t)}
        best_by_product: dict[int, tuple[float, int]] = {}
        scored: list[tuple[int, float, int]] = []  # (product, score, doc) of every doc kept
        for did, got in credit.items():
            precision = min(got / self._doc_weight[did], 1.0)
            recall = min(got / run_weight, 1.0)
            score = _PRECISION_WEIGHT * precision + (1 - _PRECISION_WEIGHT) * recall
            if not self._plausible(did, run, covered_units[did], precision):
                continue
            pid = self._doc_product[did]
            variants = self._variants.get(pid)
            if run_variants and variants and not (variants & run_variants):
                continue
            scored.append((pid, score, did))
            if self._better(score, did, best_by_product.get(pid)):
                best_by_product[pid] = (score, did)
        if not best_by_product:
            return []
        ranked = sorted(
            best_by_product.items(),
            key=lambda kv: (-kv[1][0], self._base_doc[kv[1][1]], kv[0]),
        )
        best_pid, (best_score, best_doc) = ranked[0]
        if best_score < _MIN_SCORE:
            return []
        # An alternative must match every word the best one matched: "4x40 screws" is
        # no 5x50 screw, though both are "screws". Any of its names may ("a travel
        # tumbler" is the Steel one by its name, though its alias "tumbler" scores more).
        said_best = set(covered_units[best_doc])
        floor = max(best_score - _CANDIDATE_MARGIN, _MIN_SCORE)
        close = {
            pid
            for pid, score, did in scored
            if score >= floor and said_best <= set(covered_units[did])
        }
        candidates = [self.skus[pid] for pid, _ in ranked[1:] if pid in close][:_MAX_CANDIDATES]
        used = [run[ui] for ui in covered_units[best_doc]]
        doc = self._docs.doc(best_doc)
        said = [max((m for m in u.matches if m[0] in doc), key=lambda m: m[1]) for u in used]
        span = [u for u in run if u.first >= used[0].first and u.last <= used[-1].last]
        spelt = all(sim >= 0.97 for _, sim in said) and len(span) == len(used)
        exact = spelt and not self._base_doc[best_doc] and {t for t, _ in said} == doc
        return [
            ProductMatch(
                sku=self.skus[best_pid],
                score=best_score,
                start=min(u.first for u in used),
                end=max(u.last for u in used) + 1,
                candidates=candidates,
                exact=exact,
                spelt=spelt,
            )
        ]

    def _better(self, score: float, did: int, best: tuple[float, int] | None) -> bool:
        """Whether doc ``did`` scores above ``best``; on a tie a product's own name or
        alias beats its family's name ("french press" is the alias of the 1 L one)."""
        if best is None or score > best[0]:
            return True
        return score == best[0] and self._base_doc[best[1]] == 1 and not self._base_doc[did]

    def _plausible(self, did: int, run: list[_Unit], units: list[int], precision: float) -> bool:
        """A mention needs a distinctive word, or must spell out a whole multi-word phrase."""
        matched = [run[ui].matches[0][0] for ui in units]
        if any(t not in GENERIC and not t.isdigit() for t in matched):
            return True
        return precision >= 0.95 and len(matched) >= 2  # plurals allowed: "gift packs"


def _inflections(token: str) -> list[str]:
    out = []
    if token.endswith("ves") and len(token) > 4:
        out += [token[:-3] + "f", token[:-3] + "fe"]  # scarves, knives
    if token.endswith("es") and len(token) > 4:
        out.append(token[:-2])
    if token.endswith("s") and len(token) > 3:
        out.append(token[:-1])
    out.append(token + "s")
    return out
