"""Bring the store in line with a set of documents or tickets: add, update, skip, delete.

Re-runnable by design: ids are stable, each document's content hash is recorded, unchanged
documents cost one hash and one lookup, and an interrupted run is repaired by the next.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tqdm import tqdm

from retrieval.catalog import SOURCES
from retrieval.chunking import (
    CHUNKER_VERSION,
    DEFAULT_MAX_TOKENS,
    chunk_document,
    embedded_text,
    ticket_chunk,
)
from retrieval.embeddings import Embedder, FloatArray, reads
from retrieval.store import KnowledgeStore
from retrieval.types import Chunk, Document, Problem, Ticket
from retrieval.vectors import vector_metadata

Outcome = Literal["added", "updated", "unchanged"]
_EMBED_BATCH_DOCS = 64
_REEMBED_BATCH = 256  # chunks per embedding call when a store changes model

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    """What one sync did to one source."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    chunks: int = 0  # chunks written this run
    tokens: int = 0  # tokens in those chunks
    embedded: int = 0  # those of the chunks that got a vector (in a language the model reads)

    def line(self, name: str) -> str:
        """Return the one-line summary of this source."""
        return (f"{name}: added {self.added}, updated {self.updated}, unchanged "
                f"{self.unchanged}, deleted {self.deleted}, failed {self.failed}; "
                f"{self.chunks} chunks ({self.embedded} embedded), {self.tokens} tokens")


