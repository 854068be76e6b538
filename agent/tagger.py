"""The offline tagger: multinomial logistic regression over embeddings and text n-grams.

Learned from labelled past tickets plus the taxonomy's descriptions and examples, so a custom
taxonomy (77 banking intents, say) needs no code change. The model reads three things:

- the sentence embedding, when the embedding model reads the text's language (a zero vector
  otherwise: the other features still tag it);
- TF-IDF of the text's words and word pairs, function words kept ("how do I" asks, "doesn't"
  reports), and of its character 2-4-grams, which is what reads Japanese (no spaces between
  words; できません, 落ちる and 教えて are in the characters, not in the search index's terms),
  error names and misspellings; both read the text's prose (`prose`: fenced code and logs,
  links and issue-template comments reduced or dropped);
- the character n-grams of the headline (the first line: a ticket's subject, or a whole chat
  message) in their own columns, so a subject such as "Add a --dry-run flag" weighs apart from
  a long body of logs.

Probabilities are softmax outputs of an L2-regularised model with a temperature fitted on
held-out rows, so the confidence means something: it is used to decide whether to trust the tag.
The nearest labelled tickets' vote (agent.vote) picks the tag where the held-out rows show that
it helps, and only there. Measured options that were not adopted (docs/BENCHMARKS.md): the vote
blended in everywhere, class-balanced weights, the search index's stemmed terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import optimize, sparse

from agent import vote
from retrieval import linear_re
from retrieval.loaders import Taxonomy
from retrieval.vectors import single_threaded_blas

# Word tokens of spaced scripts; an apostrophe keeps "doesn't" whole. Runs of Japanese
# characters match too and are dropped by `_words` (their characters are read as n-grams).
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_SPACE = re.compile(r"\s+")
# Only the start of a very long ticket (pasted logs) is read: it bounds the work per text, and
# what a ticket is about is said before its attachments.
MAX_CHARS = 8000
HEADLINE_CHARS = 200
CHAR_SIZES = (2, 3, 4)
# Fewer labelled rows than this leave the confidence uncalibrated (temperature 1); below
# FOLDS_BELOW it is calibrated by k-fold, above on one held-out slice (k fits cost k times one).
MIN_CALIBRATION_ROWS = 50
FOLDS_BELOW = 1000
# How near a question must come to the nearest ticket of its intent for the taxonomy's answer
# to that intent (agent.reading.recognised_intent): as near as all but a share of the
# intent's own tickets are to their nearest other ticket of it (leave-one-out, each ticket
# read as a question). A tag the tagger is sure of (intent_min_confidence) needs the loose
# floor, all but 1%; one it merely trusts (tag_min_confidence), the strict one, all but 10%.
# Chosen on training and validation data only (docs/BENCHMARKS.md): HINT3's train sets with a
# quarter of the intents held out as stand-ins for out-of-scope questions (MCC 0.661 / 0.712 /
# 0.657 with the confidence alone, 0.734 / 0.744 / 0.708 with this), and CLINC150's validation
# split (in-scope answered right 0.875 -> 0.902, out-of-scope escalated 0.84 -> 0.94).
NEIGHBOUR_QUANTILES = (0.01, 0.1)
# At most this many tickets are read as questions to learn that floor (one embedding each).
NEIGHBOUR_SAMPLE = 1000
MIN_NEIGHBOUR_ROWS = 20


@dataclass(frozen=True)
class TagPrediction:
    """A tag with its probability and the runner-up probabilities."""

    tag: str
    confidence: float
    probabilities: dict[str, float]
    # The cosine between the question and the nearest labelled ticket with this tag (None
    # without an embedding of the question or without tickets remembered: Tagger.remember).
    neighbour: float | None = None


# What an issue report says besides its prose: HTML comments (a template's instructions to the
# reporter, left in), images, fenced code and logs, and links. Kept whole, a pasted log or
# stack trace outweighs the sentences around it in the text's n-grams (rows are normalised
# to unit length), and a template's comments read the same in every report. All run in linear
# time (retrieval.linear_re): tickets are customers' text.
# A comment left unclosed is kept: run to the end of the text, it took all that followed.
_COMMENT = linear_re.compile(r"<!--.*?-->", dotall=True)
_IMAGE = linear_re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
# A fence's opening line ends after its info string, which holds no backtick in a ``` fence
# (CommonMark): "```npm install``` fails on Node 22" is a sentence with inline code.
_FENCE = linear_re.compile(
    r"^[ \t]*(?:```[^`\n]*|~~~[^\n]*)\n.*?(?:\n[ \t]*(?:```|~~~)[^\n]*|\z)",
    dotall=True, multiline=True)
# ASCII only: a link written in Japanese text is followed by a particle with no space between.
_URL = linear_re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")
CODE_MARK = "[code]"
# Stands for "no search term at all" among a tag's words (Tagger.learn_words); not a term the
# analyser can produce.
WORDLESS = "\x00"
LINK_MARK = "[link]"
# The longest stretch of a ticket that is cleaned: cleaning comes before the MAX_CHARS cut (a
# report's words can follow a long log), but is bounded too.
CLEAN_CHARS = 8 * MAX_CHARS


def prose(text: str) -> str:
    """Return what a ticket says in words: template comments and images dropped, each fenced
    block of code or log output reduced to CODE_MARK and each link to LINK_MARK (that there is
    code, a log or a link still tells something)."""
    text = _IMAGE.sub(" ", _COMMENT.sub(" ", text[:CLEAN_CHARS]))
    return _URL.sub(LINK_MARK, _FENCE.sub(f"\n{CODE_MARK}\n", text))


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()).strip()


def headline(text: str) -> str:
    """Return a text's first non-empty line, cut at HEADLINE_CHARS: a ticket's subject."""
    for line in text[:MAX_CHARS].splitlines():
        if line.strip():
            return line.strip()[:HEADLINE_CHARS]
    return ""


def _words(norm: str) -> list[str]:
    words = [w for w in _WORD.findall(norm) if not _JAPANESE.search(w)]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def _chars(norm: str) -> list[str]:
    padded = f" {norm} "
    return [padded[i:i + n] for n in CHAR_SIZES for i in range(len(padded) - n + 1)]


class _Block:
    """One TF-IDF vocabulary: sublinear term frequency, smoothed IDF, L2-normalised rows."""

    def __init__(self, min_df: int) -> None:
        self.min_df = min_df
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0)

    def fit(self, grams: Sequence[list[str]]) -> None:
        df: Counter[str] = Counter()
        for row in grams:
            df.update(set(row))
        kept = sorted(g for g, c in df.items() if c >= self.min_df)
        self.vocab = {g: i for i, g in enumerate(kept)}
        n = len(grams)
        self.idf = np.log((1 + n) / (1 + np.array([df[g] for g in kept], dtype=np.float64))) + 1

    def row(self, grams: list[str]) -> tuple[list[int], np.ndarray]:
        counts = Counter(k for k in map(self.vocab.get, grams) if k is not None)
        if not counts:
            return [], np.zeros(0)
        cols = list(counts)
        values = (1 + np.log(np.fromiter(counts.values(), np.float64, len(cols)))) * self.idf[cols]
        return cols, values / np.linalg.norm(values)


class TextFeatures:
    """Sparse text features: words and word pairs, character n-grams, headline n-grams."""

    def __init__(self, *, char_min_df: int = 2, headline_weight: float = 1.0) -> None:
        self.headline_weight = headline_weight
        self.blocks = (_Block(1), _Block(char_min_df), _Block(1))
        self.offsets = (0, 0, 0)

    @staticmethod
    def _grams(text: str) -> tuple[list[str], list[str], list[str]]:
        norm = _normalise(prose(text))
        return _words(norm), _chars(norm), _chars(_normalise(headline(text)))

    @property
    def dim(self) -> int:
        """Return the number of columns."""
        return self.offsets[-1] + len(self.blocks[-1].vocab)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        """Learn the vocabularies and IDF from texts."""
        grams = [self._grams(t) for t in texts]
        for b, block in enumerate(self.blocks):
            block.fit([g[b] for g in grams])
        sizes = [len(block.vocab) for block in self.blocks]
        self.offsets = (0, sizes[0], sizes[0] + sizes[1])
        return self

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return one text's row as its columns and their values."""
        cols: list[np.ndarray] = []
        values: list[np.ndarray] = []
        weights = (1.0, 1.0, self.headline_weight)
        for block, grams, offset, weight in zip(self.blocks, self._grams(text), self.offsets,
                                                weights, strict=True):
            c, v = block.row(grams)
            cols.append(np.asarray(c, dtype=np.int64) + offset)
            values.append(v * weight)
        return np.concatenate(cols), np.concatenate(values)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Turn texts into rows."""
        indptr = [0]
        cols: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for text in texts:
            c, v = self.row(text)
            cols.append(c)
            values.append(v)
            indptr.append(indptr[-1] + len(c))
        return sparse.csr_matrix(
            (np.concatenate(values) if values else np.zeros(0),
             np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64), indptr),
            shape=(len(texts), self.dim))


class SoftmaxRegression:
    """Multinomial logistic regression with L2 over dense and sparse columns, fitted by L-BFGS.

    The dense block (embeddings) is multiplied as a dense matrix: stored as sparse, as one
    sparse matrix with the n-grams, it made fitting BANKING77 several times slower.
    """

    def __init__(self, l2: float = 1.0, max_iter: int = 300, tolerance: float = 1e-4) -> None:
        self.l2 = l2
        self.max_iter = max_iter
        self.tolerance = tolerance
        self.dense_weights: np.ndarray | None = None
        self.sparse_weights: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.temperature = 1.0
        self.iterations = 0

    def fit(
        self, dense: np.ndarray, features: sparse.csr_matrix, labels: np.ndarray,
        n_classes: int, sample_weight: np.ndarray | None = None,
        start: SoftmaxRegression | None = None,
    ) -> SoftmaxRegression:
        """Fit weights to rows (dense and sparse parts) and their integer labels.

        `start`, a model fitted on the same columns (to a subset of the rows, say), is where
        the search begins: the optimum moves little, so it takes fewer iterations.
        """
        n, dd = dense.shape
        ds = features.shape[1]
        # float32 arithmetic: half the memory traffic, and the fitted tags were identical.
        x_dense = np.ascontiguousarray(dense, dtype=np.float32)
        x_dense_t = np.ascontiguousarray(x_dense.T)
        x_sparse = features.astype(np.float32).tocsr()
        x_sparse_t = x_sparse.T.tocsr()
        weight = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
        weight = (weight / weight.sum()).astype(np.float32)
        onehot = np.zeros((n, n_classes), dtype=np.float32)
        onehot[np.arange(n), labels] = 1.0
        cut_dense, cut_sparse = dd * n_classes, (dd + ds) * n_classes
        scale = np.float32(self.l2 / n)

        def loss_grad(flat64: np.ndarray) -> tuple[float, np.ndarray]:
            flat = flat64.astype(np.float32)
            wd = flat[:cut_dense].reshape(dd, n_classes)
            ws = flat[cut_dense:cut_sparse].reshape(ds, n_classes)
            logits = x_dense @ wd + x_sparse @ ws + flat[cut_sparse:]
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            probs = exp / exp.sum(axis=1, keepdims=True)
            log_likelihood = float((weight * np.log((probs * onehot).sum(axis=1) + 1e-12)).sum())
            penalty = 0.5 * float(scale) * (float((wd * wd).sum()) + float((ws * ws).sum()))
            delta = (probs - onehot) * weight[:, None]
            grad = np.concatenate([(x_dense_t @ delta + scale * wd).ravel(),
                                   (np.asarray(x_sparse_t @ delta) + scale * ws).ravel(),
                                   delta.sum(axis=0)])
            return -log_likelihood + penalty, grad.astype(np.float64)

        initial = np.zeros(cut_sparse + n_classes)
        if (start is not None and start.dense_weights is not None
                and start.sparse_weights is not None and start.bias is not None):
            initial = np.concatenate([start.dense_weights.ravel(), start.sparse_weights.ravel(),
                                      start.bias])
            if initial.shape != (cut_sparse + n_classes,):
                raise ValueError("the starting model was fitted on other columns")
        result = optimize.minimize(loss_grad, initial, jac=True, method="L-BFGS-B",
                                   options={"maxiter": self.max_iter, "gtol": self.tolerance})
        self.iterations = int(result.nit)
        self.dense_weights = result.x[:cut_dense].reshape(dd, n_classes)
        self.sparse_weights = result.x[cut_dense:cut_sparse].reshape(ds, n_classes)
        self.bias = result.x[cut_sparse:]
        return self

    def logits(self, dense: np.ndarray, features: sparse.csr_matrix) -> np.ndarray:
        """Return raw class scores."""
        if self.dense_weights is None or self.sparse_weights is None or self.bias is None:
            raise RuntimeError("the model is not fitted")
        return np.asarray(np.asarray(dense, dtype=np.float64) @ self.dense_weights
                          + features @ self.sparse_weights + self.bias)

    def predict_proba(self, dense: np.ndarray, features: sparse.csr_matrix) -> np.ndarray:
        """Return calibrated class probabilities."""
        return softmax(self.logits(dense, features) / self.temperature)

    def fit_temperature(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """Fit the softmax temperature to held-out logits (minimum negative log-likelihood)."""

        def nll(t: float) -> float:
            probs = softmax(logits / t)
            return float(-np.log(probs[np.arange(len(labels)), labels] + 1e-12).mean())

        found = optimize.minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded")
        self.temperature = float(found.x)
        return self.temperature


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return the row-wise softmax of logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def expected_calibration_error(confidence: Sequence[float] | np.ndarray,
                               correct: Sequence[bool] | np.ndarray, bins: int = 10) -> float:
    """Return the expected calibration error: |accuracy - confidence| over equal-width bins,
    weighted by the share of predictions in each."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    if not len(conf):
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(right[which == b].mean() - conf[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def _calibration_parts(labels: np.ndarray, n_classes: int, holdout: float, folds: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Assign each row the held-out part it is scored in (-1: always trained on), stratified."""
    part = np.full(len(labels), -1)
    if holdout <= 0 or len(labels) < MIN_CALIBRATION_ROWS:
        return part
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(labels == c))
        if len(labels) < FOLDS_BELOW and folds > 1:
            if len(members) >= folds:
                part[members] = np.arange(len(members)) % folds
            continue
        take = int(len(members) * holdout)
        if take and len(members) - take >= 2:
            part[members[:take]] = 0
    return part


class Tagger:
    """Predict a taxonomy tag from a message's text and embedding."""

    def __init__(self, taxonomy: Taxonomy, features: TextFeatures,
                 model: SoftmaxRegression | None, classes: list[str],
                 embedding_weight: float = 1.0) -> None:
        self.taxonomy = taxonomy
        self.features = features
        self.model = model
        self.classes = classes
        self.embedding_weight = embedding_weight
        # The softmax temperature of an input whose embedding is all zeros (Tagger.train).
        self.no_vector_temperature = model.temperature if model is not None else 1.0
        # Unit vectors of the labelled tickets, their class indices, and the similarities to
        # the nearest one of a tag that nearly all (loose) and most (strict) questions of
        # that tag reach (remember).
        self.neighbours: np.ndarray | None = None
        self.neighbour_classes = np.zeros(0, dtype=np.int64)
        self.neighbour_floors: tuple[float, float] | None = None
        # The leave-one-out similarities the floor was read from, sorted (for reports).
        self.neighbour_nearest = np.zeros(0)
        # The search terms each tag's labelled rows use (learn_words); None: not learnt.
        self.tag_words: dict[str, frozenset[str]] | None = None
        # The labelled rows' unit vectors and classes for the nearest tickets' vote, and its
        # blend weight (0: no vote; agent.vote, learned in train).
        self.vote_vectors = np.zeros((0, 0), dtype=np.float32)
        self.vote_classes = np.zeros(0, dtype=np.int64)
        self.vote_weight = 0.0
        self.vote_choice: vote.VoteChoice | None = None

    def learn_words(self, terms: Sequence[Sequence[str]], labels: Sequence[str]) -> None:
        """Keep the search terms (the store analyser's) that each tag's labelled rows use.

        A row with no term at all ("Thanks", "Hi": stop words only) adds WORDLESS to its
        tag: a bot whose tickets label such messages answers them; one whose tickets hold none
        does not (words_support).
        """
        words: dict[str, set[str]] = {}
        classes = set(self.classes)
        for row, label in zip(terms, labels, strict=True):
            if label in classes:
                words.setdefault(label, set()).update(row if row else (WORDLESS,))
        self.tag_words = {tag: frozenset(found) for tag, found in words.items()}

    def words_support(self, tag: str, terms: Sequence[str]) -> bool:
        """Tell whether a message shares a search term with the labelled rows of `tag` (a
        message with none, only if some row of the tag has none either); True when no words
        were learnt for the tag."""
        known = self.tag_words.get(tag) if self.tag_words is not None else None
        if not known:
            return True
        return any(t in known for t in terms) if terms else WORDLESS in known

    def remember(self, vectors: np.ndarray, labels: Sequence[str],
                 asked: dict[int, np.ndarray]) -> tuple[float, float] | None:
        """Keep the labelled tickets' vectors, to say how near a question comes to the nearest
        ticket of its tag, and learn how near is near enough; return the (loose, strict)
        floors.

        `asked` maps some rows to their text embedded as a question (the way inquiries are):
        each is compared with every other row, and the floors are the NEIGHBOUR_QUANTILES of
        its similarity to the nearest other row with its label. Rows without a vector (a
        language the model does not read) are left out; with fewer than MIN_NEIGHBOUR_ROWS
        compared, no floor is learned (None).
        """
        units, present = vote.unit_rows(vectors)
        keep = np.flatnonzero(present & np.isin(np.asarray(labels, dtype=object), self.classes))
        if len(keep) < 2:
            return None
        unit = units[keep]
        classes = np.array([self.classes.index(labels[int(i)]) for i in keep], dtype=np.int64)
        position = {int(row): n for n, row in enumerate(keep)}
        nearest: list[float] = []
        for row, query in asked.items():
            n = position.get(row)
            norm = float(np.linalg.norm(query))
            if n is None or norm == 0:
                continue
            sims = unit @ (np.asarray(query, dtype=np.float32) / norm)
            sims[n] = -np.inf
            same = sims[classes == classes[n]]
            if len(same) and np.isfinite(same.max()):
                nearest.append(float(same.max()))
        self.neighbours, self.neighbour_classes = unit, classes
        self.neighbour_nearest = np.sort(np.asarray(nearest, dtype=np.float64))
        # Too few compared (a taxonomy whose tags have only their description has none): no
        # floor, the confidence alone decides (agent.reading.recognised_intent).
        self.neighbour_floors = None
        if len(nearest) >= MIN_NEIGHBOUR_ROWS:
            loose, strict = (float(np.quantile(nearest, q)) for q in NEIGHBOUR_QUANTILES)
            self.neighbour_floors = (loose, strict)
        return self.neighbour_floors

    @classmethod
    def train(
        cls,
        taxonomy: Taxonomy,
        texts: Sequence[str],
        embeddings: np.ndarray,
        labels: Sequence[str],
        *,
        sample_weight: Sequence[float] | None = None,
        l2: float = 1.0,
        embedding_weight: float = 1.0,
        headline_weight: float = 1.0,
        holdout: float = 0.1,
        calibration_folds: int = 5,
        seed: int = 13,
    ) -> Tagger:
        """Fit on labelled rows; labels outside the taxonomy are ignored.

        The confidence is calibrated on rows held out of training: `calibration_folds`-fold
        below FOLDS_BELOW rows, a `holdout` share above; `holdout=0` leaves it uncalibrated.
        """
        # The fit's dense products are small; OpenBLAS's threads spin on them and fight the
        # embedding model's: the demo's tagger took 5.0 s of CPU with them and 0.8 s without.
        single_threaded_blas()
        names = taxonomy.names
        keep = [i for i, label in enumerate(labels) if label in names]
        classes = sorted({labels[i] for i in keep}, key=names.index)
        features = TextFeatures(headline_weight=headline_weight)
        if len(classes) < 2:
            return cls(taxonomy, features.fit([texts[i] for i in keep] or [""]), None,
                       classes or names[:1], embedding_weight)
        y = np.array([classes.index(labels[i]) for i in keep])
        weights = np.ones(len(keep)) if sample_weight is None else np.array(
            [sample_weight[i] for i in keep], dtype=np.float64)
        kept_texts = [texts[i] for i in keep]
        dense = np.asarray(embeddings, dtype=np.float64)[keep] * embedding_weight
        # The temperature is fitted to logits of rows the model did not learn from: one
        # stratified slice of a large set, or every row of a small one through k folds (a 10%
        # slice of a few hundred tickets is too few: the demo's tags came out under-confident,
        # calibration error 0.14 against 0.06 with five folds).
        part = _calibration_parts(y, len(classes), holdout, calibration_folds,
                                  np.random.default_rng(seed))
        # The vocabulary and IDF come from every row (they use no label), so the held-out fits
        # have the final columns and the final fit starts from one of them.
        x_sparse = features.fit(kept_texts).transform(kept_texts)
        temperature = no_vector_temperature = 1.0
        first: SoftmaxRegression | None = None
        held = np.flatnonzero(part >= 0)
        if len(held):
            logits = np.zeros((len(keep), len(classes)))
            for k in range(int(part.max()) + 1):
                fit_idx, held_idx = np.flatnonzero(part != k), np.flatnonzero(part == k)
                first = SoftmaxRegression(l2).fit(dense[fit_idx], x_sparse[fit_idx],
                                                  y[fit_idx], len(classes), weights[fit_idx])
                logits[held_idx] = first.logits(dense[held_idx], x_sparse[held_idx])
            temperature = first.fit_temperature(logits[held], y[held]) if first else 1.0
            # Rows without a vector (a language the model does not read) are tagged from
            # their text alone, less surely: they get a temperature of their own when there
            # are enough of them (demo: 0.62 against 0.48 for rows with a vector).
            blank = held[~dense[held].any(axis=1)]
            if first and MIN_CALIBRATION_ROWS <= len(blank) <= len(held) - MIN_CALIBRATION_ROWS:
                no_vector_temperature = first.fit_temperature(logits[blank], y[blank])
                temperature = first.fit_temperature(
                    logits[np.setdiff1d(held, blank)], y[np.setdiff1d(held, blank)])
            else:
                no_vector_temperature = temperature
        model = SoftmaxRegression(l2).fit(dense, x_sparse, y, len(classes), weights, start=first)
        model.temperature = temperature
        tagger = cls(taxonomy, features, model, classes, embedding_weight)
        tagger.no_vector_temperature = no_vector_temperature
        if len(held) and first is not None:
            tagger._learn_vote(np.asarray(embeddings)[keep], y, part, logits, temperature)
        return tagger

    def _learn_vote(self, embeddings: np.ndarray, y: np.ndarray, part: np.ndarray,
                    logits: np.ndarray, temperature: float) -> None:
        """Keep the rows for the nearest tickets' vote and learn its blend weight from the
        held-out rows (agent.vote): each is voted on by the rows its fold trained on."""
        unit, present = vote.unit_rows(embeddings)
        voted = np.zeros((len(y), len(self.classes)))
        rows = np.flatnonzero((part >= 0) & present)
        if len(rows) > vote.VOTE_SAMPLE:  # an even sample of the held-out rows
            rows = rows[np.linspace(0, len(rows) - 1, vote.VOTE_SAMPLE).astype(np.int64)]
        for k in range(int(part.max()) + 1):
            held = rows[part[rows] == k]
            others = (part != k) & present
            voted[held] = vote.vote(unit[held], unit[others], y[others], len(self.classes))
        if not len(rows):
            return
        model = softmax(logits[rows] / temperature)
        self.vote_choice = vote.choose_weight(model, voted[rows], y[rows])
        self.vote_weight = self.vote_choice.weight
        if self.vote_weight > 0:  # kept only when they vote
            self.vote_vectors, self.vote_classes = unit[present], y[present]

    def _logits(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        # The model's logits, computed row by row from the sparse columns without building a
        # sparse matrix (its construction cost more than the arithmetic for one inquiry).
        model = self.model
        assert model is not None
        if model.dense_weights is None or model.sparse_weights is None or model.bias is None:
            raise RuntimeError("the model is not fitted")
        dim = embeddings.shape[1]
        if model.dense_weights.shape[0] != dim:
            raise ValueError(f"the tagger was trained on {model.dense_weights.shape[0]}-d "
                             f"embeddings, not {dim}-d")
        dense = np.asarray(embeddings, dtype=np.float64) * self.embedding_weight
        logits: np.ndarray = dense @ model.dense_weights + model.bias
        for r, text in enumerate(texts):
            cols, values = self.features.row(text)
            if len(cols):
                logits[r] += values @ model.sparse_weights[cols]
        return logits

    def predict_many(self, texts: Sequence[str], embeddings: np.ndarray) -> list[TagPrediction]:
        """Tag several messages at once."""
        if self.model is None:
            only = self.classes[0]
            return [TagPrediction(only, 1.0 / max(1, len(self.taxonomy.names)), {only: 1.0})
                    for _ in texts]
        blank = np.asarray(~np.asarray(embeddings).any(axis=1))
        temperature = np.where(blank, self.no_vector_temperature, self.model.temperature)
        probs = softmax(self._logits(texts, embeddings) / temperature[:, None])
        voters = np.flatnonzero(~blank)
        chosen = probs.argmax(axis=1)
        if self.vote_weight > 0 and len(voters) and \
                self.vote_vectors.shape[1] == embeddings.shape[1]:
            unit, _present = vote.unit_rows(np.asarray(embeddings)[voters])
            voted = vote.vote(unit, self.vote_vectors, self.vote_classes, len(self.classes))
            # The vote decides which tag. Where it agrees with the model, the blend is the
            # confidence when surer; a tag the vote changed keeps the model's own (agent.vote).
            blended = vote.blend(probs[voters], voted, self.vote_weight)
            chosen[voters] = blended.argmax(axis=1)
            rows = np.arange(len(voters))
            mine = chosen[voters]
            surer = ((mine == probs[voters].argmax(axis=1))
                     & (blended[rows, mine] > probs[voters, mine]))
            probs[voters[surer]] = blended[surer]
        sims = None
        if self.neighbours is not None and self.neighbours.shape[1] == embeddings.shape[1]:
            vectors = np.asarray(embeddings, dtype=np.float32)
            sims = vectors @ self.neighbours.T / np.maximum(
                np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
        out = []
        for r, row in enumerate(probs):
            best = int(chosen[r])
            neighbour = None
            if sims is not None and not blank[r]:
                mine = sims[r][self.neighbour_classes == best]
                neighbour = float(mine.max()) if len(mine) else None
            out.append(TagPrediction(self.classes[best], float(row[best]),
                                     {c: float(p) for c, p in zip(self.classes, row, strict=True)},
                                     neighbour))
        return out

    def predict(self, text: str, embedding: np.ndarray) -> TagPrediction:
        """Tag one message."""
        return self.predict_many([text], embedding.reshape(1, -1))[0]
