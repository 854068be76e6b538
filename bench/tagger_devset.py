"""The tagger on long, code-heavy tickets: grouped cross-validation on a development set.

Each fold trains the tagger as the agent does (agent/factory.py: train_tagger): the other
folds' labelled tickets, their vectors where the embedding model reads their language, plus the
taxonomy's descriptions and examples; it then tags the held-out tickets as inquiries (subject
line, then body; a zero vector where the model does not read the language, as
agent.pipeline.Agent.tagging_embedding gives). Tickets that share a `group` (one problem written
in both languages) stay in one fold.

  python bench/tagger_devset.py                          # data/devsets/github_issues
  python bench/tagger_devset.py --folds 10 --json out.json

The default set is the project's own writing (data/devsets/github_issues/README.md): a
development signal, not a measurement on real trackers.

Real issues: `--nlbse DIR` reads the NLBSE'24 issue-report-classification data (DIR holds
issues_train.csv and issues_test.csv, the data/ folder of the public repository
nlbse2024/issue-report-classification; eval/nlbse.py describes it). One tagger per repository
as the competition trains them (`--pooled`: one for all), with the taxonomy of the default set
(bug / feature / question). Without `--test` it cross-validates on the training file only (for
choosing anything); `--test` trains on the whole training file and tags the test file once.
Vectors are kept in `--cache` (default var/tagger-vectors) between runs.

  python bench/tagger_devset.py --nlbse /tmp/nlbse            # 5-fold CV on train, per repo
  python bench/tagger_devset.py --nlbse /tmp/nlbse --test     # the held-out figure
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.tagger import Tagger, expected_calibration_error  # noqa: E402
from eval.nlbse import (  # noqa: E402
    VectorCache,
    cross_validate,
    held_out,
    load_issues,
    prepare,
    published_baselines,
    report,
    scores,
    taxonomy_rows,
)
from eval.public import DatasetError  # noqa: E402
from eval.scorers import tag_metrics  # noqa: E402
from retrieval.chunking import ticket_chunk  # noqa: E402
from retrieval.embeddings import embedder_reads  # noqa: E402
from retrieval.loaders import load_taxonomy, load_tickets  # noqa: E402
from settings import load_settings  # noqa: E402

DEFAULT = ROOT / "data" / "devsets" / "github_issues"


def folds_of(groups: list[str], folds: int, seed: int) -> np.ndarray:
    """Assign each row a fold so that rows of one group share it."""
    names = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(names))
    fold = {names[i]: k % folds for k, i in enumerate(order)}
    return np.array([fold[g] for g in groups])


def summary(truth: list[str], predicted: list[str], labels: list[str]) -> dict[str, object]:
    """Return accuracy, macro-F1, per-class F1 and the confusion counts."""
    scored = tag_metrics([(t,) for t in truth], predicted, labels)
    return {"cases": scored["cases"], "accuracy": round(float(scored["accuracy"] or 0), 4),
            "macro_f1": round(float(scored["macro_f1"] or 0), 4),
            "per_class_f1": {k: round(float(v["f1"]), 4) for k, v in scored["per_class"].items()},
            "confusion": scored["confusion"]}


def main() -> int:
    """Cross-validate the tagger on the set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT,
                        help="holds tickets.jsonl and taxonomy.yaml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--nlbse", type=Path, metavar="DIR",
                        help="real GitHub issues: the NLBSE'24 data folder (issues_train.csv, "
                        "issues_test.csv) instead of a development set")
    parser.add_argument("--test", action="store_true",
                        help="with --nlbse: train on the training file, tag the test file")
    parser.add_argument("--pooled", action="store_true",
                        help="with --nlbse: one tagger for all repositories, not one each")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "tagger-vectors",
                        metavar="DIR", help="with --nlbse: keep vectors here between runs")
    args = parser.parse_args()
    if args.nlbse is not None:
        return nlbse(args)
    loaded = load_tickets(args.folder / "tickets.jsonl")
    if loaded.problems:
        print("\n".join(str(p) for p in loaded.problems), file=sys.stderr)
        return 2
    taxonomy = load_taxonomy(args.folder / "taxonomy.yaml")
    tickets = [t for t in loaded.tickets if t.tag in taxonomy.names]
    chunks = [ticket_chunk(t) for t in tickets]
    texts = [c.text for c in chunks]
    languages = [c.language for c in chunks]
    labels = [str(t.tag) for t in tickets]
    groups = [str(t.metadata.get("group") or t.id) for t in tickets]
    embedder = load_settings().embedder_factory()()
    reads = np.array([embedder_reads(embedder, lang) for lang in languages])
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    if reads.any():
        vectors[reads] = embedder.embed_documents([t for t, r in zip(texts, reads, strict=True)
                                                   if r])
    examples = [(text, spec.name) for spec in taxonomy.tags
                for text in [*spec.examples, spec.description] if text.strip()]
    example_vectors = (embedder.embed_documents([t for t, _ in examples]) if examples
                       else np.zeros((0, embedder.dim), dtype=np.float32))
    fold = folds_of(groups, args.folds, args.seed)
    predicted = [""] * len(texts)
    confidence = np.zeros(len(texts))
    train_s: list[float] = []
    for k in range(args.folds):
        train = np.flatnonzero(fold != k)
        test = np.flatnonzero(fold == k)
        started = time.process_time()
        tagger = Tagger.train(taxonomy, [texts[i] for i in train] + [t for t, _ in examples],
                              np.vstack([vectors[train], example_vectors]),
                              [labels[i] for i in train] + [tag for _, tag in examples])
        train_s.append(time.process_time() - started)
        for i, p in zip(test, tagger.predict_many([texts[i] for i in test], vectors[test]),
                        strict=True):
            predicted[i], confidence[i] = p.tag, p.confidence
    names = list(taxonomy.names)
    correct = [p == t for p, t in zip(predicted, labels, strict=True)]
    figures: dict[str, object] = {
        "set": str(args.folder.relative_to(ROOT) if args.folder.is_relative_to(ROOT)
                   else args.folder),
        "embedder": embedder.name, "folds": args.folds, "seed": args.seed,
        "train_cpu_seconds_per_fold": round(float(np.mean(train_s)), 2),
        "ece": round(expected_calibration_error(confidence, correct), 4),
        "all": summary(labels, predicted, names),
    }
    for lang in sorted(set(languages)):
        idx = [i for i, x in enumerate(languages) if x == lang]
        figures[lang] = summary([labels[i] for i in idx], [predicted[i] for i in idx], names)
    print(f"{figures['set']}: {len(texts)} tickets, {args.folds}-fold grouped cross-validation, "
          f"{embedder.name}; training {figures['train_cpu_seconds_per_fold']} s CPU per fold; "
          f"ECE {figures['ece']}")
    for part in ["all", *sorted(set(languages))]:
        s = figures[part]
        assert isinstance(s, dict)
        print(f"{part}: {s['cases']} tickets, accuracy {s['accuracy']:.3f}, macro-F1 "
              f"{s['macro_f1']:.3f}; F1 " + ", ".join(f"{k} {v:.3f}"
                                                   for k, v in s["per_class_f1"].items()))
        confusion = s["confusion"]
        print("  expected \\ predicted  " + "  ".join(f"{n:>10}" for n in names))
        for t in names:
            print(f"  {t:>20}  " + "  ".join(f"{confusion.get(t, {}).get(p, 0):>10}"
                                             for p in names))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


