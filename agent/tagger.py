"""The offline tagger: multinomial logistic regression over embeddings and TF-IDF terms.

Learned from labelled past tickets plus the taxonomy's descriptions and examples, so a custom
taxonomy (77 banking intents, say) needs no code change. Probabilities are softmax outputs of
an L2-regularised model with a temperature fitted on held-out rows, so the confidence means
something: it is used to decide whether to trust the tag.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import optimize, sparse

from retrieval.loaders import Taxonomy

Terms = Callable[[str], list[str]]


@dataclass(frozen=True)
class TagPrediction:
    """A tag with its probability and the runner-up probabilities."""

    tag: str
    confidence: float
    probabilities: dict[str, float]


class SoftmaxRegression:
    """Multinomial logistic regression with L2, fitted by L-BFGS on sparse features."""

    def __init__(self, l2: float = 1.0, max_iter: int = 300) -> None:
        self.l2 = l2
        self.max_iter = max_iter
        self.weights: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.temperature = 1.0

    def fit(
        self, features: sparse.csr_matrix, labels: np.ndarray, n_classes: int,
        sample_weight: np.ndarray | None = None,
    ) -> SoftmaxRegression:
        """Fit weights to rows of features and their integer labels."""
        n, d = features.shape
        weight = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
        weight = weight / weight.sum()
        onehot = np.zeros((n, n_classes))
        onehot[np.arange(n), labels] = 1.0
        xt = features.T.tocsr()

        def loss_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
            w = flat[: d * n_classes].reshape(d, n_classes)
            b = flat[d * n_classes:]
            logits = features @ w + b
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            probs = exp / exp.sum(axis=1, keepdims=True)
            log_likelihood = (weight * np.log((probs * onehot).sum(axis=1) + 1e-12)).sum()
            loss = -log_likelihood + 0.5 * self.l2 * float((w * w).sum()) / n
            delta = (probs - onehot) * weight[:, None]
            grad_w = np.asarray(xt @ delta) + self.l2 * w / n
            grad_b = delta.sum(axis=0)
            return loss, np.concatenate([grad_w.ravel(), grad_b])

        start = np.zeros(d * n_classes + n_classes)
        result = optimize.minimize(loss_grad, start, jac=True, method="L-BFGS-B",
                                   options={"maxiter": self.max_iter})
        self.weights = result.x[: d * n_classes].reshape(d, n_classes)
        self.bias = result.x[d * n_classes:]
        return self

    def logits(self, features: sparse.csr_matrix) -> np.ndarray:
        """Return raw class scores."""
        if self.weights is None or self.bias is None:
            raise RuntimeError("the model is not fitted")
        return np.asarray(features @ self.weights + self.bias)

    def predict_proba(self, features: sparse.csr_matrix) -> np.ndarray:
        """Return calibrated class probabilities."""
        return _softmax(self.logits(features) / self.temperature)

    def fit_temperature(self, features: sparse.csr_matrix, labels: np.ndarray) -> float:
        """Fit the softmax temperature on held-out rows (minimum negative log-likelihood)."""
        logits = self.logits(features)

        def nll(t: float) -> float:
            probs = _softmax(logits / t)
            return float(-np.log(probs[np.arange(len(labels)), labels] + 1e-12).mean())

        found = optimize.minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded")
        self.temperature = float(found.x)
        return self.temperature


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class TermVectorizer:
    """TF-IDF over analyser terms and their bigrams, L2-normalised rows."""

    def __init__(self, terms: Terms, min_df: int = 1) -> None:
        self._terms = terms
        self.min_df = min_df
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0)

    def _grams(self, text: str) -> list[str]:
        words = self._terms(text)
        return words + [f"{a} {b}" for a, b in pairwise(words)]

    def fit(self, texts: Sequence[str]) -> TermVectorizer:
        """Learn the vocabulary and IDF from texts."""
        df: dict[str, int] = {}
        for text in texts:
            for gram in set(self._grams(text)):
                df[gram] = df.get(gram, 0) + 1
        kept = sorted(g for g, c in df.items() if c >= self.min_df)
        self.vocab = {g: i for i, g in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([np.log((1 + n) / (1 + df[g])) + 1.0 for g in kept])
        return self

    def row(self, text: str) -> tuple[list[int], np.ndarray]:
        """Return one text's TF-IDF row as its columns and their values."""
        counts: dict[int, int] = {}
        for gram in self._grams(text):
            col = self.vocab.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return [], np.zeros(0)
        values = np.array([(1 + np.log(c)) * self.idf[k] for k, c in counts.items()])
        values /= np.linalg.norm(values) or 1.0
        return list(counts), values

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Turn texts into TF-IDF rows."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for r, text in enumerate(texts):
            keys, values = self.row(text)
            rows += [r] * len(keys)
            cols += keys
            vals += values.tolist()
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocab)))


