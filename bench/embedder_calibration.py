"""Measure where each local embedder's cosines sit, and whether it finds answers across languages.

On the demo knowledge base (data/demo/kb), for every demo eval case with relevant articles
(data/demo/eval/cases.jsonl), the question is embedded as a query and each article scored by
its best chunk's cosine:

- **Scale.** The cosines of answers (the case's relevant articles) and of unrelated articles,
  in the question's language and in the other. `retrieval.embeddings.CosineScale` turns
  cosines into evidence; MiniLM's scale (0.25 unrelated, 0.70 answer) is what the agent's
  thresholds were tuned on. Another model's scale is set at the same percentiles of its own
  distributions: `unrelated` at the percentile of MiniLM's unrelated English cosines that
  0.25 sits at, `paraphrase` at the percentile of MiniLM's English answers that 0.70 sits at
  (its same-language cosines, for each question language and both pooled); `cross_language`
  is the difference between the medians of unrelated pairs in one language and in two.
- **Across languages, by vector** (HybridRetriever, mode="vector", grouped by article): a
  Japanese question whose relevant articles are all English (the demo's own cases), and
  questions whose answer exists in both languages with the question's own language hidden
  (data/demo/eval/counterparts.json), in both directions: the answer's rank, top-1 and top-3.
  Printed with the calibrated merge (what search does) and with plain cosines.

    python bench/embedder_calibration.py [--embedders local,e5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.embeddings import (  # noqa: E402
    REFERENCE_SCALE,
    CosineScale,
    Embedder,
    cosine_scale,
)
from retrieval.indexer import Indexer  # noqa: E402
from retrieval.loaders import load_knowledge_base  # noqa: E402
from retrieval.search import HybridRetriever  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from settings import load_settings  # noqa: E402

DEMO = ROOT / "data" / "demo"


def cases() -> list[dict[str, Any]]:
    """Return the demo eval cases that name relevant articles."""
    rows = [json.loads(line) for line in (DEMO / "eval" / "cases.jsonl").open(encoding="utf-8")]
    return [c for c in rows if c.get("relevant_ids") and c.get("inquiry")]


def best_cosines(store: KnowledgeStore, embedder: Embedder, question: str) -> dict[str, float]:
    """Return each article's best chunk cosine with the question (as a query)."""
    flat = store.flat_vectors("kb")
    assert flat is not None, "the demo store is small enough for the exact copy"
    _, rows = store.lexical("kb")
    scores = store.vectors.embeddings("kb", flat.ids) @ embedder.embed_query(question)
    best: dict[str, float] = {}
    for chunk_id, score in zip(flat.ids, scores.tolist(), strict=True):
        doc = rows[chunk_id].doc_id
        best[doc] = max(best.get(doc, -1.0), float(score))
    return best


def distributions(store: KnowledgeStore, embedder: Embedder, languages: dict[str, str],
                  question_language: str | None = None) -> dict[str, list[float]]:
    """Return the cosines of answers and unrelated articles, same and cross language (of the
    questions in one language, or of all)."""
    out: dict[str, list[float]] = {k: [] for k in ("answer_same", "answer_cross",
                                                   "unrelated_same", "unrelated_cross")}
    for case in cases():
        if question_language is not None and case["language"] != question_language:
            continue
        relevant = set(case["relevant_ids"])
        for doc, score in best_cosines(store, embedder, case["inquiry"]).items():
            kind = "answer" if doc in relevant else "unrelated"
            where = "same" if languages[doc] == case["language"] else "cross"
            out[f"{kind}_{where}"].append(score)
    return out


def matched_scale(reference: dict[str, list[float]], own: dict[str, list[float]]) -> CosineScale:
    """Return the scale at the reference scale's percentiles of the reference distributions."""
    q_unrelated = float(np.mean(np.asarray(reference["unrelated_same"])
                                <= REFERENCE_SCALE.unrelated))
    q_answer = float(np.mean(np.asarray(reference["answer_same"]) <= REFERENCE_SCALE.paraphrase))
    cross = (float(np.median(own["unrelated_same"])) - float(np.median(own["unrelated_cross"]))
             if own["unrelated_cross"] else 0.0)
    return CosineScale(unrelated=round(float(np.quantile(own["unrelated_same"], q_unrelated)), 3),
                       paraphrase=round(float(np.quantile(own["answer_same"], q_answer)), 3),
                       cross_language=round(cross, 3))


