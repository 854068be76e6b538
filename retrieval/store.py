"""The knowledge store: Chroma vectors plus the SQLite catalog and the BM25 indexes built from it."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from errors import StoreError
from retrieval.artifacts import fsync_dir
from retrieval.catalog import SOURCES, Catalog, ChunkRow
from retrieval.embeddings import available_cpus, reads
from retrieval.lexical import BM25Index
from retrieval.loaders import Taxonomy, load_taxonomy, taxonomy_from_data
from retrieval.locks import try_file_lock
from retrieval.textproc import Analyzer
from retrieval.vectors import CHROMA_BATCH, DEFAULT_EF_SEARCH, AnnVectors, FlatVectors, VectorIndex

if TYPE_CHECKING:
    from retrieval.db_catalog import DatabaseCatalog


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives: a folder, and optionally a Chroma server for the vectors."""

    path: Path
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = ""
    # Up to this many chunks per source, vector queries run on an exact in-memory copy of
    # the vectors (FlatVectors) instead of a Chroma query; above it, on the HNSW copy
    # (ann_vectors below), or Chroma's HNSW index. 0 turns the exact copy off (every size
    # then goes to the HNSW copy; with ann_vectors=False as well, to Chroma). Measured
    # (bench/ingest_and_query.py): on the 545-chunk demo a Chroma query costs ~2.6 ms and the
    # copy ~0.1 ms; at 64,779 chunks the copy's scan (31 ms p50 hybrid) loses to HNSW (12 ms),
    # so the copy stops well below that.
    flat_max_chunks: int = 20_000
    # How wide Chroma's HNSW search is in this store's collections (vectors.DEFAULT_EF_SEARCH),
    # and the in-process HNSW copy's (AnnVectors).
    hnsw_ef_search: int = DEFAULT_EF_SEARCH
    # Above flat_max_chunks, vector queries run on an in-process HNSW copy of the vectors
    # (AnnVectors) once it is built; it is built in the background the first time a source
    # is searched, and Chroma answers until then. At 103,512 chunks its vector leg took 0.48 ms
    # against Chroma's 1.45 (bench/ann_agreement.py). False: always Chroma. Each process
    # (each API worker) holds its own copy; with ann_snapshots, a process started after a
    # build was saved loads it instead of building its own.
    ann_vectors: bool = True
    # Threads that build the HNSW copy; 0: all CPUs but one, which is left to searches.
    ann_build_threads: int = 0
    # Keep the HNSW copy on disk (ann/<source>/ in the store folder) after a build, so that
    # the next process (another API worker, a restart) loads it and adds only what changed
    # since, instead of building it again from Chroma (~35 s of one core at 100k chunks).
    ann_snapshots: bool = True
    # The catalog in the operational database at this URL (KOTAE_CATALOG=database) instead
    # of catalog.sqlite3 in the folder: several hosts then share one index (with the vectors
    # on a Chroma server), each keeping only caches in its folder.
    catalog_url: str | None = None
    # With a shared catalog, how often a host compares its caches' generation with the
    # catalog's and rebuilds them in the background (KOTAE_CATALOG_POLL_S).
    follow_s: float = 0.5


#: Up to this many chunk removals and additions (an edited chunk counts as one of each) are
#: applied to the HNSW copy inside a search; more are applied in the background while
#: Chroma answers.
ANN_INLINE_CHANGES = 256
#: A failed build or update of the HNSW copy is not tried again for this long.
ANN_RETRY_S = 60.0


@dataclass
class _AnnState:
    """The in-process HNSW copy of one source, and what it holds."""

    generation: int  # the catalog generation the copy is current for
    # None while a build or a large update runs (Chroma answers), or after one failed.
    index: AnnVectors | None
    signatures: dict[str, int]  # chunk id -> _signature() of the row its vector was made from
    worker: threading.Thread | None = None  # the build or update under way
    failed_at: float | None = None  # time.monotonic() of a failed build or update


def _signature(row: ChunkRow) -> int:
    """What a chunk's vector is made from (the embedded text is its title, heading and text)."""
    return hash((row.title, row.heading, row.text, row.language))


