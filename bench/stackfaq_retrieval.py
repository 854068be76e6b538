"""StackFAQ retrieval quality: hybrid vs BM25-only vs vector-only, measured in one run.

Each thread (question + answers) is indexed as a knowledge-base document; each of the 1,249
paraphrases is a query whose one relevant document is its thread. Prints MAP, P@5, MRR and
recall@k for the three modes. Published unsupervised BM25 (Karan & Šnajder 2018): MAP 0.637.

  python bench/stackfaq_retrieval.py [--data ../shared/datasets/stackfaq/stackExchange-FAQ.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.public import load_stackfaq  # noqa: E402
from eval.retrieval_metrics import (  # noqa: E402
    average_precision,
    precision_at,
    recall_at,
    reciprocal_rank,
)
from retrieval.indexer import Indexer  # noqa: E402
from retrieval.search import HybridRetriever, Mode  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from settings import load_settings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "stackfaq" / "stackExchange-FAQ.json"


def main() -> int:
    """Index StackFAQ in a temporary store and print the three modes' figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--depth", type=int, default=20, help="ranking depth scored (default 20)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--sweep-alpha", action="store_true",
                        help="sweep the fusion weight on the odd-numbered queries (dev) and "
                        "score every mode on the even-numbered ones (test)")
    parser.add_argument("--document-weight", type=float, default=None,
                        help="blend each chunk's cosine with this share of its document's mean "
                        "(FusionConfig.document_weight; default: the configured one)")
    parser.add_argument("--links-weight", type=float, default=None,
                        help="FusionConfig.links_weight (default: the configured one)")
    args = parser.parse_args()
    documents, queries = load_stackfaq(args.data)
    settings = load_settings()
    embedder = settings.embedder_factory()()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = KnowledgeStore.open(StoreConfig(Path(tmp)))
        started = time.perf_counter()
        Indexer(store, embedder).sync("kb", documents)
        print(f"indexed {len(documents)} threads in {time.perf_counter() - started:.1f} s; "
              f"{len(queries)} queries")
        retriever = HybridRetriever(store, embedder)
        if args.document_weight is not None:
            retriever.fusion = replace(retriever.fusion, document_weight=args.document_weight)
        if args.links_weight is not None:
            retriever.fusion = replace(retriever.fusion, links_weight=args.links_weight)
        if args.sweep_alpha:
            dev, queries = queries[1::2], queries[0::2]
            print(f"alpha sweep on {len(dev)} dev queries; figures below are on the other "
                  f"{len(queries)}")
            best = (0.0, retriever.fusion.alpha)
            for alpha in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
                retriever.fusion = replace(retriever.fusion, alpha=alpha)
                dev_map = sum(average_precision(
                    [h.doc_id for h in retriever.search(q.text, k=args.depth,
                                                        group_by_document=True)], q.relevant)
                    for q in dev) / len(dev)
                print(f"  alpha {alpha:.2f}: dev MAP {dev_map:.3f}")
                best = max(best, (dev_map, alpha))
            retriever.fusion = replace(retriever.fusion, alpha=best[1])
            print(f"chosen alpha {best[1]:.2f}")
        modes: tuple[Mode, ...] = ("lexical", "vector", "hybrid")
        for mode in modes:
            aps, p5, rr, r1, r5 = [], [], [], [], []
            started = time.perf_counter()
            for query in queries:
                hits = retriever.search(query.text, k=args.depth, mode=mode,
                                        group_by_document=True)
                ranked = [h.doc_id for h in hits]
                aps.append(average_precision(ranked, query.relevant))
                p5.append(precision_at(ranked, query.relevant, 5))
                rr.append(reciprocal_rank(ranked, query.relevant))
                r1.append(recall_at(ranked, query.relevant, 1))
                r5.append(recall_at(ranked, query.relevant, 5))
            n = len(queries)
            figures[mode] = {"map": sum(aps) / n, "p@5": sum(p5) / n, "mrr": sum(rr) / n,
                             "recall@1": sum(r1) / n, "recall@5": sum(r5) / n,
                             "ms_per_query": 1000 * (time.perf_counter() - started) / n}
        store.close()
    print(f"{'mode':<8} {'MAP':>6} {'P@5':>6} {'MRR':>6} {'R@1':>6} {'R@5':>6} {'ms/q':>6}")
    for label, f in figures.items():
        name = "bm25" if label == "lexical" else label
        print(f"{name:<8} {f['map']:6.3f} {f['p@5']:6.3f} {f['mrr']:6.3f} {f['recall@1']:6.3f} "
              f"{f['recall@5']:6.3f} {f['ms_per_query']:6.1f}")
    print("published BM25 (Karan & Šnajder 2018): MAP 0.637, P@5 0.789")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