def crosslingual_sets(languages: dict[str, str]) -> dict[str, list[tuple[str, set[str],
                                                                            set[str]]]]:
    """Return (question, expected articles, hidden articles) per cross-language set."""
    pairs = json.loads((DEMO / "eval" / "counterparts.json").read_text(encoding="utf-8"))
    other_side: dict[str, tuple[set[str], set[str]]] = {}  # doc -> (its side, the other side)
    for en, ja in pairs["pairs"]:
        for doc in en:
            other_side[doc] = (set(en), set(ja))
        for doc in ja:
            other_side[doc] = (set(ja), set(en))
    sets: dict[str, list[tuple[str, set[str], set[str]]]] = {
        "ja->en (demo cases)": [], "ja->en (own side hidden)": [],
        "en->ja (own side hidden)": []}
    for case in cases():
        relevant = set(case["relevant_ids"])
        lang = case["language"]
        if lang == "ja" and all(languages[d] == "en" for d in relevant):
            sets["ja->en (demo cases)"].append((case["inquiry"], relevant, set()))
        elif all(languages[d] == lang for d in relevant) and all(d in other_side
                                                                  for d in relevant):
            hidden = set().union(*(other_side[d][0] for d in relevant))
            expected = set().union(*(other_side[d][1] for d in relevant))
            sets[f"{lang}->{'ja' if lang == 'en' else 'en'} (own side hidden)"].append(
                (case["inquiry"], expected, hidden))
    return sets


def ranks(retriever: HybridRetriever, question: str, language: str, expected: set[str],
          hidden: set[str]) -> int | None:
    """Return the 1-based rank of the first expected article by vector, hidden ones removed."""
    hits = retriever.search(question, k=200, mode="vector", group_by_document=True,
                            query_language=language)
    docs = [h.doc_id for h in hits if h.doc_id not in hidden]
    return next((i + 1 for i, d in enumerate(docs) if d in expected), None)


def main() -> int:
    """Build a demo store per embedder and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default="local,e5")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    docs = load_knowledge_base(DEMO / "kb").documents
    report: dict[str, Any] = {}
    found: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.embedders.split(","):
            settings = load_settings(embedder=name)
            embedder = settings.embedder_factory()()
            store = KnowledgeStore.open(StoreConfig(Path(tmp) / name))
            started = time.perf_counter()
            Indexer(store, embedder, progress=False).sync("kb", docs)
            print(f"\n== {embedder.name}: demo KB indexed in {time.perf_counter() - started:.1f} s")
            _, rows = store.lexical("kb")
            languages = {r.doc_id: r.language for r in rows.values()}
            dist = distributions(store, embedder, languages)
            found[name] = dist
            entry: dict[str, Any] = {"embedder": embedder.name}
            for key, values in dist.items():
                if values:
                    a = np.asarray(values)
                    entry[key] = {"n": len(a), "median": round(float(np.median(a)), 3),
                                  "p10": round(float(np.percentile(a, 10)), 3),
                                  "p90": round(float(np.percentile(a, 90)), 3)}
                    print(f"{key:16s} n={len(a):5d} median {np.median(a):.3f} "
                          f"p10 {np.percentile(a, 10):.3f} p90 {np.percentile(a, 90):.3f}")
            if name != "local" and "local" in found:
                scale = matched_scale(found["local"], dist)
                entry["matched_scale"] = scale.__dict__
                print(f"scale at MiniLM's percentiles, all questions: {scale}")
                for lang in ("en", "ja"):
                    own = distributions(store, embedder, languages, lang)
                    scale = matched_scale(found["local"], own)
                    entry[f"matched_scale_{lang}"] = scale.__dict__
                    print(f"scale at MiniLM's percentiles, {lang} questions: {scale}")
            declared = cosine_scale(embedder)
            print(f"declared scale: {declared}; per question language: "
                  f"{dict(getattr(embedder, 'cosine_scales', {}))}")
            if getattr(embedder, "languages", None) is None:
                scales = dict(getattr(embedder, "cosine_scales", {}))
                plain = {k: replace(v, cross_language=0.0) for k, v in scales.items()}
                for label, calibrated in (("calibrated merge", scales), ("plain cosines", plain)):
                    embedder.cosine_scales = calibrated  # type: ignore[attr-defined]  # bench
                    retriever = HybridRetriever(store, embedder)
                    for set_name, items in crosslingual_sets(languages).items():
                        got = [ranks(retriever, q, "ja" if set_name.startswith("ja") else "en",
                                     expected, hidden) for q, expected, hidden in items]
                        top1 = sum(r == 1 for r in got)
                        top3 = sum(r is not None and r <= 3 for r in got)
                        mrr = float(np.mean([1 / r if r else 0.0 for r in got])) if got else 0.0
                        entry.setdefault("crosslingual", {}).setdefault(label, {})[set_name] = {
                            "n": len(got), "top1": top1, "top3": top3, "mrr": round(mrr, 3)}
                        print(f"{label:16s} {set_name:26s} n={len(got):3d} top-1 {top1:3d} "
                              f"top-3 {top3:3d} MRR {mrr:.3f}")
                embedder.cosine_scales = scales  # type: ignore[attr-defined]  # bench
            report[name] = entry
            store.close()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