@dataclass
class SyncReport:
    """What a whole ingestion run did."""

    sources: dict[str, SourceReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Tell whether every input landed."""
        errors = [p for p in self.problems if p.severity == "error"]
        return not errors and not any(r.failed for r in self.sources.values())

    def summary(self) -> str:
        """Return the one summary line printed at the end of a run."""
        parts = [r.line(name) for name, r in self.sources.items()]
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = len(self.problems) - errors
        return (" | ".join(parts) + f" | {errors} errors, {warnings} warnings"
                f" | {self.seconds:.2f} s")


def content_hash(record: dict[str, Any], *, max_tokens: int, embedder: str) -> str:
    """Hash what determines a document's chunks and vectors."""
    payload = json.dumps([record, CHUNKER_VERSION, max_tokens, embedder], sort_keys=True,
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _record(item: Document | Ticket) -> dict[str, Any]:
    record = asdict(item)
    record.pop("origin", None)
    return record


@dataclass(frozen=True)
class _Prepared:
    """A batch ready to store: its documents with their hashes and chunks, and what the
    chunks need in the index (BM25 terms and vectors)."""

    items: list[tuple[Document | Ticket, str, list[Chunk]]]
    chunks: list[Chunk]
    terms: list[list[str]]
    embedded: list[Chunk]  # the chunks in a language the embedding model reads
    vectors: FloatArray | None  # theirs, in order; None when there are none


class Indexer:
    """Write documents and tickets into a KnowledgeStore."""

    def __init__(
        self,
        store: KnowledgeStore,
        embedder: Embedder | Callable[[], Embedder],
        *,
        embedder_name: str | None = None,
        vector_languages: Collection[str] | Literal["from embedder"] | None = "from embedder",
        max_tokens: int = DEFAULT_MAX_TOKENS,
        progress: bool | None = None,
    ) -> None:
        """Write into `store` with `embedder`, or with a factory that makes it when first needed.

        Only chunks in `vector_languages` (the languages the model reads; None: all) are
        embedded: the local model is English-only, and its vectors of Japanese text, mostly
        [UNK], ranked Japanese articles worse than BM25 alone. With a factory, give the
        model's name and languages, which the embedder itself otherwise tells.
        """
        # The embedder may be a factory: an unchanged knowledge base never loads the model.
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        is_factory = not hasattr(embedder, "embed_documents")
        self._embedder_name = embedder_name or getattr(embedder, "name", None)
        if self._embedder_name is None:
            raise ValueError("pass embedder_name when giving an embedder factory")
        if isinstance(vector_languages, str) and vector_languages != "from embedder":
            raise ValueError(f"vector_languages is a collection of language codes, such as "
                             f"{{{vector_languages!r}}}, not the string {vector_languages!r}")
        if vector_languages == "from embedder":
            if is_factory:
                raise ValueError("pass vector_languages when giving an embedder factory")
            vector_languages = getattr(embedder, "languages", None)
        self.vector_languages = None if vector_languages is None else frozenset(vector_languages)
        self.store = store
        self.max_tokens = max_tokens
        self.progress = progress
        self._follow_embedder()
        self._repair_if_interrupted()
        languages = store.encode_languages(self.vector_languages)
        if store.catalog.get_meta("vector_languages") != languages:
            # First run, or a store written before vectors were kept to the model's
            # languages: drop the vectors of the others (or make the missing ones again).
            with store.writing():
                if store.catalog.get_meta("vector_languages") != languages:
                    # Recorded first, with the repair flagged, so that a crash part-way is
                    # finished by the next writer.
                    store.catalog.set_meta("pending", "1")
                    store.set_vector_languages(self.vector_languages)
                    self._repair()

    def _follow_embedder(self) -> None:
        """Record the model in a new store; re-embed a store whose vectors are another's."""
        name = str(self._embedder_name)
        if self.store.embedder_name == name:
            return
        with self.store.writing():
            recorded = self.store.embedder_name
            if recorded is None:
                self.store.catalog.set_meta("embedder", name)
            elif recorded != name:
                self._reembed(recorded, name)

    def _reembed(self, previous: str, name: str) -> None:
        """Replace every vector with this model's, made from the catalog's chunks (the caller
        holds the writer lock).

        The collections are dropped first, so the two models' vectors are never mixed, and
        a searcher skips vectors until the store records the new model (begin_reembedding).
        A crash part-way leaves the store marked as between models; the next writer starts
        again. Documents whose hash shows they were chunked as this indexer chunks get the
        new model's hash, so the next sync does not re-embed them a second time.
        """
        started = time.perf_counter()
        path = self.store.config.path
        rows = {source: [r for r in self.store.catalog.iter_chunks(source)
                         if self._embeds(r.language)] for source in SOURCES}
        total = sum(len(r) for r in rows.values())
        log.warning("store %s: its vectors were made with %s, this run uses %s: re-embedding "
                    "its %d chunks", path, previous or "(an interrupted re-embedding)", name,
                    total)
        self.store.begin_reembedding()
        for source, source_rows in rows.items():
            self.store.vectors.drop(source)
            for start in range(0, len(source_rows), _REEMBED_BATCH):
                batch = source_rows[start:start + _REEMBED_BATCH]
                vectors = self._get_embedder().embed_documents(
                    [embedded_text(r.source, r.title, r.heading, r.text) for r in batch])
                self.store.vectors.upsert(source, [r.chunk_id for r in batch], vectors,
                                          [vector_metadata(r) for r in batch],
                                          [r.text for r in batch])
            self.store.catalog.set_hashes(source, self._rehashed(source, previous, name))
        self.store.catalog.set_meta("pending", "0")  # every chunk the catalog knows has its vector
        self.store.finish_reembedding(name, self.vector_languages)
        log.warning("store %s: re-embedded %d chunks with %s in %.1f s", path, total, name,
                    time.perf_counter() - started)

    def _rehashed(self, source: str, previous: str, name: str) -> dict[str, str]:
        """Return the new model's content hash of each document hashed for the previous one
        with this indexer's chunking (others are left to change at the next sync)."""
        hashes: dict[str, str] = {}
        for doc_id, digest, record in self.store.catalog.records(source):
            record.pop("origin", None)
            if digest == content_hash(record, max_tokens=self.max_tokens, embedder=previous):
                hashes[doc_id] = content_hash(record, max_tokens=self.max_tokens, embedder=name)
        return hashes

    def _get_embedder(self) -> Embedder:
        # Batches are embedded outside the writer lock, so two threads may get here at once.
        with self._embedder_lock:
            if callable(self._embedder) and not hasattr(self._embedder, "embed_documents"):
                self._embedder = self._embedder()
        return self._embedder  # type: ignore[return-value]  # a factory was replaced above

    def _repair_if_interrupted(self) -> None:
        """Remove vectors the catalog does not know and redo documents that lost theirs."""
        if self.store.catalog.get_meta("pending") != "1":
            return
        with self.store.writing():
            # A writer in another process sets the flag too; under the lock it is settled.
            self._settle_interrupted()

    def _settle_interrupted(self) -> None:
        """Repair if a writer stopped mid-step; the caller holds the writer lock."""
        if self.store.catalog.get_meta("pending") == "1":
            self._repair()

    def _repair(self) -> None:
        for source in SOURCES:
            in_vectors = self.store.vectors.ids(source)
            expected = {row.chunk_id: row.doc_id for row in self.store.catalog.iter_chunks(source)
                        if self._embeds(row.language)}
            orphans = sorted(in_vectors - set(expected))
            if orphans:
                self.store.vectors.delete(source, orphans)
            missing = set(expected) - in_vectors
            if missing:
                self.store.catalog.invalidate(source, {expected[c] for c in missing})
        self.store.catalog.set_meta("pending", "0")

    def _embeds(self, language: str) -> bool:
        """Tell whether chunks in this language get a vector."""
        return reads(self.vector_languages, language)

    def _chunks(self, source: str, item: Document | Ticket) -> list[Chunk]:
        if isinstance(item, Ticket):
            return [ticket_chunk(item)]
        return chunk_document(item, self.max_tokens)

    def sync(
        self, source: str, items: Sequence[Document | Ticket], *, delete_missing: bool = True,
    ) -> SourceReport:
        """Make the store's documents of one source equal to items."""
        report = SourceReport()
        known = self.store.catalog.hashes(source)
        todo: list[tuple[Document | Ticket, str]] = []
        for item in items:
            digest = content_hash(_record(item), max_tokens=self.max_tokens,
                                  embedder=str(self._embedder_name))
            previous = known.get(item.id)
            if previous == digest:
                report.unchanged += 1
            else:
                todo.append((item, digest))
        bar = tqdm(total=len(todo), desc=f"indexing {source}", unit="doc",
                   disable=self.progress is False or (self.progress is None and len(todo) < 200))
        try:
            for start in range(0, len(todo), _EMBED_BATCH_DOCS):
                batch = todo[start:start + _EMBED_BATCH_DOCS]
                self._write(source, batch, report)
                bar.update(len(batch))
        finally:
            bar.close()
        if delete_missing:
            gone = sorted(set(known) - {item.id for item in items})
            if gone:
                self._delete(source, gone)
                report.deleted = len(gone)
        return report

    def upsert(self, source: str, item: Document | Ticket) -> Outcome:
        """Add or replace one document or ticket."""
        digest = content_hash(_record(item), max_tokens=self.max_tokens,
                              embedder=str(self._embedder_name))
        if self.store.catalog.hashes(source, [item.id]).get(item.id) == digest:
            return "unchanged"
        prepared = self._prepare(source, [(item, digest)])  # the slow part, outside the lock
        with self.store.writing():
            previous = self.store.catalog.hashes(source, [item.id]).get(item.id)
            if previous == digest:  # another writer stored this very version meanwhile
                return "unchanged"
            self._store(source, prepared, SourceReport())
        return "updated" if previous is not None else "added"

    def delete(self, source: str, doc_ids: Sequence[str]) -> int:
        """Delete documents or tickets by id; return how many existed."""
        with self.store.writing():
            known = self.store.catalog.hashes(source, doc_ids)
            existing = [d for d in doc_ids if d in known]
            if existing:
                self._delete(source, existing)
        return len(existing)

    def _write(
        self, source: str, batch: Sequence[tuple[Document | Ticket, str]], report: SourceReport,
    ) -> None:
        prepared = self._prepare(source, batch)
        with self.store.writing():  # a sync takes the lock batch by batch, only to store
            self._store(source, prepared, report)

    def _prepare(
        self, source: str, batch: Sequence[tuple[Document | Ticket, str]],
    ) -> _Prepared:
        """Chunk, analyse and embed a batch: nothing here reads or writes the store.

        This is most of a write's time (the embedding model), so it runs before the writer
        lock is taken: an API upsert waits for one batch to be stored, not embedded.
        """
        items = [(item, digest, self._chunks(source, item)) for item, digest in batch]
        chunks = [c for *_, cs in items for c in cs]
        analyzer = self.store.analyzer
        terms = [analyzer.terms(c.index_text) for c in chunks]
        embedded = [c for c in chunks if self._embeds(c.language)]
        vectors = (self._get_embedder().embed_documents([c.index_text for c in embedded])
                   if embedded else None)
        return _Prepared(items, chunks, terms, embedded, vectors)

    def _store(self, source: str, prepared: _Prepared, report: SourceReport) -> None:
        """Write a prepared batch to Chroma and the catalog; the caller holds the lock."""
        items = prepared.items
        # Whether each document exists is read here, under the lock: another writer may
        # have added one since the batch was planned, and its extra chunks must go.
        ids = [item.id for item, _, _ in items]
        existing = set(self.store.catalog.hashes(source, ids))
        stale: list[str] = []
        if existing:  # chunks that are gone, or no longer get a vector, lose theirs
            old = self.store.catalog.chunk_ids(source, sorted(existing))
            stale = sorted(old - {c.id for c in prepared.embedded})
        self._begin_store_step()
        if prepared.embedded and prepared.vectors is not None:
            embedded = prepared.embedded
            self.store.vectors.upsert(
                source, [c.id for c in embedded], prepared.vectors,
                [vector_metadata(c) for c in embedded], [c.text for c in embedded])
        if stale:
            self.store.vectors.delete(source, stale)
        entries = []
        offset = 0
        for item, digest, item_chunks in items:
            n = len(item_chunks)
            entries.append((item.id, digest, {**_record(item), "origin": item.origin},
                            item_chunks, prepared.terms[offset:offset + n]))
            offset += n
        self.store.catalog.write_documents(source, entries)
        self.store.catalog.set_meta("pending", "0")
        for item, _digest, item_chunks in items:
            if item.id in existing:
                report.updated += 1
            else:
                report.added += 1
            report.chunks += len(item_chunks)
            report.tokens += sum(c.tokens for c in item_chunks)
        report.embedded += len(prepared.embedded)

    def _begin_store_step(self) -> None:
        """Flag a Chroma-and-catalog step as under way (the caller holds the writer lock).

        If the flag is already up, a writer stopped mid-step since this Indexer checked at
        start (a crash in another process): settle what it left before the flag is reused.
        """
        self._settle_interrupted()
        self.store.catalog.set_meta("pending", "1")

    def _delete(self, source: str, doc_ids: Sequence[str]) -> None:
        with self.store.writing():
            self._delete_locked(source, doc_ids)

    def _delete_locked(self, source: str, doc_ids: Sequence[str]) -> None:
        chunk_ids = sorted(self.store.catalog.chunk_ids(source, doc_ids))
        self._begin_store_step()
        if chunk_ids:
            self.store.vectors.delete(source, chunk_ids)
        self.store.catalog.delete_documents(source, doc_ids)
        self.store.catalog.set_meta("pending", "0")
