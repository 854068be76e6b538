"""The vector side of the index: Chroma, embedded (PersistentClient) or a server (HttpClient)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from errors import StoreError
from retrieval.catalog import ChunkRow
from retrieval.ranking import top_k
from retrieval.types import Chunk

COLLECTIONS = {"kb": "kotae_kb_chunks", "ticket": "kotae_tickets"}
CHROMA_BATCH = 2000  # stays under Chroma's max batch size on every backend
#: How wide HNSW searches (Chroma's default is 100). A Chroma query costs more per result
#: returned than per candidate visited: at 64,779 chunks, k=4 took about the same time at ef
#: 100 and 150, and k=150 about 1 ms more. With ef 150 a 1.5x over-fetch (75 results) agrees
#: with the exact search as often as 3x did at ef 100 (bench/overfetch_agreement.py).
DEFAULT_EF_SEARCH = 150


@dataclass(frozen=True)
class VectorHit:
    """One nearest neighbour: chunk id and cosine similarity."""

    id: str
    similarity: float


_BLAS_LIMITED = False
_BLAS_LOCK = threading.Lock()


def single_threaded_blas() -> None:
    """Keep BLAS on the calling thread, process-wide, from the first exact copy (or the
    tagger's training) on.

    A matrix-vector product this size gains nothing from BLAS threads, and on a small
    machine they fight onnxruntime's threads and the server's other requests: on 2 busy
    cores a 1,289 x 384 product took 7.4 ms with OpenBLAS's threads and 0.2 ms without.
    The limit is set once and left in place: threadpoolctl changes a process-wide setting,
    so setting and restoring it around each query would race between concurrent searches.
    """
    global _BLAS_LIMITED
    if _BLAS_LIMITED:
        return
    with _BLAS_LOCK:
        if not _BLAS_LIMITED:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
            _BLAS_LIMITED = True


def _by_language(languages: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """Return each language with the positions of its rows, languages in sorted order."""
    codes = np.asarray(languages, dtype=object)
    return [(lang, np.flatnonzero(codes == lang)) for lang in sorted(set(map(str, languages)))]


def _best(positions: list[np.ndarray], scores: list[np.ndarray], k: int,
          ids: Sequence[str | None]) -> list[VectorHit]:
    """Merge per-language results: the k best, ties by position, as hits with their ids."""
    if not positions:
        return []
    rows, found = np.concatenate(positions), np.concatenate(scores)
    order = np.lexsort((rows, -found))[:k]  # best first, ties by position
    return [VectorHit(chunk_id, score)
            for chunk_id, score in zip((ids[i] for i in rows[order].tolist()),
                                       found[order].tolist(), strict=True)
            if chunk_id is not None]


class FlatVectors:
    """An exact in-memory copy of one collection's vectors, for fast search of small indexes.

    Chroma stays the store of record; this copy answers nearest-neighbour queries by
    matrix-vector products, which at knowledge-base sizes (up to some tens of thousands of
    chunks) is both exact and faster than a Chroma query's fixed overhead. Rows are unit
    vectors, so the dot product is the cosine similarity Chroma reports.

    The rows are kept in one matrix per language. A query restricted to one language reads
    only that language's rows: the scan is bound by memory bandwidth (15 MiB at 10k chunks),
    so an English query over an 80 % English index costs 80 % of a full scan (with a model that
    reads every language; the local one embeds English only, see retrieval.indexer.Indexer).
    """

    def __init__(self, ids: Sequence[str], matrix: np.ndarray, languages: Sequence[str]) -> None:
        if len(ids) != matrix.shape[0] or len(ids) != len(languages):
            raise ValueError("ids, vectors and languages must have the same length")
        single_threaded_blas()
        self.ids = list(ids)
        matrix = np.asarray(matrix, dtype=np.float32)
        # language -> (global row positions, that language's rows as one contiguous matrix)
        self._groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._where: dict[str, tuple[str, int]] = {}  # id -> (language, row in its matrix)
        for lang, rows in _by_language(languages):
            self._groups[lang] = (rows, np.ascontiguousarray(matrix[rows]))
            self._where.update((self.ids[g], (lang, n)) for n, g in enumerate(rows.tolist()))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def languages(self) -> list[str]:
        """Return the languages that have rows, sorted."""
        return sorted(self._groups)

    def query(self, embedding: np.ndarray, k: int,
              languages: Sequence[str] | None = None) -> list[VectorHit]:
        """Return the k most similar rows, best first, optionally only in some languages."""
        if not self.ids or k <= 0:
            return []
        wanted = self._groups if languages is None else dict.fromkeys(languages)
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        positions: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for lang in wanted:
            group = self._groups.get(lang)
            if group is None:
                continue
            rows, matrix = group
            found = matrix @ vector
            keep = top_k(found, k)  # the best k of each language hold the best k overall
            positions.append(rows[keep])
            scores.append(found[keep])
        return _best(positions, scores, k, self.ids)

    def similarities(self, embedding: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Return the cosine of a vector to each of some rows (ids without a row are left out)."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        out: dict[str, float] = {}
        for chunk_id in ids:
            where = self._where.get(chunk_id)
            if where is not None:
                out[chunk_id] = float(self._groups[where[0]][1][where[1]] @ vector)
        return out


#: Version of what AnnVectors.save writes; load refuses other versions.
_ANN_FORMAT = 1


class AnnVectors:
    """An in-process HNSW index (hnswlib) over one source's vectors, one graph per language.

    Above the exact copy's size limit a Chroma query is dominated by a fixed cost, not by
    the search: ~0.7 ms on a 200-vector collection (inside Chroma's Rust bindings). This
    index answers the same search in a fraction of that (bench/ann_agreement.py measures
    both). Chroma stays the store of record; this is a cache of its vectors, built from them
    and searched instead of them, like FlatVectors, with one graph per language for the same
    reason: a query restricted to its language neither over-fetches nor reads other rows.

    hnswlib is Chroma's own build of it (chroma-hnswlib, what Chroma used before 1.0).
    Vectors are float32, unit length, and compared by inner product, so the similarities are
    the cosines Chroma reports. Keys are positions in an append-only id list, so chunks are
    added and removed as documents change without rebuilding the graphs; a removed chunk
    stays in its graph, marked deleted (the `removed` count tells the owner when to rebuild).
    """

    def __init__(self, ndim: int, *, ef_search: int = DEFAULT_EF_SEARCH,
                 connectivity: int = 16, expansion_add: int = 128) -> None:
        if ndim < 1:
            raise ValueError(f"ndim must be at least 1, got {ndim}")
        self.ndim = ndim
        self.ef_search = ef_search
        self.connectivity, self.expansion_add = connectivity, expansion_add
        self._ids: list[str | None] = []
        self._key_of: dict[str, int] = {}
        self._language_of: list[str] = []
        self._graphs: dict[str, Any] = {}
        self._live: dict[str, int] = {}  # chunks in each graph, not counting removed ones
        self.removed = 0  # keys removed since the build; the graphs degrade as this grows
        # One writer or searcher at a time: adds resize the graphs, and the Python id list
        # and counts must match what a search returns.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._key_of)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._key_of

    @property
    def languages(self) -> list[str]:
        """Return the languages that have live chunks, sorted."""
        with self._lock:
            return sorted(lang for lang, live in self._live.items() if live)

    def _graph(self, language: str, room: int) -> Any:
        """Return a language's graph, with space for `room` more vectors."""
        graph = self._graphs.get(language)
        if graph is None:
            import hnswlib

            graph = hnswlib.Index(space="ip", dim=self.ndim)
            graph.init_index(max_elements=max(1_024, room), ef_construction=self.expansion_add,
                             M=self.connectivity)
            graph.set_ef(self.ef_search)
            self._graphs[language] = graph
            self._live[language] = 0
        needed = graph.get_current_count() + room  # removed chunks keep their slots
        if needed > graph.get_max_elements():
            graph.resize_index(max(needed, 2 * graph.get_max_elements()))
        return graph

    def add(self, ids: Sequence[str], matrix: np.ndarray, languages: Sequence[str],
            *, threads: int = 1) -> None:
        """Add (or replace) chunks' unit vectors."""
        if len(ids) != len(matrix) or len(ids) != len(languages):
            raise ValueError("ids, vectors and languages must have the same length")
        matrix = np.asarray(matrix, dtype=np.float32).reshape(len(ids), -1)
        if len(ids) and matrix.shape[1] != self.ndim:
            raise ValueError(f"vectors have {matrix.shape[1]} dimensions, the index {self.ndim}")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be distinct")
        with self._lock:
            self._remove([i for i in ids if i in self._key_of])
            for language, rows in _by_language(languages):
                start = len(self._ids)
                keys = np.arange(start, start + len(rows), dtype=np.int64)
                graph = self._graph(language, len(rows))
                graph.add_items(matrix[rows], keys, num_threads=threads)
                # Recorded once the graph holds them, so a failed add leaves no ghost keys.
                added = [ids[i] for i in rows.tolist()]
                self._ids.extend(added)
                self._language_of.extend([language] * len(rows))
                self._key_of.update(zip(added, range(start, start + len(rows)), strict=True))
                self._live[language] += len(rows)

    def remove(self, ids: Sequence[str]) -> None:
        """Remove chunks (unknown ids are ignored)."""
        with self._lock:
            self._remove(ids)

    def _remove(self, ids: Sequence[str]) -> None:
        for chunk_id in ids:
            key = self._key_of.get(chunk_id)
            if key is None:
                continue
            language = self._language_of[key]
            self._graphs[language].mark_deleted(key)
            del self._key_of[chunk_id]
            self._live[language] -= 1
            self._ids[key] = None
            self.removed += 1

    def save(self, folder: Path) -> None:
        """Write the graphs and what their keys stand for into a new folder.

        hnswlib writes each graph with its deleted marks; the id list (None for a removed
        chunk), the languages and the counts go to ids.json. `load` reads them back.
        """
        with self._lock:
            folder.mkdir(parents=True)
            graphs = {}
            for n, (language, graph) in enumerate(self._graphs.items()):
                name = f"graph-{n}.bin"
                graph.save_index(str(folder / name))
                graphs[language] = {"file": name, "live": self._live[language],
                                    "count": int(graph.get_current_count())}
            meta = {"format": _ANN_FORMAT, "ndim": self.ndim, "connectivity": self.connectivity,
                    "expansion_add": self.expansion_add, "removed": self.removed,
                    "ids": self._ids, "languages": self._language_of, "graphs": graphs}
            (folder / "ids.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, *, ef_search: int = DEFAULT_EF_SEARCH) -> AnnVectors:
        """Read a copy `save` wrote; ValueError when the folder does not hold a whole one."""
        import hnswlib

        meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        if meta.get("format") != _ANN_FORMAT:
            raise ValueError(f"{folder} holds an HNSW copy of another format")
        index = cls(int(meta["ndim"]), ef_search=ef_search,
                    connectivity=int(meta["connectivity"]),
                    expansion_add=int(meta["expansion_add"]))
        ids: list[str | None] = meta["ids"]
        languages: list[str] = meta["languages"]
        if len(ids) != len(languages):
            raise ValueError(f"{folder}: {len(ids)} ids but {len(languages)} languages")
        for language, entry in meta["graphs"].items():
            graph = hnswlib.Index(space="ip", dim=index.ndim)
            graph.load_index(str(folder / entry["file"]))
            if graph.get_current_count() != entry["count"]:
                raise ValueError(f"{folder}: the {language} graph holds "
                                 f"{graph.get_current_count()} vectors, not {entry['count']}")
            graph.set_ef(ef_search)
            index._graphs[language] = graph
            index._live[language] = int(entry["live"])
        index._ids = ids
        index._language_of = languages
        index._key_of = {chunk_id: key for key, chunk_id in enumerate(ids) if chunk_id is not None}
        index.removed = int(meta["removed"])
        if sum(index._live.values()) != len(index._key_of):
            raise ValueError(f"{folder}: the graphs and the id list disagree")
        return index

    def query(self, embedding: np.ndarray, k: int,
              languages: Sequence[str] | None = None) -> list[VectorHit]:
        """Return (about) the k most similar chunks, best first, optionally only in some languages."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(1, -1)
        if vector.shape[1] != self.ndim:
            raise ValueError(f"the query has {vector.shape[1]} dimensions, the index {self.ndim}")
        if k <= 0 or not self._key_of:
            return []
        keys: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        with self._lock:
            wanted = list(self._graphs) if languages is None else dict.fromkeys(languages)
            for language in wanted:
                count = min(k, self._live.get(language, 0))
                while count > 0:
                    try:
                        found, distances = self._graphs[language].knn_query(
                            vector, k=count, num_threads=1)
                        break
                    except RuntimeError:
                        # hnswlib refuses when it reaches fewer than k live chunks (HNSW does
                        # not promise every node is reachable, least of all after removals):
                        # ask for fewer rather than fail the search.
                        count //= 2
                if count == 0:
                    continue
                keys.append(found[0].astype(np.int64))
                scores.append(1.0 - distances[0])  # "ip" distance is 1 - inner product
            return _best(keys, scores, k, self._ids)

    def similarities(self, embedding: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Return the cosine of a vector to each of some chunks (unknown ids are left out)."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        out: dict[str, float] = {}
        with self._lock:
            for chunk_id in ids:
                key = self._key_of.get(chunk_id)
                if key is None:
                    continue
                stored = self._graphs[self._language_of[key]].get_items([key])
                out[chunk_id] = float(np.asarray(stored[0], dtype=np.float32) @ vector)
        return out


# Opening Chroma is not safe from two threads at once, in one index or in two over the same
# folder: its shared-system registry (one per process, keyed by folder) raised KeyError and
# "could not connect to tenant" when a worker loading the HNSW snapshot and the first search
# both opened it. Clients are opened one at a time in the process.
_CHROMA_OPENING = threading.Lock()


class VectorIndex:
    """Knowledge-base chunks and past tickets in two Chroma collections with cosine distance."""

    def __init__(self, client: Any | Callable[[], Any], *, prefix: str = "",
                 ef_search: int = DEFAULT_EF_SEARCH) -> None:
        # The client may be a factory: importing and opening Chroma costs seconds, and an
        # unchanged re-ingest or a catalog-only operation never needs it.
        self._client_or_factory = client
        self._from_factory = callable(client) and not hasattr(client, "heartbeat")
        self._client: Any = None if self._from_factory else client
        self._collections: dict[str, Any] = {}
        # One client per index, opened once whatever the threads (see _CHROMA_OPENING).
        self._opening = threading.Lock()
        self._prefix = prefix
        if ef_search < 1:
            raise ValueError(f"ef_search must be at least 1, got {ef_search}")
        self.ef_search = ef_search

    @property
    def client(self) -> Any:
        """Return the Chroma client, connecting on first use (once, whatever the threads)."""
        if self._client is None:
            with self._opening:
                if self._client is None:
                    self._client = self._client_or_factory()
        return self._client

    def close(self) -> None:
        """Release Chroma's handle (its client is shared per folder in the process), so that
        the folder may be copied or deleted; the next use opens it again."""
        with self._opening:
            client, self._collections = self._client, {}
            if self._from_factory:
                self._client = None
        close = getattr(client, "close", None)
        if callable(close):
            close()

    @classmethod
    def open(
        cls, path: Path | None = None, *, host: str | None = None, port: int = 8000,
        prefix: str = "", ef_search: int = DEFAULT_EF_SEARCH,
    ) -> VectorIndex:
        """Describe an embedded store at path, or a Chroma server when host is given."""
        if not host and path is None:
            raise StoreError("no store path given", hint="pass --store DIR")

        def connect() -> Any:
            import chromadb
            from chromadb.config import Settings

            settings = Settings(anonymized_telemetry=False, allow_reset=False)
            try:
                if host:
                    client = chromadb.HttpClient(host=host, port=port, settings=settings)
                    client.heartbeat()
                    return client
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                with _CHROMA_OPENING:
                    return chromadb.PersistentClient(path=str(path), settings=settings)
            except Exception as exc:  # chromadb raises many unrelated types when unreachable
                where = f"Chroma server at {host}:{port}" if host else f"Chroma store at {path}"
                raise StoreError(f"cannot open the {where}: {exc}",
                                 hint="check that the server runs / the folder is writable"
                                 ) from exc

        return cls(connect, prefix=prefix, ef_search=ef_search)

    def _collection(self, source: str) -> Any:
        if source in self._collections:
            return self._collections[source]
        client = self.client
        with self._opening:
            if source in self._collections:
                return self._collections[source]
            collection = client.get_or_create_collection(
                self._prefix + COLLECTIONS[source], embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": self.ef_search}},
            )
            # A collection made before this setting (Chroma's default is 100) keeps its own
            # value: set it here, before this process first reads the collection. An index
            # already loaded keeps the value it was loaded with until the process restarts.
            hnsw = (collection.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") != self.ef_search:
                collection.modify(configuration={"hnsw": {"ef_search": self.ef_search}})
            self._collections[source] = collection
        return self._collections[source]

    def upsert(
        self, source: str, ids: Sequence[str], embeddings: np.ndarray,
        metadatas: Sequence[dict[str, Any]], documents: Sequence[str],
    ) -> None:
        """Insert or replace vectors with their metadata and text."""
        collection = self._collection(source)
        for start in range(0, len(ids), CHROMA_BATCH):
            end = start + CHROMA_BATCH
            collection.upsert(
                ids=list(ids[start:end]), embeddings=embeddings[start:end],
                metadatas=[_clean(m) for m in metadatas[start:end]],
                documents=list(documents[start:end]),
            )

    def drop(self, source: str) -> None:
        """Delete a source's collection with every vector in it; the next write makes it anew
        (for vectors of another model, whose dimension may differ)."""
        from chromadb.errors import NotFoundError

        client = self.client
        with self._opening:
            self._collections.pop(source, None)
            with contextlib.suppress(NotFoundError):  # never written: nothing to drop
                client.delete_collection(self._prefix + COLLECTIONS[source])

    def delete(self, source: str, ids: Sequence[str]) -> None:
        """Remove vectors by id (missing ids are ignored)."""
        collection = self._collection(source)
        for start in range(0, len(ids), CHROMA_BATCH):
            collection.delete(ids=list(ids[start:start + CHROMA_BATCH]))

    def ids(self, source: str) -> set[str]:
        """Return every id in a collection."""
        return {str(i) for i in self._collection(source).get(include=[])["ids"]}

    def embeddings(self, source: str, ids: Sequence[str]) -> np.ndarray:
        """Return stored vectors for ids, in the order given."""
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        found = self.stored(source, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(f"{len(missing)} vectors missing from {source} (e.g. {missing[0]})",
                             hint="re-run ingest_kb.py to repair the index")
        return np.vstack([found[i] for i in ids])

    def stored(self, source: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the stored vectors of those ids that have one."""
        found: dict[str, np.ndarray] = {}
        collection = self._collection(source)
        for start in range(0, len(ids), CHROMA_BATCH):
            got = collection.get(ids=list(ids[start:start + CHROMA_BATCH]), include=["embeddings"])
            for key, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[str(key)] = np.asarray(vector, dtype=np.float32)
        return found

    def dimension(self, source: str) -> int:
        """Return the length of a collection's vectors (from one of them)."""
        got = self._collection(source).get(limit=1, include=["embeddings"])
        if not got["ids"]:
            raise StoreError(f"the {source} collection holds no vectors",
                             hint="re-run ingest_kb.py to repair the index")
        return len(got["embeddings"][0])

    def count(self, source: str) -> int:
        """Return how many vectors a collection holds."""
        return int(self._collection(source).count())

    def query(
        self, source: str, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        """Return the k nearest chunks, optionally filtered by metadata."""
        collection = self._collection(source)
        result = collection.query(
            query_embeddings=embedding.reshape(1, -1), n_results=k,
            where=_where(where), include=["distances"],
        )
        ids, distances = result["ids"][0], result["distances"][0]
        return [VectorHit(str(i), 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be scalars and not None."""
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}


def _where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    if not filters:
        return None
    clauses = [{k: {"$in": list(v)} if isinstance(v, list | tuple | set) else {"$eq": v}}
               for k, v in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def vector_metadata(chunk: Chunk | ChunkRow) -> dict[str, Any]:
    """Return what Chroma stores beside a chunk's vector (filters and the hit's fields)."""
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id, "source": chunk.source, "language": chunk.language,
        "title": chunk.title, "heading": chunk.heading, "section": chunk.section,
        "position": chunk.position,
    }
    if chunk.url:
        meta["url"] = chunk.url
    for key in ("tag", "account_id", "created_at", "category", "plan"):
        if key in chunk.metadata:
            meta[key] = chunk.metadata[key]
    return meta


def parse_chroma_url(url: str) -> tuple[str, int]:
    """Return the host and port of a Chroma server URL such as http://127.0.0.1:8000."""
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port or 8000
    except ValueError as exc:
        raise ValueError(f"KOTAE_CHROMA_URL={url!r} has no valid port") from exc
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"KOTAE_CHROMA_URL={url!r} is not a Chroma server address; "
                         "use http://host:port")
    return parts.hostname, port
