"""The knowledge store: Chroma vectors plus the SQLite catalog and the BM25 indexes built from it."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from errors import ConfigError, StoreError
from retrieval.catalog import Catalog, ChunkRow
from retrieval.lexical import BM25Index
from retrieval.loaders import Taxonomy, load_taxonomy
from retrieval.locks import file_lock
from retrieval.textproc import Analyzer
from retrieval.vectors import DEFAULT_EF_SEARCH, FlatVectors, VectorIndex

SOURCES = ("kb", "ticket")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives: a folder, and optionally a Chroma server for the vectors."""

    path: Path
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = ""
    # Up to this many chunks per source, vector queries run on an exact in-memory copy of
    # the vectors (FlatVectors) instead of a Chroma query; above it, Chroma's HNSW index.
    # 0 turns the copy off. Measured (bench/ingest_and_query.py): on the 545-chunk demo a
    # Chroma query costs ~2.6 ms and the copy ~0.1 ms; at 64,779 chunks the copy's scan
    # (31 ms p50 hybrid) loses to HNSW (12 ms), so the copy stops well below that.
    flat_max_chunks: int = 20_000
    # How wide Chroma's HNSW search is in this store's collections (vectors.DEFAULT_EF_SEARCH).
    hnsw_ef_search: int = DEFAULT_EF_SEARCH


class KnowledgeStore:
    """Everything indexed for one tenant: catalog, vectors, lexical indexes, taxonomy."""

    def __init__(self, config: StoreConfig, catalog: Catalog, vectors: VectorIndex) -> None:
        self.config = config
        self.catalog = catalog
        self.vectors = vectors
        self.analyzer = Analyzer()
        self._lexical: dict[str, tuple[int, BM25Index, dict[str, ChunkRow]]] = {}
        self._flat: dict[str, tuple[int, FlatVectors | None]] = {}
        self._taxonomy: tuple[tuple[int, int, int], Taxonomy] | None = None  # (file stat, value)
        # One lock per source and index: rebuilding the knowledge base's index does not hold
        # up searches of the tickets, nor the reverse.
        self._locks_guard = threading.Lock()
        self._lock_table: dict[tuple[str, str], threading.Lock] = {}
        self._writer = threading.RLock()
        self._writer_depth = 0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's writer lock: one writer at a time, across threads and processes.

        A document's vectors go to Chroma and its text and hash to the catalog in two steps;
        two writers of one document interleaving those steps left the catalog holding one
        version and Chroma the other. API workers, their learning loop and ingest_kb.py all
        write through this lock (an flock on writer.lock in the store folder); searches do
        not take it. Re-entrant within a thread.
        """
        with self._writer, contextlib.ExitStack() as held:
            if self._writer_depth == 0:
                held.enter_context(file_lock(self.config.path / "writer.lock"))
            self._writer_depth += 1
            try:
                yield
            finally:
                self._writer_depth -= 1

    def _lock(self, source: str, kind: str) -> threading.Lock:
        with self._locks_guard:
            return self._lock_table.setdefault((source, kind), threading.Lock())

    @classmethod
    def open(cls, config: StoreConfig) -> KnowledgeStore:
        """Open (or create) a store."""
        catalog = Catalog(config.path / "catalog.sqlite3")
        vectors = VectorIndex.open(
            None if config.chroma_host else config.path / "chroma",
            host=config.chroma_host, port=config.chroma_port, prefix=config.collection_prefix,
            ef_search=config.hnsw_ef_search,
        )
        return cls(config, catalog, vectors)

    def close(self) -> None:
        """Release the catalog."""
        self.catalog.close()

    def check_embedder(self, name: str) -> None:
        """Refuse to mix vectors from two embedding models in one store."""
        recorded = self.catalog.get_meta("embedder")
        if recorded is None:
            self.catalog.set_meta("embedder", name)
        elif recorded != name:
            raise ConfigError(
                f"the store at {self.config.path} was built with embedder {recorded!r}, "
                f"this run uses {name!r}",
                hint="use the same KOTAE_EMBEDDER, or re-ingest with --rebuild",
            )

    @property
    def embedder_name(self) -> str | None:
        """Return the embedding model the store was built with."""
        return self.catalog.get_meta("embedder")

    def lexical(self, source: str) -> tuple[BM25Index, dict[str, ChunkRow]]:
        """Return the BM25 index and chunk rows of a source, rebuilt when the catalog changed."""
        generation = self.catalog.generation(source)
        with self._lock(source, "lexical"):
            cached = self._lexical.get(source)
            if cached is not None and cached[0] == generation:
                return cached[1], cached[2]
            rows: dict[str, ChunkRow] = {}

            def entries() -> Iterator[tuple[str, list[str], dict[str, str]]]:
                # One row at a time: its terms go into the matrix and are not kept.
                for row in self.catalog.iter_chunks(source):
                    rows[row.chunk_id] = replace(row, terms=[])
                    yield row.chunk_id, row.terms, {"language": row.language,
                                                    "doc_id": row.doc_id,
                                                    **_filterable(row.metadata)}

            index = BM25Index()
            index.build(entries())
            self._lexical[source] = (generation, index, rows)
            return index, rows

    def flat_vectors(self, source: str) -> FlatVectors | None:
        """Return an exact in-memory copy of a source's vectors, or None above the size limit.

        Rebuilt from Chroma when the catalog changed, in catalog order, so it holds exactly
        the chunks the lexical side knows.
        """
        if self.config.flat_max_chunks <= 0:
            return None
        generation = self.catalog.generation(source)
        with self._lock(source, "flat"):
            cached = self._flat.get(source)
            if cached is not None and cached[0] == generation:
                return cached[1]
            _, rows = self.lexical(source)
            flat: FlatVectors | None = None
            if 0 < len(rows) <= self.config.flat_max_chunks:
                ids = list(rows)
                try:
                    flat = FlatVectors(ids, self.vectors.embeddings(source, ids),
                                       [rows[i].language for i in ids])
                except StoreError as exc:  # an interrupted ingest: Chroma answers until repaired
                    log.warning("searching %s through Chroma: %s", source, exc)
            self._flat[source] = (generation, flat)
            return flat

    def taxonomy(self) -> Taxonomy:
        """Return the taxonomy saved at ingestion, or the default one.

        Read again only when the file changed: every API worker asks on each maintenance
        pass whether its tagger is still current.
        """
        path = self.config.path / "taxonomy.json"
        try:
            stat = path.stat()
        except FileNotFoundError:
            return Taxonomy.default()
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = self._taxonomy
        if cached is None or cached[0] != key:
            cached = (key, load_taxonomy(path))
            self._taxonomy = cached
        return cached[1]

    def save_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Keep the taxonomy with the store so the agent uses the one the data was labelled with."""
        import json

        self.config.path.mkdir(parents=True, exist_ok=True)
        tmp = self.config.path / "taxonomy.json.tmp"
        tmp.write_text(json.dumps(taxonomy.to_dict(), ensure_ascii=False, indent=2),
                       encoding="utf-8")
        tmp.replace(self.config.path / "taxonomy.json")


def _filterable(metadata: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in metadata.items()
            if k in ("tag", "account_id", "category", "plan") and v is not None}
