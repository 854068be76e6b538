"""How long a new process waits for its HNSW copy: built from Chroma, or loaded from the snapshot.

  python bench/ann_snapshot.py [--chunks 100000] [--dim 384] [--repeats 3] [--keep DIR]

Every API worker, and every restart, needs the in-process HNSW copy of a large source
(`KnowledgeStore.ann_vectors`). This builds a store of `--chunks` generated articles (the
generator of bench/ingest_and_query.py: one chunk each, 80 % English) with the hashing
embedder at the local model's 384 dimensions, since a copy's build and load depend on the
vectors' number and size, not on the model that made them. Then, each in a fresh child
process, taking turns: the time until `ann_vectors(wait=True)` returns with snapshots off
(the build from Chroma, as before), and with the snapshot the first build saved (the load,
plus the chunks changed since: `--changed` documents are rewritten before the repeats). It
prints medians with the spread: the whole wait, and the part after the rows and BM25 index
(which any first search reads anyway) were loaded, i.e. the copy's own; their ratios, the
snapshot's size on disk, and each child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_and_query import generate  # noqa: E402

from retrieval.embeddings import HashingEmbedder  # noqa: E402
from retrieval.indexer import Indexer  # noqa: E402
from retrieval.loaders import load_knowledge_base  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from retrieval.types import Document  # noqa: E402


def child(store: Path, snapshots: bool) -> None:
    """Open the store in this fresh process and time until its HNSW copy is ready."""
    started = time.perf_counter()
    opened = KnowledgeStore.open(StoreConfig(store, ann_snapshots=snapshots))
    opened.lexical("kb")  # the rows and BM25: any first search reads them, copy or not
    rows_ready = time.perf_counter()
    index = opened.ann_vectors("kb", wait=True)
    done = time.perf_counter()
    opened.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": done - started, "copy_seconds": done - rows_ready,
                      "chunks": len(index) if index else 0, "peak_rss_mib": peak}))


def run_child(store: Path, snapshots: bool) -> dict[str, float]:
    """Run `child` in a new interpreter and return what it printed."""
    out = subprocess.run([sys.executable, __file__, "--child", str(store),
                          "--snapshots", "1" if snapshots else "0"],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def spread(values: list[float]) -> str:
    """Median (min-max)."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    """Build the store, then time both ways in fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--changed", type=int, default=200,
                        help="documents rewritten after the snapshot (default %(default)s)")
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--snapshots", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.snapshots == "1")
        return 0
    if args.chunks <= StoreConfig(Path()).flat_max_chunks:
        parser.error("--chunks must exceed the exact copy's limit (20,000), or there is no "
                     "HNSW copy to time")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kotae-ann-snapshot-"))
    store_dir = folder / "store"
    try:
        started = time.perf_counter()
        demo = load_knowledge_base(ROOT / "data" / "demo" / "kb").documents
        docs = generate(args.chunks, demo, length=(1, 2))
        store = KnowledgeStore.open(StoreConfig(store_dir))
        embedder = HashingEmbedder(dim=args.dim)
        Indexer(store, embedder, progress=False).sync("kb", docs)
        chunks = len(store.lexical("kb")[1])
        store.close()
        print(f"store: {chunks} chunks of {args.dim} dimensions in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        first = run_child(store_dir, True)  # builds from Chroma and saves the snapshot
        size = sum(p.stat().st_size for p in (store_dir / "ann").rglob("*") if p.is_file())

        def rewrite(suffix: str) -> None:
            """Write the first `--changed` documents again with `suffix` on their text."""
            store = KnowledgeStore.open(StoreConfig(store_dir))
            changed = [Document(id=d.id, title=d.title, text=d.text + suffix,
                                language=d.language, url=d.url) for d in docs[:args.changed]]
            Indexer(store, embedder, progress=False).sync("kb", changed, delete_missing=False)
            store.close()

        rewrite(" (revised)")
        built: list[dict[str, float]] = []
        loaded: list[dict[str, float]] = []
        for _ in range(args.repeats):
            built.append(run_child(store_dir, False))
            loaded.append(run_child(store_dir, True))
            # Rewrite the same documents back and forth, so that every repeat catches up with
            # `--changed` documents (a load saves its own copy only past 1,000 changes).
            rewrite(" (again)" if len(loaded) % 2 else " (revised)")
        print(f"chunks in the copy: {int(loaded[0]['chunks'])}; first build (and save) "
              f"{first['copy_seconds']:.2f} s; snapshot on disk {size / 2**20:.0f} MiB")
        print("| new process | until the copy is ready [s] | of which the copy [s] "
              "| peak RSS [MiB] |")
        print("|---|---|---|---|")
        for name, runs in (("built from Chroma (snapshots off)", built),
                           (f"loaded from the snapshot, {args.changed} documents changed since",
                            loaded)):
            print(f"| {name} | {spread([r['seconds'] for r in runs])} | "
                  f"{spread([r['copy_seconds'] for r in runs])} | "
                  f"{statistics.median(r['peak_rss_mib'] for r in runs):.0f} |")
        for key in ("seconds", "copy_seconds"):
            ratio = (statistics.median(r[key] for r in loaded)
                     / statistics.median(r[key] for r in built))
            print(f"ratio loaded / built, {key.replace('_', ' ')}: {ratio:.3f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
