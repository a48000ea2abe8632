"""Product mentions: found in the catalog, then read as the variant the words name.

"grey sweater, size large" is the one grey L; "a sweater" is any of them, with the
others as candidates; "2kg of the Sumatra" is two 1 kg bags; in a reply to "which
one?", only the offered products count.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from .catalog import CatalogIndex
from .models import Entity
from .numbers import is_measure, number_value
from .products import ProductMatch
from .quantities import Marks
from .text import Token, wordset
from .variants import said_features, times_measure

# Words that end the clause a product's variant words belong to.
_CLAUSE_WORDS = wordset("and plus also then")
# Words that may lead to the same product again: "swap the 15m hose for the 30m one".
_ALTERNATIVE_WORDS = _CLAUSE_WORDS | wordset("for with or not instead")
# Words standing for the product just named: "and another one in L", "the same in navy".
_PRO_FORMS = wordset("one ones another same")


def find_mentions(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    marks: Marks,
    choices: list[str],
) -> tuple[list[ProductMatch], list[tuple[int, int, str]]]:
    """The product mentions, and (token index, times, SKU) for each measure that
    counts a product ("2kg" of a 1 kg bag). Fills ``marks.picked``."""
    matches = catalog.products.find(tokens, blocked | set(marks.packs) | marks.sizes)
    matches = _join_split_names(catalog, tokens, matches)
    repeats = _repeated_mentions(catalog, text, tokens, blocked | marks.sizes, matches)
    matches = sorted([*matches, *repeats], key=lambda m: m.start)
    measured: list[tuple[int, int, str]] = []
    matches = _pick_variants(catalog, text, tokens, blocked, matches, marks.picked, measured)
    matches = _inherit(catalog, matches, repeats)
    matches = _split_by_repeats(catalog, matches, repeats, marks)
    if choices:
        matches = _among_choices(catalog, text, tokens, blocked, matches, choices)
    return matches, measured


def _clause_starts(
    text: str, tokens: list[Token], start: int, stop: int, words: frozenset[str] = _CLAUSE_WORDS
) -> list[int]:
    """Token indexes in [start, stop) that begin a clause: a comma, or one of ``words``."""
    return [
        j
        for j in range(max(start, 1), stop)
        if tokens[j].text in words
        or any(c in text[tokens[j - 1].end : tokens[j].start] for c in ",;.!?")
    ]


def _repeated_mentions(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    matches: list[ProductMatch],
) -> list[ProductMatch]:
    """ "a grey sweater in M and another one in L": a later clause with "one" or "same"
    and variant words the product has names it again, as another mention."""
    found = []
    ordered = sorted(matches, key=lambda m: m.start)
    for k, match in enumerate(ordered):
        stop = ordered[k + 1].start if k + 1 < len(ordered) else len(tokens)
        starts = _clause_starts(text, tokens, match.end, stop, _ALTERNATIVE_WORDS)
        family = catalog.variants.family(match.sku)
        # Each clause may name it again: "2 white shirts, one M and one L".
        for first, last in itertools.pairwise([*starts, stop]):
            clause = [i for i in range(first, last) if i not in blocked]
            pro = next((i for i in clause if _stands_for_a_product(tokens, i)), None)
            if pro is None:
                continue
            _, used = catalog.variants.narrow(family, said_features(text, tokens, clause))
            if used:
                # A count ("one M") stays a count: the mention is its variant words.
                first_word = min(used) if number_value(tokens[pro].text) is not None else pro
                span = (min(first_word, *used), max(pro, *used) + 1)
                found.append(ProductMatch(match.sku, match.score, *span, family, spelt=match.spelt))
    return found


def _split_by_repeats(
    catalog: CatalogIndex, matches: list[ProductMatch], repeats: list[ProductMatch], marks: Marks
) -> list[ProductMatch]:
    """ "2 white shirts, one M and one L": a mention that names no variant of its own,
    followed by two or more that each name one of its family, is said by them (its
    words go to ``marks.totals``: the "2" before it counts them all, no line)."""
    out: list[ProductMatch] = []
    pool: set[str] = set()  # what the dropped mention said ("white"), its parts keep
    for match in matches:
        family = set(catalog.variants.family(match.sku))
        later = [r for r in repeats if r.start >= match.end and r.sku in family]
        own = any(match.start == r.start and match.end == r.end for r in repeats)
        if not own and match.candidates and len(family) > 1 and len(later) >= 2:
            marks.totals.update(range(match.start, match.end))
            pool = {match.sku, *match.candidates}
            continue
        options = [s for s in (match.sku, *match.candidates) if s in pool]
        if own and options:
            match = replace(match, sku=options[0], candidates=options[1:])
        out.append(match)
    return out


def _stands_for_a_product(tokens: list[Token], i: int) -> bool:
    """ "one", "another", "the same", or "in" after a count ("and 3 in L")."""
    word = tokens[i].text
    return word in _PRO_FORMS or (
        word == "in" and i > 0 and number_value(tokens[i - 1].text) is not None
    )


def _inherit(
    catalog: CatalogIndex, matches: list[ProductMatch], repeats: list[ProductMatch]
) -> list[ProductMatch]:
    """A repeated mention keeps what its clause does not change: "another one in L"
    after a grey M is the grey L (after "a sweater", still any colour)."""
    out: list[ProductMatch] = []
    for match in matches:
        repeated = any(match.start == r.start and match.end == r.end for r in repeats)
        if repeated and out and not out[-1].candidates:
            before = catalog.variants.features(out[-1].sku)
            options = [match.sku, *match.candidates]
            shared = {sku: len(catalog.variants.features(sku) & before) for sku in options}
            best = [sku for sku in options if shared[sku] == max(shared.values())]
            match = replace(match, sku=best[0], candidates=best[1:])
        out.append(match)
    return out


def _regions(text: str, tokens: list[Token], matches: list[ProductMatch]) -> list[range]:
    """The tokens each product mention owns for its variant words: up to the last
    "and", comma or full stop before the next mention ("a large grey sweater, and
    a navy scarf in small")."""
    bounds = [0]
    ordered = sorted(matches, key=lambda m: m.start)
    for here, there in itertools.pairwise(ordered):
        starts = _clause_starts(text, tokens, here.end, there.start + 1)
        bounds.append(starts[-1] if starts else there.start)
    bounds.append(len(tokens))
    region_of = {id(m): range(bounds[k], bounds[k + 1]) for k, m in enumerate(ordered)}
    return [region_of[id(m)] for m in matches]


def _join_split_names(
    catalog: CatalogIndex, tokens: list[Token], matches: list[ProductMatch]
) -> list[ProductMatch]:
    """One mention for a name with a small word inside ("twin and earth cable"), which
    the matcher finds as two mentions of one product; "white mugs and black mugs" stay
    two, as no mug's name has an "and"."""
    out: list[ProductMatch] = []
    for match in sorted(matches, key=lambda m: m.start):
        prev = out[-1] if out else None
        between = [t.text for t in tokens[prev.end : match.start]] if prev else []
        if (
            prev is not None
            and len(between) == 1
            and catalog.products.has_word(prev.sku, between[0])
            and catalog.products.has_word(match.sku, between[0])
            and set(catalog.variants.family(prev.sku)) & set(catalog.variants.family(match.sku))
        ):
            best = match if match.score >= prev.score else prev
            others = [s for s in (prev.sku, match.sku) if s != best.sku]
            candidates = list(dict.fromkeys([*best.candidates, *others]))
            spelt = prev.spelt and match.spelt
            out[-1] = ProductMatch(
                best.sku, best.score, prev.start, match.end, candidates, spelt=spelt
            )
            continue
        out.append(match)
    return out


def _pick_variants(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    matches: list[ProductMatch],
    picked: set[int],
    measured: list[tuple[int, int, str]],
) -> list[ProductMatch]:
    """Each mention as the variant its words name ("grey sweater, size large" is the
    one grey L), or with its whole family as candidates when they name none.

    Words that picked a variant join ``picked``: they are no quantity ("a dozen
    eggs" is one 12-pack where the shop sells one). A measure that is a multiple of a
    variant's ("2kg" of a 1 kg bag) picks it, and (token index, times, SKU) goes to
    ``measured``.
    """
    variants = catalog.variants
    out = []
    for match, region in zip(matches, _regions(text, tokens, matches), strict=True):
        family = variants.family(match.sku)
        pool = list(
            dict.fromkeys([*family, *(s for c in match.candidates for s in variants.family(c))])
        )
        free_words = (i for i in region if i not in blocked)
        said = said_features(text, tokens, free_words, size_slots=_size_slots(tokens, match))
        left, used = variants.narrow(pool, said)
        if used:
            picked |= used
            sku = match.sku if match.sku in left else left[0]
            rest = [s for s in left if s != sku]
        else:
            sku = match.sku
            rest = [s for s in dict.fromkeys([*family, *match.candidates]) if s != sku]
        measures = [i for i in region if i not in used | blocked and is_measure(tokens[i].text)]
        for i in measures:
            if hit := times_measure(variants, [sku, *rest], tokens[i].text):
                (sku, *rest), times = hit
                measured.append((i, times, sku))
                break
        out.append(replace(match, sku=sku, candidates=rest))
    return out


def _size_slots(tokens: list[Token], match: ProductMatch) -> set[int]:
    """Where a bare number may be a size: inside the name or right after it ("chinos
    32"), or after an "in" that follows it ("the navy chinos in 32", "in a 32"). It is
    one only when a variant has that size; else it stays a count."""
    slots = {match.end, *range(match.start, match.end)}
    after = match.end
    if after < len(tokens) and tokens[after].text == "in":
        after += 1
        if after < len(tokens) and tokens[after].text in ("a", "an"):
            after += 1
        slots.add(after)
    return slots


def measured_quantities(
    text: str, tokens: list[Token], measured: list[tuple[int, int, str]], counts: list[Entity]
) -> list[Entity]:
    """ "2kg of the Sumatra" (sold in 1 kg bags) is 2 bags; "3 2kg bags" is 6."""
    added = []
    for i, times, sku in measured:
        counted = next((q for q in counts if q.refers_to == sku), None)
        if counted is not None:
            counted.value = int(counted.value) * times
            continue
        tok = tokens[i]
        entity = Entity("quantity", times, tok.start, tok.end, text[tok.start : tok.end])
        entity.refers_to = sku
        added.append(entity)
    return added


def _among_choices(
    catalog: CatalogIndex,
    text: str,
    tokens: list[Token],
    blocked: set[int],
    found: list[ProductMatch],
    choices: list[str],
) -> list[ProductMatch]:
    """Read the products of a reply to "which one?" as one of the offered SKUs.

    A mention of a product that was offered stays; one whose close alternatives include
    an offered product becomes that product; with no mention at all, the words that
    tell the offered products apart ("the large", "navy", "the 2.5 L one") pick one,
    or narrow the offer ("the large" of two colours in each size leaves two).
    """
    offered = set(choices)
    out = []
    for match in found:
        kept = [c for c in match.candidates if c in offered]
        if match.sku in offered:
            match = replace(match, candidates=kept)
        elif kept:
            match = replace(match, sku=kept[0], candidates=kept[1:], exact=False)
        else:
            continue
        out.append(match)
    if out:
        return out
    free_tokens = [i for i in range(len(tokens)) if i not in blocked]
    said = said_features(text, tokens, free_tokens, size_slots=free_tokens)  # "the 32"
    left, used = catalog.variants.narrow(choices, said)
    if used and len(left) < len(choices):
        return [ProductMatch(left[0], 1.0, min(used), max(used) + 1, left[1:], spelt=True)]
    picked = catalog.products.among(tokens, blocked, choices)
    return [picked] if picked is not None else found
