"""Ingest throughput, re-ingest speed-up, and hybrid query latency on a generated corpus.

  python bench/ingest_and_query.py --chunks 50000 [--queries 300] [--store DIR]

With --store the index is kept in DIR: a second run finds it up to date (the unchanged
re-ingest) and goes straight to the query timings, so query-side changes can be measured
again without re-embedding 50k chunks.

The generator recombines sentences of the demo knowledge base into synthetic articles of
about one chunk each (English and Japanese, 80/20), so the index has the demo's vocabulary at
a larger size. Prints chunks/s and tokens/s for the first ingest, the time of an unchanged
re-ingest and the ratio, query latency p50/p99 (query embedding included) for hybrid, vector
and lexical search, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.indexer import Indexer  # noqa: E402
from retrieval.loaders import load_knowledge_base  # noqa: E402
from retrieval.search import HybridRetriever, Mode  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from retrieval.types import Document  # noqa: E402
from settings import load_settings  # noqa: E402

QUERIES = [
    "How do I set up SAML SSO with Okta?", "export a project to CSV times out",
    "how are seats prorated when I add members", "recurring tasks duplicated in Google Calendar",
    "reset two-step verification lost phone", "API rate limit 429 retry after",
    "import tasks from Trello", "change the interface language to Japanese",
    "請求書払いの申し込み方法", "SAML SSOの設定手順", "データのエクスポート", "2段階認証 機種変更",
]


def sentences(docs: list[Document]) -> tuple[list[str], list[str]]:
    """Split the demo articles into English and Japanese sentences."""
    en: list[str] = []
    ja: list[str] = []
    for doc in docs:
        for s in re.split(r"(?<=[.!?。])\s*", doc.text):
            s = s.strip()
            if len(s) > 25:
                (ja if doc.language == "ja" else en).append(s)
    return en, ja


def generate(n: int, docs: list[Document], seed: int = 7,
             length: tuple[int, int] = (3, 6)) -> list[Document]:
    """Make n synthetic one-chunk articles of `length` (min, max) demo sentences each."""
    rng = random.Random(seed)
    en, ja = sentences(docs)
    out = []
    for i in range(n):
        pool, lang = (ja, "ja") if i % 5 == 4 else (en, "en")
        body = " ".join(rng.choice(pool) for _ in range(rng.randint(*length)))
        out.append(Document(id=f"gen-{i:06d}", title=f"Generated article {i}", text=body,
                            language=lang, url=f"https://help.example/gen/{i}"))
    return out


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--store", type=Path, default=None,
                        help="keep the index in this folder (default: a temporary one)")
    parser.add_argument("--flat-max", type=int, default=StoreConfig.flat_max_chunks,
                        help="largest source searched through the exact in-memory vector copy "
                             "(0: always query Chroma); default %(default)s")
    args = parser.parse_args()
    settings = load_settings()
    embedder = settings.embedder_factory()()
    demo = load_knowledge_base(ROOT / "data" / "demo" / "kb").documents
    corpus = generate(args.chunks, demo)
    with tempfile.TemporaryDirectory() as tmp:
        store = KnowledgeStore.open(StoreConfig(args.store or Path(tmp),
                                                flat_max_chunks=args.flat_max))
        indexer = Indexer(store, embedder, progress=True)
        started = time.perf_counter()
        report = indexer.sync("kb", corpus)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = indexer.sync("kb", corpus)
        second = time.perf_counter() - started
        assert again.added == again.updated == again.deleted == 0
        if report.chunks:
            print(f"first ingest: {report.chunks} chunks, {report.tokens} tokens in {first:.1f} s "
                  f"= {report.chunks / first:.0f} chunks/s, {report.tokens / first:.0f} tokens/s")
        else:
            print(f"the index in {args.store} was already up to date ({report.unchanged} "
                  "documents): no first-ingest figure in this run")
        ratio = f" ({first / second:.0f}x faster than the first)" if report.chunks else ""
        print(f"unchanged re-ingest: {second:.2f} s{ratio}, {again.unchanged} unchanged")
        retriever = HybridRetriever(store, embedder)
        started = time.perf_counter()
        retriever.search("warm up", k=5)  # builds the in-memory indexes once
        # Above the exact copy's limit the HNSW copy builds in the background, Chroma
        # answering meanwhile; the timed queries start once it is there.
        leg = ("exact in-memory copy" if store.flat_vectors("kb") is not None else
               "in-process HNSW copy" if store.ann_vectors("kb", wait=True) is not None else
               "Chroma HNSW")
        print(f"first query (loads the in-memory indexes): {time.perf_counter() - started:.2f} s;"
              f" vector leg: {leg}")
        rng = random.Random(3)
        modes: tuple[Mode, ...] = ("hybrid", "vector", "lexical")
        for mode in modes:
            times = []
            for i in range(args.queries):
                q = QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {rng.randint(1, 999)}")
                t0 = time.perf_counter()
                retriever.search(q, k=5, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{mode:<8} query latency over {len(times)} queries: p50 "
                  f"{statistics.median(times):.1f} ms, p99 {percentile(times, 99):.1f} ms")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS): {peak:.0f} MiB")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