def nlbse(args: argparse.Namespace) -> int:
    """Cross-validate on the NLBSE training issues, or train on them and tag the test issues."""
    taxonomy = load_taxonomy(args.folder / "taxonomy.yaml")
    labels = list(taxonomy.names)
    cache = VectorCache(args.cache)
    try:
        train_issues = load_issues(args.nlbse / "issues_train.csv", labels)
        test_issues = load_issues(args.nlbse / "issues_test.csv", labels) if args.test else []
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 2
    embedder = load_settings().embedder_factory()()
    started = time.perf_counter()
    train = prepare(train_issues, embedder, cache, "train")
    test = (prepare(test_issues, embedder, cache, "test", documents=False) if args.test
            else train)
    extra = taxonomy_rows(taxonomy, embedder, cache)
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    if args.test:
        predicted = held_out(taxonomy, train, test, extra, pooled=args.pooled)
        how = "trained on issues_train.csv, tagged issues_test.csv"
    else:
        predicted = cross_validate(taxonomy, train, extra, folds=args.folds, seed=args.seed,
                                   pooled=args.pooled)
        how = f"{args.folds}-fold stratified cross-validation on issues_train.csv, seed {args.seed}"
    figures = scores(test.issues, predicted, labels)
    figures.update({"data": str(args.nlbse), "how": how, "embedder": embedder.name,
                    "pooled": args.pooled, "embed_seconds": round(embed_s, 1),
                    "tag_seconds": round(time.perf_counter() - started, 1),
                    "published": published_baselines(args.nlbse)})
    scope = "one tagger for all repositories" if args.pooled else "one tagger per repository"
    print(f"NLBSE'24 issues: {how}; {scope}; "
          f"{embedder.name} (vectors {figures['embed_seconds']} s, training and tagging "
          f"{figures['tag_seconds']} s)")
    print(report(figures, labels, figures["published"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
