"""The catalog in the operational database, so several API hosts share one index.

`KOTAE_CATALOG=database` keeps what retrieval.catalog.Catalog keeps in a SQLite file beside
embedded Chroma (documents, chunks, content hashes, generations, store settings, and the
taxonomy the tagger learns from) in the database DATABASE_URL names: PostgreSQL for many
hosts, or SQLite for one. With the vectors on a Chroma server (`KOTAE_CHROMA_URL`), a host
keeps nothing of its own but caches, rebuilt from here when a generation moves.

The interface is Catalog's, plus `writer_lock()`:
- on PostgreSQL, writers take turns with `pg_advisory_xact_lock` held by a transaction that
  lasts the write: a writer that dies (SIGKILL, a lost host) loses its connection and the
  server releases the lock at once;
- on SQLite (one host), with a lease row taken by one conditional UPDATE (a write
  transaction); a lease whose process is gone is taken over.
The crash flag (meta key `pending`) is committed on its own, as in the embedded catalog, so
the next writer on any host repairs a write that stopped between Chroma and the catalog.

`python -m retrieval.db_catalog migrate --store DIR` copies an embedded store's catalog (and,
with --chroma-url, its vectors) into the database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from retrieval.catalog import GENERATION_TTL_S, ChunkRow
from retrieval.types import Chunk
from storage.db import Database, make_engine
from storage.models import (
    CatalogChunkRow,
    CatalogDocumentRow,
    CatalogGenerationRow,
    CatalogMetaRow,
    utcnow,
)

log = logging.getLogger(__name__)

META: Table = CatalogMetaRow.__table__  # type: ignore[assignment]
GENERATIONS: Table = CatalogGenerationRow.__table__  # type: ignore[assignment]
DOCUMENTS: Table = CatalogDocumentRow.__table__  # type: ignore[assignment]
CHUNKS: Table = CatalogChunkRow.__table__  # type: ignore[assignment]

#: The advisory lock every writer of the shared index takes ("kotaid").
WRITER_LOCK_ID = 0x6B6F74616964
_WRITER_KEY = "writer"  # the SQLite lease's meta key
_IN_BATCH = 500  # ids per IN (...) list
_CHUNK_COLUMNS = ("source", "chunk_id", "doc_id", "position", "section", "title", "heading",
                  "url", "language", "text", "terms", "tokens", "metadata")


def _process_token(pid: int | None = None) -> str:
    """Name a process uniquely on this host: host, pid and its start time (pids are reused)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}|{pid}|{_started(pid)}"


