"""Inquiries' embeddings, computed once by the configured embedder and kept in the database.

A question is embedded as a query (e5 reads it after "query: "), the way the agent embeds it
when deciding. Vectors are stored as little-endian float16 (768 bytes for 384 dimensions), so
100,000 inquiries take ~75 MB and a re-cluster reads them instead of embedding again. A vector
made by another model than the configured one is embedded again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from insights.cluster import FloatArray
from retrieval.embeddings import Embedder, l2_normalize
from retrieval.textproc import query_window
from storage.models import InquiryEmbeddingRow, InquiryRow, utcnow

BATCH = 256
#: What is taken out of a message before it is embedded: greetings, sign-offs, signatures
#: (agent.precedent.clean_resolution with the agent's policy). "お世話になっております" and
#: "Best regards, Ken" otherwise make two unrelated e-mails in one language look alike.
Cleaner = Callable[[str], str]


def embed_questions(embedder: Embedder, texts: Sequence[str],
                    clean: Cleaner | None = None) -> FloatArray:
    """Embed questions as queries where the embedder tells queries apart, else as documents.

    A question the agent already embedded to answer it (the same words: nothing for `clean`
    to take out) is read from the embedder's query cache instead of being embedded again.
    """
    windows = [query_window(clean(t) if clean else t) or t for t in texts]
    if not windows:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    peek = getattr(embedder, "cached_query", None)
    found: list[npt.ArrayLike | None] = [peek(w) if callable(peek) else None for w in windows]
    todo = [n for n, vector in enumerate(found) if vector is None]
    if todo:
        fresh = [windows[n] for n in todo]
        many = getattr(embedder, "embed_queries", None)
        made = many(fresh) if callable(many) else embedder.embed_documents(fresh)
        for n, vector in zip(todo, np.asarray(made, dtype=np.float32), strict=True):
            found[n] = vector
    return l2_normalize(np.stack([np.asarray(v, dtype=np.float32) for v in found]))


def to_bytes(vector: FloatArray) -> bytes:
    """Return a vector as stored: little-endian float16."""
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(blobs: Sequence[bytes], dim: int) -> FloatArray:
    """Return stored vectors as a float32 matrix (unit rows)."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    arr = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), dim)
    return l2_normalize(arr.astype(np.float32))


def missing(session: Session, model: str, limit: int | None = None) -> list[tuple[str, str]]:
    """Return (inquiry id, text) of inquiries with no embedding by this model."""
    query = (select(InquiryRow.id, InquiryRow.text)
             .outerjoin(InquiryEmbeddingRow, InquiryEmbeddingRow.inquiry_id == InquiryRow.id)
             .where((InquiryEmbeddingRow.inquiry_id.is_(None))
                    | (InquiryEmbeddingRow.model != model))
             .order_by(InquiryRow.created_at))
    if limit is not None:
        query = query.limit(limit)
    return [(row.id, row.text) for row in session.execute(query)]


_INSERT = insert(cast(Table, InquiryEmbeddingRow.__table__))  # built once, as it is run often


def store(session: Session, model: str, ids: Sequence[str], vectors: FloatArray, *,
          replace: bool = True) -> None:
    """Keep vectors for inquiries (replacing any made by another model; replace=False: the
    caller knows they have none)."""
    if not ids:
        return
    if replace:
        session.execute(delete(InquiryEmbeddingRow).where(
            InquiryEmbeddingRow.inquiry_id.in_(ids)))
    now = utcnow()
    dim = int(vectors.shape[1])
    session.execute(_INSERT, [
        {"inquiry_id": i, "model": model, "dim": dim, "vector": to_bytes(v), "created_at": now}
        for i, v in zip(ids, vectors, strict=True)])


def ensure_embeddings(session: Session, embedder: Embedder, *, batch: int = BATCH,
                      clean: Cleaner | None = None) -> int:
    """Embed every inquiry that has no vector by this embedder yet; return how many."""
    todo = missing(session, embedder.name)
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        store(session, embedder.name, [i for i, _ in chunk],
              embed_questions(embedder, [t for _, t in chunk], clean))
    session.commit()
    return len(todo)


def load_embeddings(session: Session, model: str,
                    ids: Sequence[str] | None = None) -> tuple[list[str], FloatArray]:
    """Return (inquiry ids, vectors) stored by a model, for some inquiries or all."""
    query = select(InquiryEmbeddingRow.inquiry_id, InquiryEmbeddingRow.dim,
                   InquiryEmbeddingRow.vector).where(InquiryEmbeddingRow.model == model)
    rows: list[tuple[str, int, bytes]] = []
    if ids is None:
        rows = [(r[0], r[1], r[2]) for r in session.execute(query.order_by(
            InquiryEmbeddingRow.inquiry_id))]
    else:
        wanted = list(ids)
        for start in range(0, len(wanted), 1000):
            part = wanted[start:start + 1000]
            rows += [(r[0], r[1], r[2]) for r in session.execute(
                query.where(InquiryEmbeddingRow.inquiry_id.in_(part)))]
        order = {key: n for n, key in enumerate(wanted)}
        rows.sort(key=lambda r: order[r[0]])
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [r[0] for r in rows], from_bytes([r[2] for r in rows], rows[0][1])