class Tagger:
    """Predict a taxonomy tag from a message's text and embedding."""

    def __init__(self, taxonomy: Taxonomy, vectorizer: TermVectorizer,
                 model: SoftmaxRegression | None, classes: list[str],
                 embedding_weight: float, term_weight: float) -> None:
        self.taxonomy = taxonomy
        self.vectorizer = vectorizer
        self.model = model
        self.classes = classes
        self.embedding_weight = embedding_weight
        self.term_weight = term_weight

    @classmethod
    def train(
        cls,
        taxonomy: Taxonomy,
        texts: Sequence[str],
        embeddings: np.ndarray,
        labels: Sequence[str],
        terms: Terms,
        *,
        sample_weight: Sequence[float] | None = None,
        l2: float = 1.0,
        embedding_weight: float = 1.0,
        term_weight: float = 1.0,
        holdout: float = 0.1,
        seed: int = 13,
    ) -> Tagger:
        """Fit on labelled rows; labels outside the taxonomy are ignored."""
        names = taxonomy.names
        keep = [i for i, label in enumerate(labels) if label in names]
        classes = sorted({labels[i] for i in keep}, key=names.index)
        vectorizer = TermVectorizer(terms)
        if len(classes) < 2:
            return cls(taxonomy, vectorizer.fit([texts[i] for i in keep] or [""]), None,
                       classes or names[:1], embedding_weight, term_weight)
        y = np.array([classes.index(labels[i]) for i in keep])
        weights = np.ones(len(keep)) if sample_weight is None else np.array(
            [sample_weight[i] for i in keep], dtype=np.float64)
        kept_texts = [texts[i] for i in keep]
        kept_emb = embeddings[keep]
        # Hold out a stratified slice to fit the temperature, then refit on everything.
        rng = np.random.default_rng(seed)
        held = np.zeros(len(keep), dtype=bool)
        if holdout > 0 and len(keep) >= 50:
            for c in range(len(classes)):
                members = np.flatnonzero(y == c)
                take = int(len(members) * holdout)
                if take and len(members) - take >= 2:
                    held[rng.choice(members, take, replace=False)] = True
        tagger = cls(taxonomy, vectorizer, None, classes, embedding_weight, term_weight)
        temperature = 1.0
        if held.any():
            train_idx = np.flatnonzero(~held)
            vectorizer.fit([kept_texts[i] for i in train_idx])
            x_train = tagger._features([kept_texts[i] for i in train_idx], kept_emb[train_idx])
            model = SoftmaxRegression(l2).fit(x_train, y[train_idx], len(classes),
                                              weights[train_idx])
            held_idx = np.flatnonzero(held)
            x_held = tagger._features([kept_texts[i] for i in held_idx], kept_emb[held_idx])
            temperature = model.fit_temperature(x_held, y[held_idx])
        vectorizer.fit(kept_texts)
        model = SoftmaxRegression(l2).fit(tagger._features(kept_texts, kept_emb), y,
                                          len(classes), weights)
        model.temperature = temperature
        tagger.model = model
        return tagger

    def _features(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float64)
                                  * self.embedding_weight)
        return sparse.hstack([dense, self.vectorizer.transform(texts) * self.term_weight],
                             format="csr")

    def _logits(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        # The model's logits over `_features`, computed without building the sparse matrix
        # (its construction cost more than the arithmetic when tagging one inquiry).
        assert self.model is not None
        if self.model.weights is None or self.model.bias is None:
            raise RuntimeError("the model is not fitted")
        weights = self.model.weights
        dim = embeddings.shape[1]
        if weights.shape[0] != dim + len(self.vectorizer.vocab):
            raise ValueError(f"the tagger was trained on {weights.shape[0] - len(self.vectorizer.vocab)}"
                             f"-d embeddings, not {dim}-d")
        dense = np.asarray(embeddings, dtype=np.float64) * self.embedding_weight
        logits: np.ndarray = dense @ weights[:dim] + self.model.bias
        for r, text in enumerate(texts):
            cols, values = self.vectorizer.row(text)
            if cols:
                logits[r] += (values * self.term_weight) @ weights[dim:][cols]
        return logits

    def predict_many(self, texts: Sequence[str], embeddings: np.ndarray) -> list[TagPrediction]:
        """Tag several messages at once."""
        if self.model is None:
            only = self.classes[0]
            return [TagPrediction(only, 1.0 / max(1, len(self.taxonomy.names)), {only: 1.0})
                    for _ in texts]
        probs = _softmax(self._logits(texts, embeddings) / self.model.temperature)
        out = []
        for row in probs:
            best = int(row.argmax())
            out.append(TagPrediction(self.classes[best], float(row[best]),
                                     {c: float(p) for c, p in zip(self.classes, row, strict=True)}))
        return out

    def predict(self, text: str, embedding: np.ndarray) -> TagPrediction:
        """Tag one message."""
        return self.predict_many([text], embedding.reshape(1, -1))[0]
