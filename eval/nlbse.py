"""The tagger on real GitHub issues: the NLBSE'24 issue-report-classification data.

The data is the public repository nlbse2024/issue-report-classification (its `data/` and
`output/` folders; it is never copied into this repository). `data/issues_train.csv` and
`data/issues_test.csv` have the columns repo, created_at, label, title, body: 300 issues per
repository in each (100 per label: bug, feature, question) from facebook/react,
tensorflow/tensorflow, microsoft/vscode, bitcoin/bitcoin and opencv/opencv. The competition
trains one model per repository and ranks by the mean over repositories of the macro-F1 on
the test file; `output/*/results.json` hold the published baselines' figures.

Each issue becomes a labelled ticket (subject = title, body = body) and the tagger is trained
as the agent trains it (agent/factory.py: train_tagger): the tickets' text as indexed
(retrieval.chunking.ticket_chunk) with their stored (document) vectors, plus the taxonomy's
descriptions and examples; an issue to tag is read as an inquiry (its query vector,
agent.pipeline.Agent.tagging_embedding).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.tagger import Tagger
from eval.public import DatasetError
from eval.scorers import tag_metrics
from retrieval.chunking import ticket_chunk
from retrieval.embeddings import Embedder, embed_queries, embedder_reads
from retrieval.loaders import Taxonomy
from retrieval.types import Ticket

COLUMNS = ("repo", "label", "title", "body")
# The published baselines: output/results.json is the SetFit run of the competition's README
# table; output/<model>/results.json the later runs of three models.
BASELINES = {"setfit-readme": "results.json", "setfit": "setfit/results.json",
             "roberta": "roberta/results.json", "fasttext": "fasttext/results.json"}


@dataclass(frozen=True)
class Issue:
    """One labelled issue of the data set."""

    repo: str
    label: str
    title: str
    body: str

    def ticket(self, ident: str) -> Ticket:
        """Return the issue as a past ticket (subject = title)."""
        return Ticket(id=ident, subject=self.title.strip() or None, body=self.body, tag=self.label)


def load_issues(path: Path, labels: Sequence[str] = ()) -> list[Issue]:
    """Read an NLBSE issues CSV (repo, created_at, label, title, body).

    Rows with an empty title and body are skipped; a missing column, an empty repo or label,
    or (when `labels` is given) a label outside it is an error.
    """
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}; pass the folder that "
                           "holds issues_train.csv and issues_test.csv (the data/ folder of "
                           "nlbse2024/issue-report-classification)") from exc
    csv.field_size_limit(sys.maxsize)  # some bodies hold whole logs (200,000 characters)
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path}: no column {', '.join(missing)} (expected "
                               f"{', '.join(COLUMNS)})")
        issues = []
        for n, row in enumerate(reader, start=2):
            repo, label = (row["repo"] or "").strip(), (row["label"] or "").strip()
            title, body = row["title"] or "", row["body"] or ""
            if not (title.strip() or body.strip()):
                continue
            if not repo or not label:
                raise DatasetError(f"{path}:{n}: empty repo or label")
            if labels and label not in labels:
                raise DatasetError(f"{path}:{n}: label {label!r} is not one of "
                                   f"{', '.join(labels)}")
            issues.append(Issue(repo, label, title, body))
    if not issues:
        raise DatasetError(f"{path}: no issues")
    return issues


def published_baselines(folder: Path) -> dict[str, dict[str, float]]:
    """Return the published macro-F1 per model and repository from `output/*/results.json`
    beside the data (`folder` may be the repository or its data/ folder); {} when absent."""
    root = folder.parent if (folder / "issues_train.csv").exists() and \
        not (folder / "output").is_dir() else folder
    found: dict[str, dict[str, float]] = {}
    for model, name in BASELINES.items():
        path = root / "output" / name
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        figures = {}
        for repo, value in data.items():
            # {"average": {...}} or {"metrics": {"macro avg" or "average": {...}}}
            metrics = value.get("metrics", value) if isinstance(value, dict) else {}
            average = metrics.get("macro avg") or metrics.get("average")
            if isinstance(average, dict) and "f1-score" in average:
                figures[repo] = round(float(average["f1-score"]), 4)
        if figures:
            found[model] = figures
    return found


class VectorCache:
    """Vectors kept in a file per model and kind (document, query), keyed by the text's hash:
    a second run embeds only texts it has not seen."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, model: str, kind: str) -> Path:
        assert self.folder is not None
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model)
        return self.folder / f"{slug}-{kind}.npz"

    def vectors(self, model: str, kind: str, texts: Sequence[str],
                embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Return the texts' vectors, embedding (with `embed`) only those not cached."""
        if self.folder is None:
            return np.asarray(embed(list(texts)), dtype=np.float32)
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        path = self._path(model, kind)
        known: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as stored:
                known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
        todo = list({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
        if todo:
            fresh = np.asarray(embed([t for _, t in todo]), dtype=np.float32)
            known.update(zip((k for k, _ in todo), fresh, strict=True))
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".tmp.npz")
            np.savez(partial, keys=np.array(list(known)),
                     vectors=np.vstack(list(known.values())))
            partial.replace(path)
        return np.vstack([known[k] for k in keys]).astype(np.float32)


@dataclass
class Prepared:
    """Issues turned into what the tagger reads: texts, labels and both kinds of vector."""

    issues: list[Issue]
    texts: list[str]
    documents: np.ndarray  # the vectors their tickets are stored with
    queries: np.ndarray  # the vectors they get as inquiries


def prepare(issues: Sequence[Issue], embedder: Embedder, cache: VectorCache,
            prefix: str = "issue", *, documents: bool = True) -> Prepared:
    """Turn issues into ticket texts and vectors (zeros in a language the model does not read,
    as the store and the agent give them); `documents=False` leaves the document vectors
    zero (issues only tagged, never trained on, need none)."""
    chunks = [ticket_chunk(issue.ticket(f"{prefix}-{n}")) for n, issue in enumerate(issues)]
    texts = [c.text for c in chunks]
    reads = np.array([embedder_reads(embedder, c.language) for c in chunks], dtype=bool)
    stored = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    queries = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    read = [t for t, r in zip(texts, reads, strict=True) if r]
    if read and documents:
        stored[reads] = cache.vectors(embedder.name, "document", read,
                                      lambda ts: np.asarray(embedder.embed_documents(ts)))
    if read:
        queries[reads] = cache.vectors(embedder.name, "query", read,
                                       lambda ts: embed_queries(embedder, ts))
    return Prepared(list(issues), texts, stored, queries)


TrainTagger = Callable[[Taxonomy, list[str], np.ndarray, list[str]], Tagger]


def default_train(taxonomy: Taxonomy, texts: list[str], vectors: np.ndarray,
                  labels: list[str]) -> Tagger:
    """Train the tagger with the agent's settings."""
    return Tagger.train(taxonomy, texts, vectors, labels)


def taxonomy_rows(taxonomy: Taxonomy, embedder: Embedder,
                  cache: VectorCache) -> tuple[list[str], np.ndarray, list[str]]:
    """Return the taxonomy's descriptions and examples as training rows (train_tagger)."""
    rows = [(text, spec.name) for spec in taxonomy.tags
            for text in [*spec.examples, spec.description] if text.strip()]
    if not rows:
        return [], np.zeros((0, embedder.dim), dtype=np.float32), []
    vectors = cache.vectors(embedder.name, "document", [t for t, _ in rows],
                            lambda ts: np.asarray(embedder.embed_documents(ts)))
    return [t for t, _ in rows], vectors, [label for _, label in rows]


def fit_and_tag(taxonomy: Taxonomy, train: Prepared, train_idx: np.ndarray, test: Prepared,
                test_idx: np.ndarray, extra: tuple[list[str], np.ndarray, list[str]],
                trainer: TrainTagger = default_train) -> list[str]:
    """Train on some rows of `train` (plus the taxonomy's rows) and tag some rows of `test`."""
    texts, vectors, labels = extra
    tagger = trainer(taxonomy, [train.texts[i] for i in train_idx] + texts,
                     np.vstack([train.documents[train_idx], vectors]),
                     [train.issues[i].label for i in train_idx] + labels)
    return [p.tag for p in tagger.predict_many([test.texts[i] for i in test_idx],
                                               test.queries[test_idx])]


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """Assign each row a fold, each label spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    for label in sorted(set(labels)):
        members = rng.permutation([i for i, x in enumerate(labels) if x == label])
        fold[members] = (np.arange(len(members)) + rng.integers(folds)) % folds
    return fold


def groups_of(issues: Sequence[Issue], pooled: bool) -> dict[str, np.ndarray]:
    """Return the row indices of each model's data: one per repository, or all together."""
    if pooled:
        return {"all repositories": np.arange(len(issues))}
    repos = sorted({i.repo for i in issues})
    return {r: np.array([n for n, i in enumerate(issues) if i.repo == r]) for r in repos}


def cross_validate(taxonomy: Taxonomy, train: Prepared,
                   extra: tuple[list[str], np.ndarray, list[str]], *, folds: int = 5,
                   seed: int = 0, pooled: bool = False,
                   trainer: TrainTagger = default_train) -> list[str]:
    """Return out-of-fold tags of every training issue (stratified k-fold within each
    repository's rows, or within all rows when pooled)."""
    predicted = [""] * len(train.issues)
    for rows in groups_of(train.issues, pooled).values():
        fold = stratified_folds([train.issues[i].label for i in rows], folds, seed)
        for k in range(folds):
            fit, held = rows[fold != k], rows[fold == k]
            for i, tag in zip(held, fit_and_tag(taxonomy, train, fit, train, held, extra,
                                                trainer), strict=True):
                predicted[i] = tag
    return predicted


def held_out(taxonomy: Taxonomy, train: Prepared, test: Prepared,
             extra: tuple[list[str], np.ndarray, list[str]], *, pooled: bool = False,
             trainer: TrainTagger = default_train) -> list[str]:
    """Train on the training issues (per repository, or pooled) and tag the test issues."""
    predicted = [""] * len(test.issues)
    train_groups = groups_of(train.issues, pooled)
    for name, rows in groups_of(test.issues, pooled).items():
        if name not in train_groups:
            raise DatasetError(f"no training issues of {name}")
        for i, tag in zip(rows, fit_and_tag(taxonomy, train, train_groups[name], test, rows,
                                            extra, trainer), strict=True):
            predicted[i] = tag
    return predicted


def scores(issues: Sequence[Issue], predicted: Sequence[str],
           labels: Sequence[str]) -> dict[str, Any]:
    """Return per-repository figures (macro-F1, per-class F1, confusion) and their mean."""
    repos: dict[str, Any] = {}
    for repo in sorted({i.repo for i in issues}):
        idx = [n for n, i in enumerate(issues) if i.repo == repo]
        scored = tag_metrics([(issues[n].label,) for n in idx], [predicted[n] for n in idx],
                             labels)
        repos[repo] = {
            "issues": len(idx), "accuracy": round(float(scored["accuracy"] or 0), 4),
            "macro_f1": round(float(scored["macro_f1"] or 0), 4),
            "per_class_f1": {k: round(float(v["f1"]), 4)
                             for k, v in scored["per_class"].items()},
            "confusion": scored["confusion"]}
    every = tag_metrics([(i.label,) for i in issues], list(predicted), labels)
    return {"repos": repos,
            "mean_macro_f1": round(float(np.mean([r["macro_f1"] for r in repos.values()])), 4),
            "all": {"accuracy": round(float(every["accuracy"] or 0), 4),
                    "macro_f1": round(float(every["macro_f1"] or 0), 4),
                    "per_class_f1": {k: round(float(v["f1"]), 4)
                                     for k, v in every["per_class"].items()},
                    "confusion": every["confusion"]}}


def report(figures: dict[str, Any], labels: Sequence[str],
           baselines: dict[str, dict[str, float]]) -> str:
    """Format the figures as a table with the published baselines beside them."""
    models = list(baselines)
    width = {m: max(8, len(m)) for m in models}
    lines = [f"{'repository':<24} {'macro-F1':>8}  " + "  ".join(f"{m:>{width[m]}}"
                                                                for m in models)
             + "  per-class F1 (" + ", ".join(labels) + ")"]
    for repo, r in figures["repos"].items():
        lines.append(f"{repo:<24} {r['macro_f1']:>8.4f}  "
                     + "  ".join(f"{baselines[m].get(repo, float('nan')):>{width[m]}.4f}"
                                 for m in models)
                     + "  " + " / ".join(f"{r['per_class_f1'].get(x, 0):.3f}" for x in labels))
    lines.append(f"{'mean':<24} {figures['mean_macro_f1']:>8.4f}  "
                 + "  ".join(f"{baselines[m].get('overall', float('nan')):>{width[m]}.4f}"
                             for m in models))
    for repo, r in [*figures["repos"].items(), ("all", figures["all"])]:
        lines.append(f"confusion, {repo} (rows expected, columns predicted: "
                     + ", ".join(labels) + ")")
        for t in labels:
            lines.append(f"  {t:>10}  " + "  ".join(
                f"{r['confusion'].get(t, {}).get(p, 0):>5}" for p in labels))
    return "\n".join(lines)
