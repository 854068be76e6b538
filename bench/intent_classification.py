"""The offline tagger as a general intent engine: BANKING77 and CLINC150 (full).

Training rows are the labelled past tickets, test rows the inquiries, and the taxonomy is the
dataset's intent list, so this is the same Tagger the agent trains from its store
(agent/factory.py: train_tagger), with no code change for a 77- or 150-label taxonomy.

  python bench/intent_classification.py banking77
  python bench/intent_classification.py clinc150      # plus the out-of-scope threshold curve
  python bench/intent_classification.py banking77 --cache /tmp/intent-vectors   # embed once

Published (see ../shared/datasets/README.md): BANKING77 BERT 93.66; CLINC150 BERT with a
confidence threshold 96.2 in-scope accuracy / 52.3 out-of-scope recall.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.tagger import Tagger, expected_calibration_error  # noqa: E402
from eval.scorers import tag_metrics  # noqa: E402
from retrieval.embeddings import Embedder  # noqa: E402
from retrieval.loaders import TagSpec, Taxonomy  # noqa: E402
from settings import load_settings  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"


def load(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """Return (train, test, oos_test) rows for a dataset; test rows are (text, label)."""
    if name == "banking77":
        def rows(file: str) -> list[tuple[str, str]]:
            with (DATA / "banking77" / file).open(encoding="utf-8") as fh:
                return [(r["text"], r["category"]) for r in csv.DictReader(fh)]
        return rows("train.csv"), rows("test.csv"), []
    data = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return ([(t, label) for t, label in data["train"]], [(t, label) for t, label in data["test"]],
            [t for t, _ in data["oos_test"]])


def embed(embedder: Embedder, texts: list[str], cache: Path | None, name: str) -> np.ndarray:
    """Embed texts, or read the vectors a previous run of the same model saved in cache."""
    if cache is None:
        return np.asarray(embedder.embed_documents(texts))
    digest = hashlib.sha256("\x1f".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    path = cache / f"{name}-{digest}.npy"
    if path.exists():
        return np.asarray(np.load(path))
    vectors = np.asarray(embedder.embed_documents(texts))
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def main() -> int:
    """Train on the training rows, score the test rows, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["banking77", "clinc150"])
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep the datasets' vectors here between runs (keyed by model and "
                        "text), so that only the tagger's training and tagging are re-run")
    args = parser.parse_args()
    train, test, oos = load(args.dataset)
    labels = sorted({label for _, label in train})
    taxonomy = Taxonomy(tuple(TagSpec(label) for label in labels))
    embedder = load_settings().embedder_factory()()
    started = time.perf_counter()
    train_vectors = embed(embedder, [t for t, _ in train], args.cache, f"{args.dataset}-train")
    test_vectors = embed(embedder, [t for t, _ in test] + oos, args.cache, f"{args.dataset}-test")
    embed_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    tagger = Tagger.train(taxonomy, [t for t, _ in train], train_vectors,
                          [label for _, label in train])
    train_s, train_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    predictions = tagger.predict_many([t for t, _ in test] + oos, test_vectors)
    predict_ms = 1000 * (time.perf_counter() - started) / len(predictions)
    in_scope = predictions[:len(test)]
    out_scope = predictions[len(test):]
    accuracy = float(np.mean([p.tag == label for p, (_, label) in zip(in_scope, test,
                                                                       strict=True)]))
    figures: dict[str, object] = {
        "dataset": args.dataset, "train_rows": len(train), "test_rows": len(test),
        "labels": len(labels), "accuracy": round(accuracy, 4),
        "temperature": round(tagger.model.temperature if tagger.model else 1.0, 3),
        "embedder": embedder.name, "embed_seconds": round(embed_s, 1),
        "train_seconds": round(train_s, 1), "train_cpu_seconds": round(train_cpu, 1),
        "predict_ms_per_row": round(predict_ms, 3),
    }
    print(f"{args.dataset}: {len(labels)} labels, {len(train)} train, {len(test)} test; "
          f"embedding {embed_s:.0f} s, training {train_s:.0f} s ({train_cpu:.0f} s CPU), "
          f"{predict_ms:.2f} ms/row")
    print(f"accuracy {accuracy:.4f}")
    confidences = np.array([p.confidence for p in in_scope])
    correct = np.array([p.tag == label for p, (_, label) in zip(in_scope, test, strict=True)])
    # Expected calibration error over 10 bins: how far confidence is from accuracy.
    ece = expected_calibration_error(confidences, correct)
    figures["ece"] = round(ece, 4)
    print(f"expected calibration error {ece:.4f}")
    scored = tag_metrics([(label,) for _, label in test], [p.tag for p in in_scope], labels)
    per_class = {label: round(float(c["f1"]), 4) for label, c in scored["per_class"].items()}
    figures["macro_f1"] = round(float(scored["macro_f1"] or 0.0), 4)
    figures["per_class_f1"] = per_class
    figures["confusion"] = scored["confusion"]
    print(f"macro-F1 {figures['macro_f1']:.4f}; lowest per-class F1: " + ", ".join(
        f"{label} {f1:.3f}" for label, f1 in sorted(per_class.items(), key=lambda kv: kv[1])[:8]))
    mistakes = sorted(((n, truth, guess) for truth, row in scored["confusion"].items()
                       for guess, n in row.items() if guess != truth), reverse=True)[:8]
    print("most frequent confusions (expected -> predicted): " + ", ".join(
        f"{truth} -> {guess} {n}" for n, truth, guess in mistakes))
    if oos:
        oos_conf = np.array([p.confidence for p in out_scope])
        curve = []
        print(f"{'threshold':>9} {'in-scope acc':>12} {'oos recall':>10}")
        for t in [round(x, 2) for x in np.arange(0.1, 0.95, 0.05)]:
            # Escalate (treat as out of scope) when confidence is below t; an in-scope row
            # counts as correct only if kept and tagged right.
            in_acc = float(np.mean(correct & (confidences >= t)))
            oos_recall = float(np.mean(oos_conf < t))
            curve.append({"threshold": t, "in_scope_accuracy": round(in_acc, 4),
                          "oos_recall": round(oos_recall, 4)})
            print(f"{t:9.2f} {in_acc:12.4f} {oos_recall:10.4f}")
        figures["oos_curve"] = curve
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
