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
from retrieval.vectors import DEFAULT_EF_SEARCH, AnnVectors, FlatVectors, VectorIndex

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
    # How wide Chroma's HNSW search is in this store's collections (vectors.DEFAULT_EF_SEARCH),
    # and the in-process HNSW copy's (AnnVectors).
    hnsw_ef_search: int = DEFAULT_EF_SEARCH
    # Above flat_max_chunks, vector queries run on an in-process HNSW copy of the vectors
    # (AnnVectors) once it is built; it is built in the background the first time a source
    # is searched, and Chroma answers until then. At 103,512 chunks a search of the copy
    # takes ~0.5 ms against Chroma's 1.6 ms (bench/ann_agreement.py). False: always Chroma.
    ann_vectors: bool = True


@dataclass
class _AnnState:
    """The in-process HNSW copy of one source, and what it was built from."""

    generation: int
    index: AnnVectors | None  # None while the first build runs
    hashes: dict[str, str]  # document hashes the copy holds the vectors of
    doc_chunks: dict[str, list[str]]  # document -> its chunk ids in the copy
    builder: threading.Thread | None = None
    seconds: float = 0.0  # how long the last full build took


class KnowledgeStore:
    """Everything indexed for one tenant: catalog, vectors, lexical indexes, taxonomy."""

    def __init__(self, config: StoreConfig, catalog: Catalog, vectors: VectorIndex) -> None:
        self.config = config
        self.catalog = catalog
        self.vectors = vectors
        self.analyzer = Analyzer()
        self._lexical: dict[str, tuple[int, BM25Index, dict[str, ChunkRow]]] = {}
        self._flat: dict[str, tuple[int, FlatVectors | None]] = {}
        self._ann: dict[str, _AnnState] = {}
        self._closing = threading.Event()
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
        """Stop any index build and release the catalog."""
        self._closing.set()
        for state in list(self._ann.values()):
            if state.builder is not None:
                state.builder.join()
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

    def vector_copy(self, source: str) -> FlatVectors | AnnVectors | None:
        """Return the in-memory copy vector queries should use, or None to query Chroma."""
        flat = self.flat_vectors(source)
        return flat if flat is not None else self.ann_vectors(source)

    def ann_vectors(self, source: str, *, wait: bool = False) -> AnnVectors | None:
        """Return the in-process HNSW copy of a source's vectors, or None while there is none.

        Only above `flat_max_chunks` (below it the exact copy is both exact and faster). The
        first call starts building the copy in a background thread and returns None, so the
        caller queries Chroma meanwhile; `wait=True` builds it (or waits for the build) first.
        When the catalog changes, the documents whose hash changed have their chunks removed
        and their new vectors added; a change of more than a tenth of the chunks (or a copy
        that has had a quarter of its keys removed) is rebuilt in the background instead.
        """
        if not self.config.ann_vectors or self._closing.is_set():
            return None
        generation = self.catalog.generation(source)
        with self._lock(source, "ann"):
            state = self._ann.get(source)
            if state is not None and state.generation == generation and state.builder is None:
                return state.index  # None when the build failed: Chroma until the next change
            builder = state.builder if state is not None else None
            if builder is None:
                _, rows = self.lexical(source)
                if len(rows) <= max(0, self.config.flat_max_chunks) or not rows:
                    self._ann.pop(source, None)
                    return None
                if state is not None and state.index is not None and self._ann_update(
                        source, state, generation):
                    return state.index
                builder = threading.Thread(target=self._ann_build, args=(source,),
                                           name=f"kotae-ann-{source}", daemon=True)
                self._ann[source] = _AnnState(generation, None, {}, {}, builder)
                builder.start()
        if wait:
            builder.join()
            return self.ann_vectors(source)
        return None

    def _ann_update(self, source: str, state: _AnnState, generation: int) -> bool:
        """Bring a built copy up to date in place; False when a rebuild would be better."""
        index = state.index
        assert index is not None
        hashes = self.catalog.hashes(source)  # read before the rows: see _ann_build
        _, rows = self.lexical(source)
        changed = {d for d in hashes.keys() | state.hashes.keys()
                   if hashes.get(d) != state.hashes.get(d)}
        removed = [c for d in changed for c in state.doc_chunks.get(d, ())]
        added = [c for c, row in rows.items() if row.doc_id in changed]
        if (len(removed) + len(added) > max(1_000, len(rows) // 10)
                or index.removed + len(removed) > len(index) // 4):
            return False
        try:
            vectors = self.vectors.embeddings(source, added) if added else None
        except StoreError as exc:  # the vectors are not all there (yet): rebuild
            log.warning("rebuilding the HNSW copy of %s: %s", source, exc)
            return False
        index.remove(removed)
        if vectors is not None:
            index.add(added, vectors, [rows[c].language for c in added])
        for doc_id in changed:
            state.doc_chunks.pop(doc_id, None)
        for chunk_id in added:
            state.doc_chunks.setdefault(rows[chunk_id].doc_id, []).append(chunk_id)
        state.hashes = hashes
        state.generation = generation
        return True

    def _ann_build(self, source: str) -> None:
        """Build a source's HNSW copy from Chroma's vectors, a batch at a time."""
        import time

        started = time.perf_counter()
        generation = -1
        try:
            generation = self.catalog.generation(source)
            # The hashes are read before the rows and the vectors: a document that changes
            # meanwhile then has a newer hash than the one recorded, and is fetched again.
            hashes = self.catalog.hashes(source)
            _, rows = self.lexical(source)
            ids = list(rows)
            index: AnnVectors | None = None
            doc_chunks: dict[str, list[str]] = {}
            for start in range(0, len(ids), 2_000):
                if self._closing.is_set():
                    return
                batch = ids[start:start + 2_000]
                vectors = self.vectors.embeddings(source, batch)
                if index is None:
                    index = AnnVectors(vectors.shape[1], ef_search=self.config.hnsw_ef_search)
                index.add(batch, vectors, [rows[c].language for c in batch],
                          threads=_build_threads())
                for chunk_id in batch:
                    doc_chunks.setdefault(rows[chunk_id].doc_id, []).append(chunk_id)
        except Exception as exc:  # Chroma answers instead; the next search tries again
            log.warning("could not build the HNSW copy of %s: %s", source, exc)
            with self._lock(source, "ann"):
                self._ann[source] = _AnnState(generation, None, {}, {})
            return
        with self._lock(source, "ann"):
            self._ann[source] = _AnnState(generation, index, hashes, doc_chunks,
                                          seconds=time.perf_counter() - started)
        log.info("built the HNSW copy of %s: %d chunks in %.1f s", source, len(ids),
                 time.perf_counter() - started)

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


def _build_threads() -> int:
    """Leave a core to the searches a server answers while the copy builds."""
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) - 1)


def _filterable(metadata: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in metadata.items()
            if k in ("tag", "account_id", "category", "plan") and v is not None}
