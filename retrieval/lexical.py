"""BM25 over analysed terms, as a sparse matrix so a query costs a few column sums."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from retrieval.ranking import top_k


@dataclass(frozen=True)
class LexicalHit:
    """One lexical match: row key and BM25 score."""

    id: str
    score: float


class BM25Index:
    """Okapi BM25 (k1, b) over per-document term lists, rebuilt in bulk from numpy arrays."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._vocab: dict[str, int] = {}
        self._ids: list[str] = []
        self._attrs: dict[str, list[str]] = {}
        self._matrix: sparse.csc_matrix | None = None
        self._rows: sparse.csr_matrix | None = None
        self._row_of: dict[str, int] = {}
        self._idf = np.zeros(0, dtype=np.float32)
        self._idf_max = 1.0
        self._attr_arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def build(
        self, rows: Iterable[tuple[str, Sequence[str], dict[str, str]]],
    ) -> None:
        """Index (id, terms, filterable attributes) rows, replacing what was there.

        `rows` is read once, so it may be a generator: each row's terms become integer ids in
        one flat array as they arrive and can be freed at once. At 26k chunks, holding every
        row's term list plus three small arrays per row until the end added ~135 MiB to the
        process (freed afterwards, but not given back to the system).
        """
        vocab: dict[str, int] = {}
        ids: list[str] = []
        attrs: dict[str, list[str]] = {}
        term_ids = array("q")  # every row's term ids, row after row
        lengths = array("q")
        for row, (key, terms, row_attrs) in enumerate(rows):
            ids.append(key)
            for name, value in row_attrs.items():
                attrs.setdefault(name, [""] * row).append(value)
            for values in attrs.values():
                if len(values) < row + 1:
                    values.append("")
            term_ids.extend([vocab.setdefault(t, len(vocab)) for t in terms])
            lengths.append(len(terms))
        self._vocab, self._ids, self._attrs = vocab, ids, attrs
        self._row_of = {key: i for i, key in enumerate(ids)}
        self._attr_arrays = {k: np.asarray(v, dtype=object) for k, v in attrs.items()}
        if not ids:
            self._matrix = self._rows = None
            self._idf, self._idf_max = np.zeros(0, dtype=np.float32), 1.0
            return
        n_docs, n_terms = len(ids), max(1, len(vocab))
        doc_len = np.frombuffer(lengths, dtype=np.int64)
        # One (row, term) key per occurrence; unique keys come out sorted by row, then term,
        # with their counts: each row's term frequencies, already in CSR order.
        keys = np.repeat(np.arange(n_docs, dtype=np.int64), doc_len) * n_terms
        keys += np.frombuffer(term_ids, dtype=np.int64)
        pairs, counts = np.unique(keys, return_counts=True)
        del keys
        # scipy's index type: int32 unless there are too many pairs for it
        index = np.int32 if len(pairs) <= np.iinfo(np.int32).max else np.int64
        rows_ = (pairs // n_terms).astype(index)
        cols = (pairs % n_terms).astype(index)
        del pairs
        tf = counts.astype(np.float32)
        del counts
        df = np.bincount(cols, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        lengths_f = doc_len.astype(np.float32)
        avg = float(lengths_f.mean()) or 1.0
        norm = self.k1 * (1.0 - self.b + self.b * lengths_f[rows_] / avg)
        weights = idf[cols] * tf * (self.k1 + 1.0) / (tf + norm)
        del norm, tf
        indptr = np.zeros(n_docs + 1, dtype=index)
        np.cumsum(np.bincount(rows_, minlength=n_docs), out=indptr[1:])
        del rows_
        self._rows = sparse.csr_matrix((weights, cols, indptr), shape=(n_docs, len(vocab)),
                                       dtype=np.float32)
        self._matrix = self._rows.tocsc()
        self._idf = idf
        self._idf_max = float(idf.max(initial=1.0))

    def idf(self, term: str) -> float:
        """Return a term's IDF (a term the index has never seen weighs like the rarest)."""
        col = self._vocab.get(term)
        return float(self._idf[col]) if col is not None else self._idf_max

    def knows(self, term: str) -> bool:
        """Tell whether any indexed row holds a term."""
        return term in self._vocab

    def document_frequency(self, term: str) -> int:
        """Return how many indexed rows hold a term."""
        col = self._vocab.get(term)
        if col is None or self._matrix is None:
            return 0
        return int(self._matrix.indptr[col + 1] - self._matrix.indptr[col])

    def row_weights(self, key: str, terms: Sequence[str]) -> list[float]:
        """Return each term's BM25 weight in one row (0 for a term it lacks or an unknown row)."""
        row = self._row_of.get(key)
        if row is None or self._rows is None:
            return [0.0] * len(terms)
        start, end = self._rows.indptr[row], self._rows.indptr[row + 1]
        weights = dict(zip(self._rows.indices[start:end].tolist(),
                           self._rows.data[start:end].tolist(), strict=True))
        return [weights.get(self._vocab.get(t, -1), 0.0) for t in terms]

    def coverage(self, key: str | Sequence[str], terms: Sequence[str]) -> float:
        """Return the IDF-weighted share of query terms that occur in a row, or in any of
        several rows taken together (0..1)."""
        return self.group_coverage(key, [(term,) for term in dict.fromkeys(terms)])

    def group_coverage(self, key: str | Sequence[str], groups: Sequence[Sequence[str]]) -> float:
        """Like coverage, for query words that each stand for several terms (a translated
        word's glosses): a word counts as found with the IDF of its rarest term present, out
        of the IDF of its rarest term. A term the index has never seen weighs like the
        rarest, as in coverage: a word with a gloss outside the knowledge base's vocabulary
        (a sense it may not cover) can only be partly found, which keeps ambiguous words from
        deciding much."""
        keys = [key] if isinstance(key, str) else list(key)
        rows = [r for r in (self._row_of.get(k) for k in keys) if r is not None]
        if not rows or self._rows is None or not groups:
            return 0.0
        present: set[int] = set()
        for row in rows:
            present.update(
                self._rows.indices[self._rows.indptr[row]:self._rows.indptr[row + 1]].tolist())
        total = found = 0.0
        for group in groups:
            best = best_found = 0.0
            for term in group:
                col = self._vocab.get(term)
                weight = float(self._idf[col]) if col is not None else self._idf_max
                best = max(best, weight)
                if col is not None and col in present:
                    best_found = max(best_found, weight)
            total += best
            found += best_found
        return found / total if total else 0.0

    def search(
        self, terms: Sequence[str], k: int, filters: dict[str, str | list[str]] | None = None,
    ) -> list[LexicalHit]:
        """Return the k best rows for the query terms, optionally filtered by attributes."""
        if self._matrix is None:
            return []
        cols = sorted({self._vocab[t] for t in terms if t in self._vocab})
        if not cols:
            return []
        # Gather the query terms' columns straight from the CSC arrays and add them up per
        # row: the same float32 sums, in the same order, as matrix[:, cols].sum(axis=1),
        # without scipy's indexing machinery (most of a query's cost at 10k rows).
        matrix = self._matrix
        starts, ends = matrix.indptr[cols], matrix.indptr[np.asarray(cols) + 1]
        rows = np.concatenate([matrix.indices[a:b] for a, b in zip(starts, ends, strict=True)])
        weights = np.concatenate([matrix.data[a:b] for a, b in zip(starts, ends, strict=True)])
        scores = np.zeros(matrix.shape[0], dtype=np.float32)
        np.add.at(scores, rows, weights)
        if filters:
            mask = np.ones(len(scores), dtype=bool)
            for name, wanted in filters.items():
                values = self._attr_arrays.get(name)
                if values is None:
                    return []
                allowed = [wanted] if isinstance(wanted, str) else list(wanted)
                mask &= np.isin(values, allowed)
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        order = candidates[top_k(scores[candidates], k)]  # best first, ties by position
        ids = self._ids
        return [LexicalHit(ids[i], s) for i, s in zip(order.tolist(),
                                                      scores[order].tolist(), strict=True)]
