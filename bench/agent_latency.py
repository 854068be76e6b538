"""Offline decision latency on the demo data, in process.

  python bench/agent_latency.py [--store var/demo-store] [--rounds 3]

Builds (or reuses) the demo index, replays every demo eval inquiry through Agent.handle, and
prints p50/p95/p99 per decision next to a baseline measured in the same run: one plain hybrid
search of the same text (the least any grounded decision must do). Target: p50 <= 30 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_and_query import percentile as pct  # noqa: E402

from agent.factory import build_agent  # noqa: E402
from agent.types import Inquiry  # noqa: E402
from retrieval.indexer import Indexer  # noqa: E402
from retrieval.loaders import load_knowledge_base, load_taxonomy, load_tickets  # noqa: E402
from retrieval.store import KnowledgeStore  # noqa: E402
from settings import load_settings  # noqa: E402

DEMO = ROOT / "data" / "demo"


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="an ingested demo store (default: build one)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = []
    for line in (DEMO / "eval" / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        texts.append(case.get("inquiry") or case["messages"][-1]["text"])
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(store_dir=args.store or Path(tmp), mode="offline")
        embedder = settings.embedder_factory()()
        if args.store is None:
            store = KnowledgeStore.open(settings.store)
            indexer = Indexer(store, embedder)
            store.save_taxonomy(load_taxonomy(DEMO / "taxonomy.yaml"))
            indexer.sync("kb", load_knowledge_base(DEMO / "kb").documents)
            indexer.sync("ticket", load_tickets(DEMO / "tickets.jsonl").tickets)
            store.close()
        agent = build_agent(settings, embedder=embedder)
        for text in texts[:10]:
            agent.handle(Inquiry(text=text))  # warm up caches and lazy loads
        for source in ("kb", "ticket"):  # a large store's HNSW copy, built in the background
            agent.retriever.store.ann_vectors(source, wait=True)
        decisions, searches = [], []
        for _ in range(args.rounds):
            for text in texts:
                # Vary the text so the query-embedding cache does not flatter the figure.
                varied = f"{text} ({_})"
                started = time.perf_counter()
                agent.retriever.search(varied, k=5)
                searches.append((time.perf_counter() - started) * 1000)
                varied = f"{text} [{_}]"
                started = time.perf_counter()
                agent.handle(Inquiry(text=varied))
                decisions.append((time.perf_counter() - started) * 1000)
    p50, s50 = statistics.median(decisions), statistics.median(searches)
    print(f"{len(decisions)} offline decisions over {len(texts)} demo inquiries x {args.rounds}")
    print(f"decision     p50 {p50:6.1f} ms  p95 {pct(decisions, 95):6.1f} ms  "
          f"p99 {pct(decisions, 99):6.1f} ms")
    print(f"one search   p50 {s50:6.1f} ms  p95 {pct(searches, 95):6.1f} ms  (baseline)")
    print(f"ratio decision/search p50: {p50 / s50:.2f}x; target p50 <= 30 ms: "
          f"{'met' if p50 <= 30 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
