"""The offline tagger as a general intent engine: BANKING77 and CLINC150 (full).

Training rows are the labelled past tickets, test rows the inquiries, and the taxonomy is the
dataset's intent list, so this is the same Tagger the agent trains from its store
(agent/factory.py: train_tagger), with no code change for a 77- or 150-label taxonomy.

  python bench/intent_classification.py banking77
  python bench/intent_classification.py clinc150      # plus the out-of-scope threshold curve

Published (see ../shared/datasets/README.md): BANKING77 BERT 93.66; CLINC150 BERT with a
confidence threshold 96.2 in-scope accuracy / 52.3 out-of-scope recall.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.tagger import Tagger  # noqa: E402
from retrieval.loaders import TagSpec, Taxonomy  # noqa: E402
from retrieval.textproc import Analyzer  # noqa: E402
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


def main() -> int:
    """Train on the training rows, score the test rows, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["banking77", "clinc150"])
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    train, test, oos = load(args.dataset)
    labels = sorted({label for _, label in train})
    taxonomy = Taxonomy(tuple(TagSpec(label) for label in labels))
    embedder = load_settings().embedder_factory()()
    analyzer = Analyzer()
    started = time.perf_counter()
    train_vectors = embedder.embed_documents([t for t, _ in train])
    test_vectors = embedder.embed_documents([t for t, _ in test] + oos)
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    tagger = Tagger.train(taxonomy, [t for t, _ in train], train_vectors,
                          [label for _, label in train], analyzer.terms)
    train_s = time.perf_counter() - started
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
        "embed_seconds": round(embed_s, 1), "train_seconds": round(train_s, 1),
        "predict_ms_per_row": round(predict_ms, 3),
    }
    print(f"{args.dataset}: {len(labels)} labels, {len(train)} train, {len(test)} test; "
          f"embedding {embed_s:.0f} s, training {train_s:.0f} s, {predict_ms:.2f} ms/row")
    print(f"accuracy {accuracy:.4f}")
    confidences = np.array([p.confidence for p in in_scope])
    correct = np.array([p.tag == label for p, (_, label) in zip(in_scope, test, strict=True)])
    # Expected calibration error over 10 bins: how far confidence is from accuracy.
    bins = np.minimum((confidences * 10).astype(int), 9)
    ece = sum(abs(correct[bins == b].mean() - confidences[bins == b].mean()) * (bins == b).mean()
              for b in range(10) if (bins == b).any())
    figures["ece"] = round(float(ece), 4)
    print(f"expected calibration error {ece:.4f}")
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
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
