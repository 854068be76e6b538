"""The catalog: a SQLite file beside the vector store that records what is indexed.

It holds each document's content hash (so unchanged content is skipped), its chunks' text and
lexical terms (so BM25 can be rebuilt without re-reading sources), and the store's settings.
Chroma is written first and the catalog committed after, so the catalog never claims more
than the vector store has; a `pending` flag marks a write in progress for repair on next open.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.locks import file_lock
from retrieval.types import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    language TEXT NOT NULL,
    origin TEXT NOT NULL,
    record TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (source, doc_id)
);
CREATE TABLE IF NOT EXISTS chunks (
    source TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    section INTEGER NOT NULL,
    title TEXT NOT NULL,
    heading TEXT NOT NULL,
    url TEXT,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    terms TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (source, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (source, doc_id, position);
"""


@dataclass(frozen=True)
class ChunkRow:
    """A chunk as the catalog holds it."""

    source: str
    chunk_id: str
    doc_id: str
    position: int
    section: int
    title: str
    heading: str
    url: str | None
    language: str
    text: str
    terms: list[str]
    tokens: int
    metadata: dict[str, Any]


#: The sources an index holds: knowledge-base articles and past tickets.
SOURCES = ("kb", "ticket")
GENERATION_TTL_S = 0.25


class Catalog:
    """SQLite record of indexed documents and chunks."""

    shared = False  # one host's file (retrieval.db_catalog.DatabaseCatalog is shared)

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        # source -> (its generation, when read); see generation()
        self._generations: dict[str, tuple[int, float]] = {}

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def transaction(self, source: str | None = None) -> Iterator[sqlite3.Connection]:
        """Run statements in one transaction (one that changes `source`'s documents, if given)."""
        # A committed change to a source's documents bumps that source's generation, so a
        # searcher in any process (the API while ingest_kb.py runs, say) knows to reload.
        key = f"generation:{source}"
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                if source is not None:
                    self._db.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, '0')", (key,))
                    self._db.execute(
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?",
                        (key,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._generations.clear()  # our own change is visible at once

    def generation(self, source: str, *, fresh: bool = False) -> int:
        """Return a number that changes whenever a source's documents change.

        Learning a ticket therefore leaves the knowledge base's in-memory indexes alone.
        Every search asks, so the value is re-read at most every GENERATION_TTL_S: a change
        made through this object is seen at once, one made by another process (ingest_kb.py
        while the API runs) within that interval; `fresh` reads it now.
        """
        cached = self._generations.get(source)
        now = time.monotonic()
        if cached is not None and now - cached[1] < GENERATION_TTL_S and not fresh:
            return cached[0]
        # Read and remember under the lock that transaction() holds while it commits and
        # clears: a value read before a commit can then not be cached after it.
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?",
                                   (f"generation:{source}",)).fetchone()
            value = int(row[0]) if row is not None else 0
            self._generations[source] = (value, now)
        return value

    def writer_lock(self) -> contextlib.AbstractContextManager[None]:
        """Return the store's writer lock: an flock on writer.lock beside the catalog, which
        the processes of this host share (a process that dies drops it)."""
        return file_lock(self.path.parent / "writer.lock")

    def meta_items(self) -> list[tuple[str, str]]:
        """Return every store setting as (key, value)."""
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
        return [(str(k), str(v)) for k, v in rows]

    def get_meta(self, key: str) -> str | None:
        """Read a store setting."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Write a store setting."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def hashes(self, source: str, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Return {doc_id: content_hash} for one source, or for those of doc_ids it holds."""
        rows = self._select("SELECT doc_id, content_hash FROM documents WHERE source = ?",
                            source, doc_ids)
        return {str(d): str(h) for d, h in rows}

    def chunk_ids(self, source: str, doc_ids: Iterable[str] | None = None) -> set[str]:
        """Return the chunk ids of a source, or of some of its documents."""
        rows = self._select("SELECT chunk_id FROM chunks WHERE source = ?", source, doc_ids)
        return {str(r[0]) for r in rows}

    def _select(self, query: str, source: str,
                doc_ids: Iterable[str] | None) -> list[tuple[Any, ...]]:
        """Run a query of one source, for all its documents or for each of doc_ids."""
        with self._lock:
            if doc_ids is None:
                return list(self._db.execute(query, (source,)).fetchall())
            rows: list[tuple[Any, ...]] = []
            for doc_id in doc_ids:  # one indexed lookup each: batches are small
                rows += self._db.execute(query + " AND doc_id = ?", (source, doc_id)).fetchall()
            return rows

    def write_documents(
        self,
        source: str,
        entries: Sequence[tuple[str, str, dict[str, Any], list[Chunk], list[list[str]]]],
    ) -> None:
        """Replace documents and their chunks: (doc_id, hash, record, chunks, terms) each."""
        with self.transaction(source) as db:
            for doc_id, content_hash, record, chunks, terms in entries:
                db.execute("DELETE FROM chunks WHERE source = ? AND doc_id = ?", (source, doc_id))
                db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(source, c.id, doc_id, c.position, c.section, c.title, c.heading, c.url,
                      c.language, c.text, " ".join(t), c.tokens,
                      json.dumps(c.metadata, ensure_ascii=False))
                     for c, t in zip(chunks, terms, strict=True)],
                )
                db.execute(
                    "INSERT OR REPLACE INTO documents (source, doc_id, content_hash, title, url,"
                    " language, origin, record, chunk_count, tokens)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (source, doc_id, content_hash, str(record.get("title") or doc_id),
                     record.get("url"), str(record.get("language") or ""),
                     str(record.get("origin") or ""), json.dumps(record, ensure_ascii=False),
                     len(chunks), sum(c.tokens for c in chunks)),
                )

    def delete_documents(self, source: str, doc_ids: Iterable[str]) -> None:
        """Forget documents and their chunks."""
        with self.transaction(source) as db:
            for doc_id in doc_ids:
                db.execute("DELETE FROM chunks WHERE source = ? AND doc_id = ?", (source, doc_id))
                db.execute("DELETE FROM documents WHERE source = ? AND doc_id = ?",
                           (source, doc_id))

    def invalidate(self, source: str, doc_ids: Iterable[str]) -> None:
        """Clear content hashes so the next sync rewrites these documents."""
        with self.transaction(source) as db:
            db.executemany("UPDATE documents SET content_hash = '' WHERE source = ? AND doc_id = ?",
                           [(source, d) for d in doc_ids])

    def records(self, source: str) -> list[tuple[str, str, dict[str, Any]]]:
        """Return (doc_id, content hash, stored record) of every document of a source."""
        with self._lock:
            rows = self._db.execute("SELECT doc_id, content_hash, record FROM documents"
                                    " WHERE source = ? ORDER BY doc_id", (source,)).fetchall()
        return [(str(d), str(h), dict(json.loads(r))) for d, h, r in rows]

    def set_hashes(self, source: str, hashes: dict[str, str]) -> None:
        """Replace the content hashes of some documents (their chunks are unchanged)."""
        with self.transaction(source) as db:
            db.executemany("UPDATE documents SET content_hash = ? WHERE source = ? AND doc_id = ?",
                           [(h, source, d) for d, h in hashes.items()])

    def iter_chunks(self, source: str) -> Iterator[ChunkRow]:
        """Yield every chunk of a source in a stable order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source, chunk_id, doc_id, position, section, title, heading, url,"
                " language, text, terms, tokens, metadata FROM chunks WHERE source = ?"
                " ORDER BY doc_id, position", (source,)).fetchall()
        for r in rows:
            yield ChunkRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                           r[10].split(), r[11], json.loads(r[12]))

    def section_chunks(self, source: str, doc_id: str, section: int) -> list[tuple[str, str]]:
        """Return (chunk id, text) of every chunk of one section of a document, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chunk_id, text FROM chunks WHERE source = ? AND doc_id = ? AND section = ?"
                " ORDER BY position", (source, doc_id, section)).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def document(self, source: str, doc_id: str) -> dict[str, Any] | None:
        """Return the stored record of one document, or None."""
        with self._lock:
            row = self._db.execute("SELECT record FROM documents WHERE source = ? AND doc_id = ?",
                                   (source, doc_id)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def counts(self) -> dict[str, dict[str, int]]:
        """Return documents, chunks and tokens per source."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source, COUNT(*), COALESCE(SUM(chunk_count), 0), COALESCE(SUM(tokens), 0)"
                " FROM documents GROUP BY source").fetchall()
        return {str(s): {"documents": int(d), "chunks": int(c), "tokens": int(t)}
                for s, d, c, t in rows}
