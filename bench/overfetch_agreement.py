"""Above the exact copy's size limit: Chroma over-fetch factor against agreement and latency.

  python bench/overfetch_agreement.py --store DIR [--factors 3,2,1.5,1] [--rounds 2] [--ef-search 150]

DIR is a store larger than `StoreConfig.flat_max_chunks` (20,000 chunks per source), e.g. the
one `bench/ingest_and_query.py --chunks 50000 --store DIR` leaves behind (64,779 chunks). For
each factor (`FusionConfig.vector_over_fetch`) the demo-eval inquiries are searched as the
agent searches the knowledge base (`k=5`, grouped by document) and compared with the same
search over an exact in-memory copy of every vector: the share of the top-5 documents that
agree, the share of inquiries whose top document agrees (by language too), and p50 latency
with the query embedding cached. Rounds alternate the factors, so noise falls on all alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.cases import load_cases  # noqa: E402
from retrieval.search import FusionConfig, HybridRetriever  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from retrieval.textproc import detect_language  # noqa: E402
from retrieval.vectors import DEFAULT_EF_SEARCH  # noqa: E402
from settings import load_settings  # noqa: E402


def top_docs(retriever: HybridRetriever, query: str) -> list[str]:
    """Return the knowledge-base documents the agent would see for a query."""
    return [hit.doc_id for hit in retriever.search(query, k=5, group_by_document=True)]


def main() -> int:
    """Compare each factor's results with the exact search's and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--factors", default="3,2,1.5,1")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ef-search", type=int, default=DEFAULT_EF_SEARCH,
                        help="HNSW ef written to the store's collection (StoreConfig."
                             "hnsw_ef_search; Chroma's default is 100)")
    args = parser.parse_args()
    queries = [case.text for case in load_cases(ROOT / "data/demo/eval/cases.jsonl").cases]
    embedder = load_settings(embed_threads=1).embedder_factory()()
    for query in queries:  # cached: the figures are the search's, not the model's
        embedder.embed_query(query)
    # Both stores set the same ef: the first to touch the collection loads its index, and an
    # index keeps the ef it was loaded with for the rest of the process.
    exact_store = KnowledgeStore.open(StoreConfig(args.store, flat_max_chunks=10**9,
                                                  hnsw_ef_search=args.ef_search))
    exact = HybridRetriever(exact_store, embedder)
    reference = {query: top_docs(exact, query) for query in queries}
    # Chroma's over-fetch is what is measured: the in-process HNSW copy would not use it.
    store = KnowledgeStore.open(StoreConfig(args.store, hnsw_ef_search=args.ef_search,
                                            ann_vectors=False))
    if store.flat_vectors("kb") is not None:
        print(f"{args.store} is within the exact copy's limit: nothing to compare")
        return 1
    for round_ in range(args.rounds):
        for factor in [float(f) for f in args.factors.split(",")]:
            retriever = HybridRetriever(store, embedder, FusionConfig(vector_over_fetch=factor))
            times: list[float] = []
            overlap: dict[str, list[float]] = {"en": [], "ja": []}
            same_top = 0
            for query in queries:
                started = time.perf_counter()
                got = top_docs(retriever, query)
                times.append((time.perf_counter() - started) * 1000)
                want = reference[query]
                overlap[detect_language(query)].append(len(set(got) & set(want)) / max(1, len(want)))
                same_top += bool(got) and bool(want) and got[0] == want[0]
            every = overlap["en"] + overlap["ja"]
            print(f"round {round_ + 1}, ef {args.ef_search}, over-fetch x{factor:g}: p50 {statistics.median(times):.2f} ms; "
                  f"top-5 documents as the exact search's {statistics.mean(every):.3f} (English "
                  f"{statistics.mean(overlap['en']):.3f} of {len(overlap['en'])}, Japanese "
                  f"{statistics.mean(overlap['ja']):.3f} of {len(overlap['ja'])}); same top "
                  f"document {same_top / len(queries):.3f}")
    store.close()
    exact_store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