def _worth_updating(index: AnnVectors, removed: list[str], added: list[str], rows: int) -> bool:
    """Tell whether a copy should take these changes rather than be built anew: not more than
    max(1,000, a tenth of the rows), nor so many removals that a quarter of its keys are gone."""
    return (len(removed) + len(added) <= max(1_000, rows // 10)
            and index.removed + len(removed) <= len(index) // 4)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's files and the folder itself to disk."""
    for item in folder.iterdir():
        if item.is_file():
            with item.open("rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)


def _stable_signature(row: ChunkRow) -> str:
    """_signature() that other processes compute alike (Python's str hash is per process)."""
    text = "\x1f".join((row.title, row.heading, row.text, row.language))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


#: Version of the snapshot folder KnowledgeStore writes beside AnnVectors' own files.
_SNAPSHOT_FORMAT = 1
#: A snapshot replaced by a newer one is deleted once it has been retired this long (a
#: process may still be loading it); the current one never is.
_SNAPSHOT_KEEP_S = 120.0
#: A process that loaded a snapshot saves its own once it had to catch up with more chunks
#: than this; fewer, and the next process catches up as cheaply (saving costs ~2 s at 100k).
_SNAPSHOT_RESAVE = 1_000


class KnowledgeStore:
    """Everything indexed for one tenant: catalog, vectors, lexical indexes, taxonomy."""

    def __init__(self, config: StoreConfig, catalog: Catalog | DatabaseCatalog,
                 vectors: VectorIndex) -> None:
        self.config = config
        self.catalog = catalog
        self.vectors = vectors
        self.analyzer = Analyzer()
        self._lexical: dict[str, tuple[int, BM25Index, dict[str, ChunkRow]]] = {}
        self._flat: dict[str, tuple[int, FlatVectors | None]] = {}
        self._embedded_with: dict[str, tuple[int, str | None]] = {}
        self._ann: dict[str, _AnnState] = {}
        self._closing = threading.Event()
        self._taxonomy: tuple[tuple[int, int, int], Taxonomy] | None = None  # (file stat, value)
        # One lock per source and index: rebuilding the knowledge base's index does not hold
        # up searches of the tickets, nor the reverse.
        self._locks_guard = threading.Lock()
        self._lock_table: dict[tuple[str, str], threading.Lock] = {}
        self._writer = threading.RLock()
        self._writer_depth = 0
        self._follower: threading.Thread | None = None
        self._behind_since: dict[str, float] = {}  # source -> when this host fell behind
        self._shared_taxonomy: tuple[str, Taxonomy] | None = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's writer lock: one writer at a time, across threads and processes.

        A document's vectors go to Chroma and its text and hash to the catalog in two steps;
        two writers of one document interleaving those steps left the catalog holding one
        version and Chroma the other. API workers, their learning loop and ingest_kb.py all
        write through this lock (an flock on writer.lock in the store folder; with the catalog
        in the database, a lock there that every host shares); searches do not take it.
        Re-entrant within a thread.
        """
        with self._writer, contextlib.ExitStack() as held:
            if self._writer_depth == 0:
                held.enter_context(self.catalog.writer_lock())
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
        catalog: Catalog | DatabaseCatalog
        if config.catalog_url:
            from retrieval.db_catalog import DatabaseCatalog

            catalog = DatabaseCatalog(config.catalog_url)
        else:
            catalog = Catalog(config.path / "catalog.sqlite3")
        vectors = VectorIndex.open(
            None if config.chroma_host else config.path / "chroma",
            host=config.chroma_host, port=config.chroma_port, prefix=config.collection_prefix,
            ef_search=config.hnsw_ef_search,
        )
        return cls(config, catalog, vectors)

    def close(self) -> None:
        """Stop the HNSW copies' workers and release the catalog."""
        self._closing.set()
        with self._locks_guard:
            locks = [lock for (_, kind), lock in self._lock_table.items() if kind == "ann"]
        for lock in locks:  # a search that started a worker before the flag has recorded it
            with lock:
                pass
        for state in list(self._ann.values()):
            if state.worker is not None:
                state.worker.join()
        if self._follower is not None:
            self._follower.join()
        self.catalog.close()

    def follow(self, every_s: float | None = None) -> bool:
        """Keep this host's caches current with a shared catalog: every `every_s` (default
        follow_s), a background thread compares each source's generation with the one its
        BM25 matrix and exact vector copy were built for, and rebuilds them (and updates the
        HNSW copy) when another host changed the index. Searches then find a change made
        elsewhere within about a poll, and rarely pay for a rebuild themselves. Returns
        False (and does nothing) for a store whose catalog is this folder's own file."""
        if not self.catalog.shared or self._follower is not None:
            return False
        every = every_s if every_s is not None else self.config.follow_s

        def run() -> None:
            while not self._closing.wait(every):
                try:
                    self.refresh_caches()
                except Exception as exc:  # broad on purpose: the next poll tries again
                    log.warning("could not refresh the index caches: %s", exc)

        self._follower = threading.Thread(target=run, name="kotae-index-follower", daemon=True)
        self._follower.start()
        return True

    def _cached_generation(self, source: str) -> int | None:
        """Return the catalog generation this process's copies of a source are current for
        (the older of the BM25 matrix and the exact vector copy), or None before any."""
        lexical = self._lexical.get(source)
        if lexical is None:
            return None
        flat = self._flat.get(source) if self.config.flat_max_chunks > 0 else None
        return lexical[0] if flat is None else min(lexical[0], flat[0])

    def refresh_caches(self) -> None:
        """Rebuild the copies of every source whose catalog generation moved on."""
        for source in SOURCES:
            shared = self.catalog.generation(source, fresh=True)
            if self._cached_generation(source) == shared:
                self._behind_since.pop(source, None)
                continue
            self._behind_since.setdefault(source, time.monotonic())
            self.lexical(source)
            self.flat_vectors(source)
            self.ann_vectors(source)  # small changes now, large ones in the background
            if self._cached_generation(source) == self.catalog.generation(source, fresh=True):
                self._behind_since.pop(source, None)

    def index_status(self) -> dict[str, Any]:
        """Say how current this process's copies are with the catalog: its generation and
        theirs (summed over the sources), whether they are behind and for how long."""
        now = time.monotonic()
        sources: dict[str, dict[str, int]] = {}
        lag = 0.0
        for source in SOURCES:
            shared = self.catalog.generation(source)
            cached = self._cached_generation(source)
            current = cached if cached is not None else 0
            if current != shared:
                lag = max(lag, now - self._behind_since.setdefault(source, now))
            else:
                self._behind_since.pop(source, None)
            sources[source] = {"generation": shared, "cached_generation": current}
        generation = sum(s["generation"] for s in sources.values())
        cached_total = sum(s["cached_generation"] for s in sources.values())
        return {"shared": self.catalog.shared, "generation": generation,
                "cached_generation": cached_total,
                "behind": any(s["generation"] != s["cached_generation"]
                              for s in sources.values()),
                "lag_s": round(lag, 3), "sources": sources}

    def _bump_generations(self) -> None:
        """Start a new generation of every source: each process rebuilds its copies."""
        for source in SOURCES:
            with self.catalog.transaction(source):
                pass  # committing a transaction of the source is what bumps its generation

    def begin_reembedding(self) -> None:
        """Record that the vectors are being replaced by another model's (the caller holds
        the writer lock): until finish_reembedding, no searcher's model matches the store's,
        so none reads a mix of two models' vectors (retrieval.search skips the vector leg)."""
        self.catalog.set_meta("embedder", "")
        self._bump_generations()

    def finish_reembedding(self, name: str, languages: Collection[str] | None) -> None:
        """Record the model (and its languages) whose vectors the store now holds."""
        self.catalog.set_meta("embedder", name)
        self.set_vector_languages(languages)  # bumps the generations

    @staticmethod
    def encode_languages(languages: Collection[str] | None) -> str:
        """Return how the catalog records a set of vector languages."""
        return json.dumps(None if languages is None else sorted(languages))

    def set_vector_languages(self, languages: Collection[str] | None) -> None:
        """Record which languages' chunks have vectors (the indexer's, as it makes it so).

        Each source then starts a new generation, so that every process rebuilds its vector
        copies for the new languages.
        """
        self.catalog.set_meta("vector_languages", self.encode_languages(languages))
        self._bump_generations()

    @property
    def vector_languages(self) -> frozenset[str] | None:
        """Return the languages whose chunks have vectors (None: all, or not recorded)."""
        raw = self.catalog.get_meta("vector_languages")
        value = json.loads(raw) if raw else None
        return None if value is None else frozenset(value)

    def vector_rows(self, source: str) -> dict[str, ChunkRow]:
        """Return the chunk rows of a source that have (or should have) a vector."""
        _, rows = self.lexical(source)
        languages = self.vector_languages
        if languages is None:
            return rows
        return {c: row for c, row in rows.items() if reads(languages, row.language)}

    @property
    def embedder_name(self) -> str | None:
        """Return the embedding model the store's vectors were made with ("" while another
        model's replace them, None before any)."""
        return self.catalog.get_meta("embedder")

    def embedded_with(self, source: str) -> str | None:
        """Return embedder_name, read once per generation of the source (searches ask)."""
        generation = self.catalog.generation(source)
        cached = self._embedded_with.get(source)
        if cached is None or cached[0] != generation:
            cached = (generation, self.embedder_name)
            self._embedded_with[source] = cached
        return cached[1]

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
        the chunks the lexical side knows, less those in languages without vectors.
        """
        if self.config.flat_max_chunks <= 0:
            return None
        generation = self.catalog.generation(source)
        with self._lock(source, "flat"):
            cached = self._flat.get(source)
            if cached is not None and cached[0] == generation:
                return cached[1]
            rows = self.vector_rows(source)
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

    def similarities(self, source: str, embedding: np.ndarray,
                     ids: Sequence[str]) -> dict[str, float]:
        """Return the cosine of a query vector to some chunks that have vectors."""
        copy = self.vector_copy(source)
        if copy is not None:
            return copy.similarities(embedding, ids)
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        return {c: float(np.asarray(v, dtype=np.float32) @ vector)
                for c, v in self.vectors.stored(source, list(ids)).items()}

    def ann_vectors(self, source: str, *, wait: bool = False) -> AnnVectors | None:
        """Return the in-process HNSW copy of a source's vectors, or None while there is none.

        Only above `flat_max_chunks` (below it the exact copy is both exact and faster). The
        first call starts building the copy in a background thread and returns None, so the
        caller queries Chroma meanwhile; `wait=True` waits for the copy instead (it still
        returns None for a small source, or when the build fails). When the catalog changes,
        the chunks whose title, heading, text or language changed are removed and added again
        with their new vectors: up to ANN_INLINE_CHANGES removals and additions in the
        calling search, more in the background. More than max(1,000, a tenth of the chunks),
        or a copy that would then have had a quarter of its keys removed, is rebuilt in the
        background instead. A chunk whose vector Chroma does not have (an interrupted ingest)
        is left out, and looked for again at the next change.
        """
        while True:
            index, worker = self._ann_step(source)
            if worker is None or not wait:
                return index
            worker.join()
            state = self._ann.get(source)
            if state is not None and state.failed_at is not None:
                return None  # the work waited for failed: do not start more at once

    def _ann_step(self, source: str) -> tuple[AnnVectors | None, threading.Thread | None]:
        """Return the current copy, or the worker to wait for before there is one."""
        if not self.config.ann_vectors:
            return None, None
        generation = self.catalog.generation(source)
        with self._lock(source, "ann"):
            if self._closing.is_set():
                return None, None
            state = self._ann.get(source)
            if state is not None and state.worker is not None:
                return None, state.worker
            if state is not None and state.generation == generation and state.index is not None:
                return state.index, None
            if state is not None and state.failed_at is not None and \
                    time.monotonic() - state.failed_at < ANN_RETRY_S:
                return None, None  # Chroma answers until the retry is due
            rows = self.vector_rows(source)
            if len(rows) <= max(0, self.config.flat_max_chunks):
                self._ann.pop(source, None)
                return None, None
            signatures = {chunk_id: _signature(row) for chunk_id, row in rows.items()}
            index = state.index if state is not None else None
            removed: list[str] = []
            added = list(rows)
            if index is not None:
                assert state is not None
                removed = [c for c, sig in state.signatures.items()
                           if signatures.get(c) != sig]
                added = [c for c, sig in signatures.items() if state.signatures.get(c) != sig]
                if not _worth_updating(index, removed, added, len(rows)):
                    index, removed, added = None, [], list(rows)  # rebuild
                elif len(removed) + len(added) <= ANN_INLINE_CHANGES:
                    try:
                        self._ann_apply(source, index, removed, added, rows, signatures)
                    except Exception as exc:
                        self._ann_failed(source, generation, "dropping", exc)
                        return None, None
                    self._ann[source] = _AnnState(generation, index, signatures)
                    return index, None
            worker = threading.Thread(target=self._ann_run, name=f"kotae-ann-{source}",
                                      args=(source, generation, signatures, index, removed,
                                            added, rows), daemon=True)
            self._ann[source] = _AnnState(generation, None, {}, worker)
            worker.start()
            return None, worker

    def _ann_apply(self, source: str, index: AnnVectors, removed: list[str], added: list[str],
                   rows: dict[str, ChunkRow], signatures: dict[str, int], *,
                   threads: int = 1) -> None:
        """Remove chunks from a copy, then add others with their vectors from Chroma.

        Vectors are fetched a batch at a time before the batch changes the copy. A chunk
        Chroma has no vector for is left out, and out of `signatures`, so that the next
        change looks for it again.
        """
        missing: list[str] = []
        index.remove(removed)
        for start in range(0, len(added), CHROMA_BATCH):
            if self._closing.is_set():
                raise StoreError("the store was closed while its HNSW copy was updated")
            batch = added[start:start + CHROMA_BATCH]
            found = self.vectors.stored(source, batch)
            missing += [c for c in batch if c not in found]
            present = [c for c in batch if c in found]
            if present:
                index.add(present, np.vstack([found[c] for c in present]),
                          [rows[c].language for c in present], threads=threads)
        if missing:
            log.warning("%d chunks of %s have no vector in Chroma (e.g. %s); re-run ingest_kb.py "
                        "to repair the index", len(missing), source, missing[0])
        for chunk_id in missing:
            del signatures[chunk_id]

    def _ann_failed(self, source: str, generation: int, doing: str, exc: Exception) -> None:
        """Record a failed build or update (the caller holds the source's "ann" lock)."""
        log.warning("%s the HNSW copy of %s: %s", doing, source, exc)
        self._ann[source] = _AnnState(generation, None, {}, failed_at=time.monotonic())

    def _ann_run(self, source: str, generation: int, signatures: dict[str, int],
                 index: AnnVectors | None, removed: list[str], added: list[str],
                 rows: dict[str, ChunkRow]) -> None:
        """In a background thread: build a copy (index None) or apply a large change to one.

        Vectors are fetched from Chroma after the rows were read, and the indexer writes
        Chroma before the catalog, so a vector is never older than the row it is recorded
        with; one that is newer, or gone, belongs to a change the next diff will see.
        """
        started = time.perf_counter()
        threads = self.config.ann_build_threads or max(1, available_cpus() - 1)
        fresh = index is None  # this process has no copy yet: load a snapshot, or build
        loaded = False
        try:
            if index is None:
                index, removed, added, loaded = self._ann_start(source, rows)
            self._ann_apply(source, index, removed, added, rows, signatures, threads=threads)
        except Exception as exc:  # Chroma answers instead, and the build is tried again later
            if not self._closing.is_set():
                with self._lock(source, "ann"):
                    self._ann_failed(source, generation, "could not build", exc)
            return
        # Saved before anyone searches (and changes) this copy. Only a new build, or a load
        # that had a lot to catch up with: a large update of a copy in use is not written
        # (hnswlib holds the GIL while it writes, ~2 s at 100k chunks).
        if self.config.ann_snapshots and fresh and (
                (not loaded and added) or len(removed) + len(added) > _SNAPSHOT_RESAVE):
            self._save_ann(source, generation, index, rows, signatures)
        with self._lock(source, "ann"):
            self._ann[source] = _AnnState(generation, index, signatures)
        log.info("HNSW copy of %s: %s%d chunks added, %d removed in %.1f s", source,
                 "loaded from its snapshot, " if loaded else "", len(added), len(removed),
                 time.perf_counter() - started)

    def _ann_start(self, source: str, rows: dict[str, ChunkRow],
                   ) -> tuple[AnnVectors, list[str], list[str], bool]:
        """Return the copy to start from, what to remove from it and add to it, and whether it
        came from a snapshot: the snapshot and the chunks changed since, or an empty copy."""
        loaded = self._load_ann(source) if self.config.ann_snapshots else None
        if loaded is not None:
            index, saved = loaded
            current = {chunk_id: _stable_signature(row) for chunk_id, row in rows.items()}
            removed = [c for c, sig in saved.items() if current.get(c) != sig]
            added = [c for c, sig in current.items() if saved.get(c) != sig]
            if _worth_updating(index, removed, added, len(rows)):
                return index, removed, added, True
            log.info("HNSW copy of %s: %d chunks changed since its snapshot; building anew",
                     source, len(removed) + len(added))
        index = AnnVectors(self.vectors.dimension(source), ef_search=self.config.hnsw_ef_search)
        return index, [], list(rows), False

    def _snapshot_key(self, source: str) -> dict[str, object]:
        """What a snapshot must have been made with to be used: the same vectors and format."""
        try:
            hnswlib_version = importlib.metadata.version("chroma-hnswlib")
        except importlib.metadata.PackageNotFoundError:
            hnswlib_version = "unknown"
        return {"embedder": self.embedder_name, "dimension": self.vectors.dimension(source),
                "prefix": self.config.collection_prefix, "hnswlib": hnswlib_version,
                "chroma": (f"{self.config.chroma_host}:{self.config.chroma_port}"
                           if self.config.chroma_host else "embedded")}

    def _save_ann(self, source: str, generation: int, index: AnnVectors,
                  rows: dict[str, ChunkRow], signatures: dict[str, int]) -> None:
        """Write a snapshot of a source's copy (it holds the chunks in `signatures`), made
        from the catalog at `generation`.

        Each snapshot is a new folder; a file naming the current one is replaced atomically,
        so a process loading one never reads half of another. One process saves at a time
        (the others skip it), and not when the catalog changed during the build (a chunk
        edited and put back meanwhile could hold the wrong vector) or the current snapshot
        is as new. Failing is logged, never raised: the copy in memory is as good.
        """
        root = self.config.path / "ann" / source
        started = time.perf_counter()
        folder: Path | None = None
        published = False
        try:
            with try_file_lock(root / "save.lock") as held:
                if not held:
                    log.info("HNSW copy of %s: another process is saving it", source)
                    return
                if self.catalog.generation(source, fresh=True) != generation:
                    log.info("HNSW copy of %s: not saved, the catalog changed meanwhile", source)
                    return
                key = self._snapshot_key(source)
                previous = self._current_snapshot(root)
                saved_at = previous[1].get("generation") if previous is not None else None
                if previous is not None and previous[1].get("key") == key and \
                        isinstance(saved_at, int) and saved_at >= generation:
                    return  # another process saved a copy as new meanwhile
                folder = root / f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
                index.save(folder)
                header = {"format": _SNAPSHOT_FORMAT, "key": key, "generation": generation,
                          "signatures": {c: _stable_signature(rows[c]) for c in signatures}}
                (folder / "store.json").write_text(json.dumps(header), encoding="utf-8")
                # On disk before it is named current: after a crash or power loss the pointer
                # never names a snapshot whose files were still in the page cache.
                _fsync_folder(folder)
                fsync_dir(root)  # the snapshot's folder entry, before the name points at it
                handle, pointer = tempfile.mkstemp(dir=root, prefix="current.", suffix=".tmp")
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(folder.name)
                    out.flush()
                    os.fsync(out.fileno())
                Path(pointer).replace(root / "current")
                fsync_dir(root)
                published = True
                if previous is not None:  # retired now: its keep time starts here
                    with contextlib.suppress(OSError):
                        os.utime(root / previous[0])
                self._clean_snapshots(root, keep=folder.name)
        except Exception as exc:
            log.warning("could not save the HNSW copy of %s in %s: %s", source, root, exc)
            if folder is not None and not published:
                shutil.rmtree(folder, ignore_errors=True)
            return
        log.info("HNSW copy of %s saved (%d chunks) in %.1f s", source, len(signatures),
                 time.perf_counter() - started)

    @staticmethod
    def _read_snapshot(root: Path) -> tuple[str, dict[str, Any]] | None:
        """Return the current snapshot's folder name and header; None when there is none.

        Raises OSError or ValueError when the pointer or the header is unreadable.
        """
        try:
            name = (root / "current").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not name or name != Path(name).name or name.startswith("."):
            raise ValueError(f"the pointer names {name!r}, not a snapshot folder")
        header = json.loads((root / name / "store.json").read_text(encoding="utf-8"))
        if not isinstance(header, dict):
            raise ValueError(f"{root / name / 'store.json'} is not a snapshot header")
        return name, header

    @classmethod
    def _current_snapshot(cls, root: Path) -> tuple[str, dict[str, Any]] | None:
        """Return the current snapshot's folder name and header, or None (also if damaged)."""
        try:
            return cls._read_snapshot(root)
        except (OSError, ValueError):
            return None

    @staticmethod
    def _clean_snapshots(root: Path, keep: str) -> None:
        """Delete snapshots retired more than _SNAPSHOT_KEEP_S ago, and stale pointer files."""
        try:
            entries = list(root.iterdir())
        except OSError:
            return
        now = time.time()
        for entry in entries:
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime <= _SNAPSHOT_KEEP_S or entry.name == keep:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                elif entry.name.endswith(".tmp"):
                    entry.unlink()

    def _load_ann(self, source: str) -> tuple[AnnVectors, dict[str, str]] | None:
        """Return the saved copy of a source and its chunks' signatures, or None.

        A snapshot replaced (and deleted) while this process was reading it is tried once
        more under its new name; a damaged one is logged and left to be built anew.
        """
        root = self.config.path / "ann" / source
        name = ""
        for attempt in (1, 2):
            try:
                found = self._read_snapshot(root)
                if found is None:
                    return None
                name, header = found
                if header.get("format") != _SNAPSHOT_FORMAT or \
                        header.get("key") != self._snapshot_key(source):
                    log.info("the HNSW snapshot of %s was made with other vectors or another "
                             "format; building anew", source)
                    return None
                index = AnnVectors.load(root / name, ef_search=self.config.hnsw_ef_search)
                signatures = {str(c): str(sig) for c, sig in header["signatures"].items()}
                if len(signatures) != len(index) or any(c not in index for c in signatures):
                    raise ValueError("its signatures and its graphs name different chunks")
                return index, signatures
            except Exception as exc:  # a damaged or half-deleted snapshot: build from Chroma
                now = self._current_snapshot(root)
                if attempt == 1 and name and now is not None and now[0] != name:
                    continue  # replaced while it was read: load the new one
                log.warning("could not load the HNSW snapshot of %s (%s); building it anew",
                            source, exc)
                return None
        return None

    def taxonomy(self) -> Taxonomy:
        """Return the taxonomy saved at ingestion, or the default one.

        Read again only when the file changed: every API worker asks on each maintenance
        pass whether its tagger is still current. A shared catalog holds it instead of the
        folder, so every host tags with the one ingestion saved.
        """
        if self.catalog.shared:
            raw = self.catalog.get_meta("taxonomy")
            if not raw:
                return Taxonomy.default()
            shared = self._shared_taxonomy
            if shared is None or shared[0] != raw:
                shared = (raw, taxonomy_from_data(json.loads(raw), "the catalog's taxonomy"))
                self._shared_taxonomy = shared
            return shared[1]
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
        if self.catalog.shared:
            self.catalog.set_meta("taxonomy", json.dumps(taxonomy.to_dict(), ensure_ascii=False))
            return
        self.config.path.mkdir(parents=True, exist_ok=True)
        tmp = self.config.path / "taxonomy.json.tmp"
        tmp.write_text(json.dumps(taxonomy.to_dict(), ensure_ascii=False, indent=2),
                       encoding="utf-8")
        tmp.replace(self.config.path / "taxonomy.json")


def _filterable(metadata: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in metadata.items()
            if k in ("tag", "account_id", "category", "plan") and v is not None}