def _started(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, starttime in clock ticks


def _alive(token: str) -> bool:
    """Tell whether the process a lease names may still run (another host's: assume so)."""
    host, _, rest = token.partition("|")
    pid_text, _, started = rest.partition("|")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _started(pid) == started


class DatabaseCatalog:
    """Catalog's records in the operational database (PostgreSQL or SQLite)."""

    shared = True  # hosts follow its generations; the taxonomy lives in it too

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        # Few connections: a writer holds two (its lock and its transaction), searches read a
        # generation at a time, and rebuilds read under per-source locks.
        self.engine: Engine = make_engine(url, pool_size=2, max_overflow=6)
        if migrate:
            Database(self.engine).migrate()
        self.dialect = self.engine.dialect.name
        self._guard = threading.RLock()
        # source -> (its generation, when read); see generation()
        self._generations: dict[str, tuple[int, float]] = {}

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ statements

    def _insert(self, table: Table) -> Any:
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)

    def _upsert(self, db: Connection, table: Table, keys: Sequence[str],
                values: dict[str, Any]) -> None:
        statement = self._insert(table).values(**values)
        db.execute(statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={k: statement.excluded[k] for k in values if k not in keys}))

    @contextlib.contextmanager
    def transaction(self, source: str | None = None) -> Iterator[Connection]:
        """Run statements in one transaction (one that changes `source`'s documents, if given)."""
        with self._guard:
            with self.engine.begin() as db:
                yield db
                if source is not None:
                    now = utcnow()
                    db.execute(self._insert(GENERATIONS).values(
                        source=source, generation=0, changed_at=now).on_conflict_do_nothing())
                    db.execute(update(GENERATIONS).where(GENERATIONS.c.source == source)
                               .values(generation=GENERATIONS.c.generation + 1, changed_at=now))
            self._generations.clear()  # our own change is visible at once

    def generation(self, source: str, *, fresh: bool = False) -> int:
        """Return a number that changes whenever a source's documents change (on any host).

        Re-read at most every GENERATION_TTL_S, as the embedded catalog does: a change made
        here is seen at once, one made by another host within that interval.
        """
        cached = self._generations.get(source)
        now = time.monotonic()
        if cached is not None and now - cached[1] < GENERATION_TTL_S and not fresh:
            return cached[0]
        with self._guard, self.engine.connect() as db:
            value = db.execute(select(GENERATIONS.c.generation)
                               .where(GENERATIONS.c.source == source)).scalar()
            result = int(value) if value is not None else 0
            self._generations[source] = (result, now)
        return result

    def get_meta(self, key: str) -> str | None:
        """Read a store setting."""
        with self.engine.connect() as db:
            value = db.execute(select(META.c.value).where(META.c.key == key)).scalar()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Write a store setting (committed at once: the crash flag must outlive a crash)."""
        with self.transaction() as db:
            self._upsert(db, META, ["key"], {"key": key, "value": value})

    # ------------------------------------------------------------------ the writer lock

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the index's writer lock (one writer on every host at a time) while inside."""
        if self.dialect == "postgresql":
            with self.engine.connect() as db, db.begin():
                db.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITER_LOCK_ID})
                yield
            return
        token = _process_token()
        self._take_lease(token)
        try:
            yield
        finally:
            with self.transaction() as db:
                db.execute(update(META).where(META.c.key == _WRITER_KEY, META.c.value == token)
                           .values(value=""))

    def _take_lease(self, token: str) -> None:
        """Take SQLite's writer lease: free, or held by a process that is gone."""
        with self.transaction() as db:
            db.execute(self._insert(META).values(key=_WRITER_KEY, value="")
                       .on_conflict_do_nothing())
        pause = 0.001
        while True:
            holder = self.get_meta(_WRITER_KEY) or ""
            if holder and _alive(holder):
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
                continue
            with self.transaction() as db:
                taken = db.execute(update(META).where(META.c.key == _WRITER_KEY,
                                                      META.c.value == holder)
                                   .values(value=token)).rowcount
            if taken == 1:
                if holder:
                    log.warning("the index writer %s is gone; its lease is taken over", holder)
                return

    # ------------------------------------------------------------------ reads

    def _by_ids(self, query: Any, doc_ids: Iterable[str] | None) -> list[Any]:
        with self.engine.connect() as db:
            if doc_ids is None:
                return list(db.execute(query).all())
            ids = list(dict.fromkeys(doc_ids))
            rows: list[Any] = []
            for start in range(0, len(ids), _IN_BATCH):
                batch = ids[start:start + _IN_BATCH]
                column = query.selected_columns[0].table.c.doc_id
                rows += db.execute(query.where(column.in_(batch))).all()
            return rows

    def hashes(self, source: str, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Return {doc_id: content_hash} for one source, or for those of doc_ids it holds."""
        query = select(DOCUMENTS.c.doc_id, DOCUMENTS.c.content_hash).where(
            DOCUMENTS.c.source == source)
        return {str(d): str(h) for d, h in self._by_ids(query, doc_ids)}

    def chunk_ids(self, source: str, doc_ids: Iterable[str] | None = None) -> set[str]:
        """Return the chunk ids of a source, or of some of its documents."""
        query = select(CHUNKS.c.chunk_id, CHUNKS.c.doc_id).where(CHUNKS.c.source == source)
        return {str(r[0]) for r in self._by_ids(query, doc_ids)}

    def records(self, source: str) -> list[tuple[str, str, dict[str, Any]]]:
        """Return (doc_id, content hash, stored record) of every document of a source."""
        with self.engine.connect() as db:
            rows = db.execute(select(DOCUMENTS.c.doc_id, DOCUMENTS.c.content_hash,
                                     DOCUMENTS.c.record)
                              .where(DOCUMENTS.c.source == source)
                              .order_by(DOCUMENTS.c.doc_id)).all()
        return [(str(d), str(h), dict(json.loads(r))) for d, h, r in rows]

    def iter_chunks(self, source: str) -> Iterator[ChunkRow]:
        """Yield every chunk of a source in a stable order."""
        columns = [CHUNKS.c[name] for name in _CHUNK_COLUMNS]
        with self.engine.connect() as db:
            rows = db.execute(select(*columns).where(CHUNKS.c.source == source)
                              .order_by(CHUNKS.c.doc_id, CHUNKS.c.position)).all()
        for r in rows:
            yield ChunkRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                           r[10].split(), r[11], json.loads(r[12]))

    def section_chunks(self, source: str, doc_id: str, section: int) -> list[tuple[str, str]]:
        """Return (chunk id, text) of every chunk of one section of a document, in order."""
        with self.engine.connect() as db:
            rows = db.execute(select(CHUNKS.c.chunk_id, CHUNKS.c.text)
                              .where(CHUNKS.c.source == source, CHUNKS.c.doc_id == doc_id,
                                     CHUNKS.c.section == section)
                              .order_by(CHUNKS.c.position)).all()
        return [(str(r[0]), str(r[1])) for r in rows]

    def document(self, source: str, doc_id: str) -> dict[str, Any] | None:
        """Return the stored record of one document, or None."""
        with self.engine.connect() as db:
            value = db.execute(select(DOCUMENTS.c.record).where(
                DOCUMENTS.c.source == source, DOCUMENTS.c.doc_id == doc_id)).scalar()
        return None if value is None else dict(json.loads(value))

    def counts(self) -> dict[str, dict[str, int]]:
        """Return documents, chunks and tokens per source."""
        with self.engine.connect() as db:
            rows = db.execute(select(DOCUMENTS.c.source, func.count(),
                                     func.coalesce(func.sum(DOCUMENTS.c.chunk_count), 0),
                                     func.coalesce(func.sum(DOCUMENTS.c.tokens), 0))
                              .group_by(DOCUMENTS.c.source)).all()
        return {str(s): {"documents": int(d), "chunks": int(c), "tokens": int(t)}
                for s, d, c, t in rows}

    # ------------------------------------------------------------------ writes

    def write_documents(
        self,
        source: str,
        entries: Sequence[tuple[str, str, dict[str, Any], list[Chunk], list[list[str]]]],
    ) -> None:
        """Replace documents and their chunks: (doc_id, hash, record, chunks, terms) each."""
        with self.transaction(source) as db:
            for doc_id, content_hash, record, chunks, terms in entries:
                self._write_document(db, source, doc_id, content_hash, record, chunks, terms)

    def _write_document(self, db: Connection, source: str, doc_id: str, content_hash: str,
                        record: dict[str, Any], chunks: list[Chunk],
                        terms: list[list[str]]) -> None:
        db.execute(delete(CHUNKS).where(CHUNKS.c.source == source, CHUNKS.c.doc_id == doc_id))
        if chunks:
            db.execute(CHUNKS.insert(), [
                {"source": source, "chunk_id": c.id, "doc_id": doc_id, "position": c.position,
                 "section": c.section, "title": c.title, "heading": c.heading, "url": c.url,
                 "language": c.language, "text": c.text, "terms": " ".join(t),
                 "tokens": c.tokens, "metadata": json.dumps(c.metadata, ensure_ascii=False)}
                for c, t in zip(chunks, terms, strict=True)])
        self._upsert(db, DOCUMENTS, ["source", "doc_id"], {
            "source": source, "doc_id": doc_id, "content_hash": content_hash,
            "title": str(record.get("title") or doc_id), "url": record.get("url"),
            "language": str(record.get("language") or ""),
            "origin": str(record.get("origin") or ""),
            "record": json.dumps(record, ensure_ascii=False), "chunk_count": len(chunks),
            "tokens": sum(c.tokens for c in chunks), "indexed_at": utcnow()})

    def delete_documents(self, source: str, doc_ids: Iterable[str]) -> None:
        """Forget documents and their chunks."""
        with self.transaction(source) as db:
            for doc_id in doc_ids:
                db.execute(delete(CHUNKS).where(CHUNKS.c.source == source,
                                                CHUNKS.c.doc_id == doc_id))
                db.execute(delete(DOCUMENTS).where(DOCUMENTS.c.source == source,
                                                   DOCUMENTS.c.doc_id == doc_id))

    def invalidate(self, source: str, doc_ids: Iterable[str]) -> None:
        """Clear content hashes so the next sync rewrites these documents."""
        self.set_hashes(source, dict.fromkeys(doc_ids, ""))

    def set_hashes(self, source: str, hashes: dict[str, str]) -> None:
        """Replace the content hashes of some documents (their chunks are unchanged)."""
        with self.transaction(source) as db:
            for doc_id, digest in hashes.items():
                db.execute(update(DOCUMENTS).where(DOCUMENTS.c.source == source,
                                                   DOCUMENTS.c.doc_id == doc_id)
                           .values(content_hash=digest))

    # ------------------------------------------------------------------ copying a store in

    def copy_from(self, catalog: Any, *, replace: bool = False) -> dict[str, int]:
        """Copy an embedded catalog's settings, documents and chunks into this one, in one
        transaction; return documents copied per source. Refuses a non-empty database
        unless `replace` (then its catalog is emptied first)."""
        sources = sorted(catalog.counts())
        copied: dict[str, int] = {}
        with self.transaction() as db:
            held = db.execute(select(func.count()).select_from(DOCUMENTS)).scalar()
            if held and not replace:
                raise ValueError(f"the database already holds a catalog ({held} documents); "
                                 "pass --replace to overwrite it")
            for table in (CHUNKS, DOCUMENTS, META, GENERATIONS):
                db.execute(delete(table))
            for key, value in catalog.meta_items():
                if key.startswith("generation:") or key == _WRITER_KEY:
                    continue
                db.execute(META.insert().values(key=key, value=value))
            for source in sources:
                chunks: dict[str, list[ChunkRow]] = {}
                for row in catalog.iter_chunks(source):
                    chunks.setdefault(row.doc_id, []).append(row)
                records = catalog.records(source)
                for doc_id, digest, record in records:
                    rows = chunks.get(doc_id, [])
                    if rows:
                        db.execute(CHUNKS.insert(), [
                            {"source": source, "chunk_id": r.chunk_id, "doc_id": r.doc_id,
                             "position": r.position, "section": r.section, "title": r.title,
                             "heading": r.heading, "url": r.url, "language": r.language,
                             "text": r.text, "terms": " ".join(r.terms), "tokens": r.tokens,
                             "metadata": json.dumps(r.metadata, ensure_ascii=False)}
                            for r in rows])
                    db.execute(DOCUMENTS.insert().values(
                        source=source, doc_id=doc_id, content_hash=digest,
                        title=str(record.get("title") or doc_id), url=record.get("url"),
                        language=str(record.get("language") or ""),
                        origin=str(record.get("origin") or ""),
                        record=json.dumps(record, ensure_ascii=False),
                        chunk_count=len(rows), tokens=sum(r.tokens for r in rows),
                        indexed_at=utcnow()))
                copied[source] = len(records)
            for source in ("kb", "ticket"):  # every host rebuilds its copies
                db.execute(GENERATIONS.insert().values(source=source, generation=1,
                                                       changed_at=utcnow()))
        self._generations.clear()
        return copied


# ---------------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m retrieval.db_catalog",
        description="Move an embedded store's catalog into the operational database, for "
                    "KOTAE_CATALOG=database (several API hosts sharing one index).")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser(
        "migrate", help="copy a store's catalog (and, with --chroma-url, its vectors)")
    migrate.add_argument("--store", type=Path, required=True,
                         help="the store folder (KOTAE_STORE_DIR) holding catalog.sqlite3")
    migrate.add_argument("--database-url", default=None,
                         help="the database to copy into (default: DATABASE_URL)")
    migrate.add_argument("--chroma-url", default=None,
                         help="a Chroma server to copy the store's vectors to (default: "
                              "KOTAE_CHROMA_URL; none: the vectors stay in the folder)")
    migrate.add_argument("--replace", action="store_true",
                         help="overwrite a catalog the database already holds")
    return parser


def migrate_store(store: Path, database_url: str, chroma_url: str | None = None, *,
                  replace: bool = False) -> str:
    """Copy a store's catalog (and vectors, to a Chroma server) into the database; return a
    summary line."""
    import numpy as np

    from retrieval.catalog import SOURCES, Catalog
    from retrieval.loaders import load_taxonomy
    from retrieval.vectors import CHROMA_BATCH, VectorIndex, parse_chroma_url, vector_metadata

    if not (store / "catalog.sqlite3").exists():
        raise ValueError(f"{store} is not a Kotae store (no catalog.sqlite3)")
    source = Catalog(store / "catalog.sqlite3")
    target = DatabaseCatalog(database_url)
    try:
        copied = target.copy_from(source, replace=replace)
        taxonomy = store / "taxonomy.json"
        if taxonomy.exists():
            target.set_meta("taxonomy", json.dumps(load_taxonomy(taxonomy).to_dict(),
                                                   ensure_ascii=False))
        moved = 0
        if chroma_url:
            host, port = parse_chroma_url(chroma_url)
            local = VectorIndex.open(store / "chroma")
            remote = VectorIndex.open(None, host=host, port=port)
            for name in SOURCES:
                rows = {r.chunk_id: r for r in source.iter_chunks(name)}
                ids = sorted(local.ids(name) & set(rows))
                for start in range(0, len(ids), CHROMA_BATCH):
                    batch = ids[start:start + CHROMA_BATCH]
                    found = local.stored(name, batch)
                    present = [c for c in batch if c in found]
                    if present:
                        remote.upsert(name, present, np.vstack([found[c] for c in present]),
                                      [vector_metadata(rows[c]) for c in present],
                                      [rows[c].text for c in present])
                        moved += len(present)
            # The server may hold vectors of something else (an earlier copy): the next
            # writer on any host reconciles it with the catalog, as after a crash.
            target.set_meta("pending", "1")
    finally:
        source.close()
        target.close()
    parts = ", ".join(f"{name}: {count} documents" for name, count in copied.items()) or "empty"
    vectors = f"; {moved} vectors copied to {chroma_url}" if chroma_url else ""
    return f"copied the catalog of {store} ({parts}){vectors}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    args = _parser().parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("db_catalog: no database: pass --database-url or set DATABASE_URL",
              file=sys.stderr)
        return 2
    chroma = args.chroma_url or os.environ.get("KOTAE_CHROMA_URL") or None
    try:
        print(migrate_store(args.store, url, chroma, replace=args.replace))
    except Exception as exc:  # broad on purpose: a command line says what failed
        print(f"db_catalog: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
