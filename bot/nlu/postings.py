"""A compact inverted index: documents as arrays of token ids, postings in one array.

A big shop's catalogue (100,000 products) is some 300,000 short documents. Held as a
Python set per document and a list of ints per token, the product index took ~280 MB
in every bot worker, and each full garbage collection walked those millions of objects.
Here each distinct token string is kept once, a document is a slice of one flat
`array`, and so is each token's posting list; sets are made only for the few documents
a message's words lead to.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence


class Postings:
    """Documents of tokens, added one by one, then `freeze()` to look them up by token."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.tokens: list[str] = []  # token id -> token
        self._doc_start = array("I", [0])  # document d is _doc_tokens[start[d]:start[d + 1]]
        self._doc_tokens = array("I")
        self._post_start = array("I", [0])  # token t's documents, in increasing order
        self._post_docs = array("I")

    def token_id(self, token: str) -> int:
        """The id of `token`, given it a new one if it is new (while adding)."""
        found = self._ids.get(token)
        if found is None:
            found = self._ids[token] = len(self.tokens)
            self.tokens.append(token)
        return found

    def add(self, token_ids: Iterable[int]) -> int:
        """A new document of these (distinct) token ids, in this order; its id."""
        self._doc_tokens.extend(token_ids)
        self._doc_start.append(len(self._doc_tokens))
        return len(self._doc_start) - 2

    def freeze(self) -> None:
        """Build the posting lists (a counting sort of the documents by token)."""
        counts = array("I", [0]) * len(self.tokens)
        for token in self._doc_tokens:
            counts[token] += 1
        starts = array("I", [0])
        for count in counts:
            starts.append(starts[-1] + count)
        fill = array("I", starts[:-1])
        docs = array("I", [0]) * len(self._doc_tokens)
        for doc in range(len(self)):
            for token in self.doc_ids(doc):
                docs[fill[token]] = doc
                fill[token] += 1
        self._post_start, self._post_docs = starts, docs

    def __len__(self) -> int:
        return len(self._doc_start) - 1

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def id_of(self, token: str) -> int | None:
        return self._ids.get(token)

    def doc_ids(self, doc: int) -> Sequence[int]:
        """The token ids of document `doc`, in the order they were added."""
        return self._doc_tokens[self._doc_start[doc] : self._doc_start[doc + 1]]

    def doc(self, doc: int) -> frozenset[str]:
        return frozenset(self.tokens[token] for token in self.doc_ids(doc))

    def docs(self, token: str) -> Sequence[int]:
        """The documents with `token`, in increasing order (none for an unknown token)."""
        found = self._ids.get(token)
        if found is None:
            return ()
        return self._post_docs[self._post_start[found] : self._post_start[found + 1]]

    def count(self, token: str) -> int:
        """How many documents have `token`."""
        found = self._ids.get(token)
        return 0 if found is None else self._post_start[found + 1] - self._post_start[found]
