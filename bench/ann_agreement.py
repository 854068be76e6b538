"""Above the exact copy's size limit: the in-process HNSW copy against Chroma and the exact search.

  python bench/ann_agreement.py --store DIR [--rounds 3] [--queries 300]

DIR is a store larger than `StoreConfig.flat_max_chunks` (20,000 chunks per source), e.g. the
one `bench/ingest_and_query.py --chunks 50000 --store DIR` leaves behind. The demo-eval
inquiries are searched as the agent searches the knowledge base (`k=5`, grouped by document)
three ways in one process: with the vector leg on the in-process HNSW copy (`AnnVectors`, as
shipped), on Chroma (`ann_vectors=False`, as before), and on an exact in-memory copy of every
vector (the reference). It prints how often the first two agree with the exact search (top-5
documents, top document, by language) and the p50 of a whole search with the query embedding
cached, the settings taking turns ten queries at a time so noise falls on all alike; then
the p50 of the vector leg alone for `--queries` generated inquiries, not cached.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_and_query import QUERIES  # noqa: E402
from overfetch_agreement import top_docs  # noqa: E402

from eval.cases import load_cases  # noqa: E402
from retrieval.search import HybridRetriever  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from retrieval.textproc import detect_language  # noqa: E402
from settings import load_settings  # noqa: E402


def main() -> int:
    """Compare the HNSW copy and Chroma with the exact search and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    queries = [case.text for case in load_cases(ROOT / "data/demo/eval/cases.jsonl").cases]
    embedder = load_settings(embed_threads=1).embedder_factory()()
    for query in queries:  # cached: the figures are the search's, not the model's
        embedder.embed_query(query)
    exact_store = KnowledgeStore.open(StoreConfig(args.store, flat_max_chunks=10**9))
    exact = HybridRetriever(exact_store, embedder)
    reference = {query: top_docs(exact, query) for query in queries}
    exact_store.close()
    stores = {"HNSW copy": KnowledgeStore.open(StoreConfig(args.store)),
              "Chroma": KnowledgeStore.open(StoreConfig(args.store, ann_vectors=False))}
    if stores["HNSW copy"].flat_vectors("kb") is not None:
        print(f"{args.store} is within the exact copy's limit: nothing to compare")
        for store in stores.values():
            store.close()
        return 1
    started = time.perf_counter()
    ann = stores["HNSW copy"].ann_vectors("kb", wait=True)
    assert ann is not None
    print(f"HNSW copy of {len(ann)} chunks built in {time.perf_counter() - started:.1f} s")
    retrievers = {name: HybridRetriever(store, embedder) for name, store in stores.items()}
    for round_ in range(args.rounds):
        times: dict[str, list[float]] = {name: [] for name in retrievers}
        overlap: dict[str, dict[str, list[float]]] = {n: {"en": [], "ja": []} for n in retrievers}
        same_top = dict.fromkeys(retrievers, 0)
        for i, query in enumerate(queries):
            names = list(retrievers) if (i // 10 + round_) % 2 == 0 else list(retrievers)[::-1]
            for name in names:
                started = time.perf_counter()
                got = top_docs(retrievers[name], query)
                times[name].append((time.perf_counter() - started) * 1000)
                want = reference[query]
                overlap[name].setdefault(detect_language(query), []).append(
                    len(set(got) & set(want)) / max(1, len(want)))
                same_top[name] += bool(got) and bool(want) and got[0] == want[0]
        for name in retrievers:
            by = overlap[name]
            every = by["en"] + by["ja"]
            print(f"round {round_ + 1}, {name}: p50 {statistics.median(times[name]):.2f} ms "
                  f"(embedding cached); top-5 documents as the exact search's "
                  f"{statistics.mean(every):.3f} (English {statistics.mean(by['en']):.3f} of "
                  f"{len(by['en'])}, Japanese {statistics.mean(by['ja']):.3f} of "
                  f"{len(by['ja'])}); same top document {same_top[name] / len(queries):.3f}")
    # The vector leg alone, for fresh inquiries (as the HybridRetriever asks it).
    legs = {"HNSW copy": lambda e, lang: ann.query(e, 50, [lang]),
            "Chroma": lambda e, lang: stores["Chroma"].vectors.query("kb", e, 75)}
    leg_times: dict[str, list[float]] = {name: [] for name in legs}
    for i in range(args.queries):
        text = f"{QUERIES[i % len(QUERIES)]} {i}"
        embedding = embedder.embed_query(text)
        language = detect_language(text)
        for name in (list(legs) if (i // 10) % 2 == 0 else list(legs)[::-1]):
            started = time.perf_counter()
            legs[name](embedding, language)
            leg_times[name].append((time.perf_counter() - started) * 1000)
    print("vector leg alone, p50 over "
          + ", ".join(f"{name} {statistics.median(t):.3f} ms" for name, t in leg_times.items())
          + f" ({args.queries} generated inquiries; Chroma asked for 75 of any language, "
          "the copy for 50 in the inquiry's)")
    for store in stores.values():
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
