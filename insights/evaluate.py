"""`python -m insights evaluate banking77|clinc150`: clustering quality against intent labels.

The test queries are embedded by the configured embedder (as the inquiries are), clustered
with no labels and no cluster count given, the way `insights.topics.compute_topics` clusters
inquiries (a UMAP layout, then HDBSCAN; `--no-layout`: HDBSCAN on the PCA projection alone),
and compared with the datasets' intent labels by normalised mutual information (NMI) and the
adjusted Rand index (ARI). Every query counts: those HDBSCAN calls noise are counted in the
cluster they join, as the product joins them. Vectors can be kept between runs with --cache.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eval.public import DEFAULT_DATASETS
from insights.cluster import ClusterConfig, cluster
from insights.embedding import embed_questions


def load(name: str, root: Path) -> tuple[list[str], list[str]]:
    """Return the test queries and their intent labels (CLINC150: in-scope only)."""
    if name == "banking77":
        with (root / "banking77" / "test.csv").open(encoding="utf-8") as fh:
            rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
    elif name == "clinc150":
        data = json.loads((root / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
        rows = [(t, label) for t, label in data["test"]]
    else:
        raise ValueError(f"unknown dataset {name!r}: banking77 or clinc150")
    return [t for t, _ in rows], [label for _, label in rows]


def main(argv: Sequence[str]) -> int:
    """Cluster a dataset's test queries and print NMI, ARI, the cluster count and the time."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m insights evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["banking77", "clinc150"])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, metavar="DIR",
                        help="the public datasets (default: ../shared/datasets next to the "
                        "repository)")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep the vectors here between runs (keyed by model and texts)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    defaults = ClusterConfig()
    parser.add_argument("--dims", type=int, default=defaults.dims)
    parser.add_argument("--min-cluster-size", type=int, default=defaults.min_cluster_size)
    parser.add_argument("--min-samples", type=int, default=defaults.min_samples)
    parser.add_argument("--layout-min-cluster-size", type=int,
                        default=defaults.layout_min_cluster_size)
    parser.add_argument("--no-layout", action="store_true",
                        help="HDBSCAN on the whitened PCA projection, without UMAP's layout "
                        f"(what sets under {defaults.umap_min_rows} inquiries get)")
    parser.add_argument("--drop-top", type=int, default=defaults.drop_top,
                        help="before the layout, take out the embeddings' mean (0) and their "
                        "top N principal directions (N > 0); -1: neither "
                        f"(default {defaults.drop_top})")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(list(argv))
    texts, labels = load(args.dataset, args.datasets)
    embedder = load_settings().embedder_factory()()
    started = time.perf_counter()
    vectors = _vectors(embedder, texts, args.cache, args.dataset)
    embed_s = time.perf_counter() - started
    config = ClusterConfig(dims=args.dims, min_cluster_size=args.min_cluster_size,
                           min_samples=args.min_samples, seed=args.seed,
                           layout_min_cluster_size=args.layout_min_cluster_size,
                           drop_top=args.drop_top,
                           umap_min_rows=len(texts) + 1 if args.no_layout
                           else defaults.umap_min_rows)
    started = time.perf_counter()
    found = cluster(vectors, config)
    cluster_s = time.perf_counter() - started
    figures = {
        "dataset": args.dataset, "queries": len(texts), "intents": len(set(labels)),
        "embedder": embedder.name, "clusters": found.count, "noise_joined": found.noise,
        "nmi": round(float(normalized_mutual_info_score(labels, found.labels)), 4),
        "ari": round(float(adjusted_rand_score(labels, found.labels)), 4),
        "embed_seconds": round(embed_s, 1), "cluster_seconds": round(cluster_s, 2),
        "config": config.__dict__,
    }
    method = ("HDBSCAN on the PCA projection" if len(texts) < config.umap_min_rows
              else "HDBSCAN on a UMAP layout")
    print(f"{args.dataset}: {len(texts)} queries, {figures['intents']} intents; "
          f"embedder {embedder.name}; {method}")
    print(f"NMI {figures['nmi']:.4f}  ARI {figures['ari']:.4f}  clusters {found.count} "
          f"(noise joined to nearest: {found.noise})")
    print(f"time: embedding {embed_s:.1f} s, clustering {cluster_s:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


def _vectors(embedder: object, texts: list[str], cache: Path | None, name: str) -> np.ndarray:
    from retrieval.embeddings import Embedder

    assert isinstance(embedder, Embedder)
    if cache is None:
        return embed_questions(embedder, texts)
    digest = hashlib.sha256("\x1f".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    path = cache / f"insights-{name}-{digest}.npy"
    if path.exists():
        return np.asarray(np.load(path))
    vectors = embed_questions(embedder, texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
