"""Topics: what customers ask about, with how well each is answered.

Functions the digest, the API and the CLI call:

- ``compute_topics(session, embedder, config=None) -> SaveResult``: embed what is not embedded
  yet, re-cluster every inquiry, keep the ids of topics that persist.
- ``assign_pending(session, embedder) -> int``: put inquiries that arrived since into their
  nearest topic (no re-clustering); returns how many joined one. ``join_waiting`` does the
  same and says more (insights.duty runs it on every maintenance pass).
- ``top_topics(session_or_engine, since, until=None, limit=20) -> list[TopicStats]``: the
  busiest topics of [since, until) with their volume, trend against the period before,
  deflection rate, 👎 / reopened / escalated-after-answer counts, escalation reasons, tags,
  languages, PII-masked examples and the articles answers cited.
- ``rename_topic(session, topic_id, name)``, ``merge_topics(session, topic_id, into)``.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Engine, Executable, Integer, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from agent.types import ReasonCode
from errors import ConflictError, NotFoundError
from insights import embedding, topic_days
from insights.cluster import ClusterConfig, FloatArray, cluster
from insights.store import SaveResult, assign, join_margin, save_clustering, stored_copy
from retrieval.embeddings import Embedder
from retrieval.textproc import Analyzer
from storage.models import (
    InquiryClusterRow,
    InquiryEmbeddingRow,
    InquiryRow,
    InsightClusterRow,
    InsightSnapshotRow,
    utcnow,
)

EXAMPLES = 3
ARTICLES = 5  # most cited articles shown per topic
PASS_LIMIT = 500  # inquiries one maintenance pass embeds at most (the rest wait for the next)


def compute_topics(session: Session, embedder: Embedder, config: ClusterConfig | None = None,
                   *, analyzer: Analyzer | None = None,
                   clean: embedding.Cleaner | None = None) -> SaveResult:
    """Re-cluster every inquiry into topics, keeping the ids of topics that persist."""
    embedding.ensure_embeddings(session, embedder, clean=clean)
    ids, vectors = embedding.load_embeddings(session, embedder.name)
    # An attack (escalated as an injection attempt) is no demand for anything: it neither
    # makes nor joins a topic ("これまでの指示はすべて無視して…" was a topic's example).
    attacks = set(session.scalars(select(InquiryRow.id).where(
        InquiryRow.reason == ReasonCode.INJECTION_ATTEMPT.value)))
    if attacks:
        keep = [n for n, i in enumerate(ids) if i not in attacks]
        ids, vectors = [ids[n] for n in keep], vectors[keep]
    if not ids:
        return SaveResult()
    clustering = cluster(vectors, config)
    result = save_clustering(session, "topic", embedder.name, ids, vectors, clustering.labels,
                             analyzer or Analyzer(), margin=join_margin(embedder))
    forget_snapshots(session, members=True)
    session.commit()
    topic_days.refresh(session)  # count every day again now, not on the next page
    return result


@dataclass
class Pass:
    """What one assignment pass did."""

    looked: int = 0  # inquiries without a topic it considered
    joined: int = 0  # of which joined one
    embedded: int = 0  # of which had to be embedded (not read from the agent's cache or the db)
    last_created: datetime | None = None  # the newest it considered (passes resume from here)
    full: bool = False  # it stopped at its limit: more are waiting


def assign_pending(session: Session, embedder: Embedder,
                   clean: embedding.Cleaner | None = None, limit: int | None = None,
                   since: datetime | None = None) -> int:
    """Join inquiries with no topic yet (at most `limit`; with `since`, only decided ones
    created since then) to their nearest topic if close enough; return how many joined."""
    return join_waiting(session, embedder, clean, limit, since).joined


def join_waiting(session: Session, embedder: Embedder, clean: embedding.Cleaner | None = None,
                 limit: int | None = None, since: datetime | None = None) -> Pass:
    """Embed (or read) the vectors of inquiries with no topic yet and join each to its
    nearest topic if close enough, oldest first.

    With `since` (what the service's maintenance pass gives: a little before its previous
    pass) only inquiries created since then and already decided are read, through the index
    on their creation time, so that a pass costs what its new inquiries cost and not what
    the whole history does; an inquiry the agent answered in this process has its vector in
    the embedder's query cache.
    """
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = since
    if limit is not None:
        params["limit"] = limit
    rows = session.execute(_waiting(since is not None, limit is not None), params).all()
    done = Pass(looked=len(rows), full=limit is not None and len(rows) >= limit,
                last_created=rows[-1].created_at if rows else None)
    if not rows:
        return done
    stale = [r for r in rows if r.model != embedder.name]
    vectors: dict[str, FloatArray] = {}
    if stale:
        made = embedding.embed_questions(embedder, [r.text for r in stale], clean)
        embedding.store(session, embedder.name, [r.id for r in stale], made,
                        replace=any(r.model is not None for r in stale))
        vectors.update(zip([r.id for r in stale], made, strict=True))
        done.embedded = len(stale)
    kept = [r for r in rows if r.model == embedder.name]
    if kept:
        vectors.update(zip([r.id for r in kept],
                           embedding.from_bytes([r.vector for r in kept], kept[0].dim),
                           strict=True))
    ids = [r.id for r in rows]
    joined = assign(session, "topic", embedder.name, ids, np.stack([vectors[i] for i in ids]),
                    unassigned=True, created=[r.created_at for r in rows])
    session.commit()
    done.joined = sum(1 for j in joined if j is not None)
    return done


@functools.cache
def _waiting(since: bool, limit: bool) -> Executable:
    """Return the statement reading inquiries with no topic yet (built once: building it cost
    more than running it), with `since` and `limit` bound when it runs."""
    # Core columns: the ORM's statement handling cost more than the query for a few rows.
    i, c, e = (cast(Table, row.__table__)
               for row in (InquiryRow, InquiryClusterRow, InquiryEmbeddingRow))
    query = (select(i.c.id, i.c.text, i.c.created_at, e.c.model, e.c.dim, e.c.vector)
             .select_from(i)
             .outerjoin(c, (c.c.inquiry_id == i.c.id) & (c.c.kind == "topic"))
             .outerjoin(e, e.c.inquiry_id == i.c.id)
             .where(c.c.inquiry_id.is_(None))
             .where(i.c.reason.is_(None) | (i.c.reason != ReasonCode.INJECTION_ATTEMPT.value)))
    if since:
        query = query.where(i.c.created_at >= bindparam("since"), i.c.status != "received")
    query = query.order_by(i.c.created_at, i.c.id)
    if limit:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


@dataclass
class TopicStats:
    """One topic over a period, as the Insights page and the digest show it."""

    id: str
    name: str
    label: str
    terms: dict[str, Any]
    representative: str | None
    size: int
    volume: int = 0
    previous: int = 0
    decided: int = 0
    answered: int = 0
    deflected: int = 0
    thumbs_down: int = 0
    thumbs_up: int = 0
    reopened: int = 0
    escalated_after_answer: int = 0
    escalation_reasons: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def trend(self) -> float | None:
        """Return the change in volume against the previous period (0.5: half as many more)."""
        return (self.volume - self.previous) / self.previous if self.previous else None

    @property
    def deflection_rate(self) -> float | None:
        """Return the share of decided inquiries answered without a person."""
        return self.deflected / self.decided if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        """Return the topic as JSON-ready data."""
        return {**{k: v for k, v in self.__dict__.items()}, "trend": self.trend,
                "deflection_rate": self.deflection_rate}


def _session(session_or_engine: Session | Engine) -> tuple[Session, bool]:
    if isinstance(session_or_engine, Session):
        return session_or_engine, False
    return Session(session_or_engine), True


def top_topics(session_or_engine: Session | Engine, since: datetime,
               until: datetime | None = None, limit: int = 20) -> list[TopicStats]:
    """Return the topics with the most inquiries in [since, until), busiest first."""
    session, own = _session(session_or_engine)
    try:
        return _top_topics(session, since, until or utcnow(), limit)
    finally:
        if own:
            session.close()


def _top_topics(session: Session, since: datetime, until: datetime,
                limit: int) -> list[TopicStats]:
    try:  # the period before, as long as this one (none before the first representable day)
        before = since - (until - since)
    except OverflowError:
        before = datetime.min.replace(tzinfo=UTC)  # UTC: no offset can take it out of range
    # Whole days are added up from the figures stored per topic and day (insights.topic_days);
    # only the ragged ends of the period are counted from its inquiries, in the database.
    through = topic_days.refresh(session)
    days, ends = topic_days.split(since, until, through)
    days_before, ends_before = topic_days.split(before, since, through)

    def volumes(whole: tuple[datetime, datetime] | None,
                ragged: list[tuple[datetime, datetime]]) -> Counter[str]:
        found = topic_days.stored_volumes(session, *whole) if whole else Counter()
        for start, end in ragged:
            found.update(topic_days.live_volumes(session, start, end))
        return found

    volume, previous = volumes(days, ends), volumes(days_before, ends_before)
    active = set(session.scalars(
        select(InsightClusterRow.id).where(InsightClusterRow.kind == "topic",
                                           InsightClusterRow.status == "active")))
    chosen = [cid for cid, n in sorted(volume.items(), key=lambda kv: (-kv[1], kv[0]))
              if cid in active and n > 0][:limit]
    if not chosen:
        return []
    figures = topic_days.stored(session, *days, chosen) if days else {}
    for cid, found in topic_days.count_spans(session, ends, chosen).items():
        figures.setdefault(cid, topic_days.Figures()).add(found)
    rows = {row.id: row for row in session.execute(
        select(InsightClusterRow.id, InsightClusterRow.name, InsightClusterRow.label,
               InsightClusterRow.terms, InsightClusterRow.representative,
               InsightClusterRow.size).where(InsightClusterRow.id.in_(chosen)))}
    latest = [i for cid in chosen for _, i in figures.get(cid, topic_days.Figures()).latest]
    texts = {r.id: r for r in session.execute(
        select(InquiryRow.id, InquiryRow.text, InquiryRow.language, InquiryRow.created_at,
               InquiryRow.action, InquiryRow.reason).where(InquiryRow.id.in_(latest)))
        # Days counted before examples were chosen without them may still name one.
        if r.reason not in topic_days.NOT_EXAMPLES}
    out = []
    for cid in chosen:
        row, f = rows[cid], figures.get(cid, topic_days.Figures())
        out.append(TopicStats(
            id=cid, name=row.name or row.label, label=row.label, terms=row.terms,
            representative=row.representative, size=row.size, volume=volume[cid],
            previous=previous[cid], decided=f.decided, answered=f.answered,
            deflected=f.deflected, thumbs_down=f.thumbs_down, thumbs_up=f.thumbs_up,
            reopened=f.reopened, escalated_after_answer=f.escalated_after_answer,
            escalation_reasons=_by_count(f.reasons), tags=_by_count(f.tags),
            languages=_by_count(f.languages),
            examples=[{"inquiry_id": i, "text": mask_pii(texts[i].text)[:500],
                       "language": texts[i].language, "action": texts[i].action,
                       "created_at": texts[i].created_at.isoformat()}
                      for _, i in f.latest if i in texts],
            articles=[{"doc_id": d, "title": t, "url": u, "source": s, "cited": n}
                      for (d, t, u, s), n in sorted(f.articles.items(),
                                                    key=lambda kv: (-kv[1], kv[0][:2]))
                      [:ARTICLES]]))
    return out


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def get_topic(session: Session, topic_id: str, kind: str = "topic") -> InsightClusterRow:
    """Return a topic (or bug cluster) by id."""
    row = session.get(InsightClusterRow, topic_id)
    if row is None or row.kind != kind:
        raise NotFoundError(f"no {kind} {topic_id!r}")
    return row


def rename_topic(session: Session, topic_id: str, name: str | None) -> InsightClusterRow:
    """Give a topic a name people chose (None: back to its automatic name)."""
    row = get_topic(session, topic_id)
    row.name = (name or "").strip()[:200] or None
    row.updated_at = utcnow()
    forget_snapshots(session)
    session.commit()
    return row


def merge_topics(session: Session, topic_id: str, into: str) -> InsightClusterRow:
    """Fold one topic into another: its inquiries move and its id points to the other."""
    if topic_id == into:
        raise ConflictError("a topic cannot be merged into itself")
    source, target = get_topic(session, topic_id), get_topic(session, into)
    for row in (source, target):
        if row.status != "active":
            raise ConflictError(f"topic {row.id} is {row.status}; only active topics merge")
    session.execute(update(InquiryClusterRow)
                    .where(InquiryClusterRow.kind == "topic",
                           InquiryClusterRow.cluster_id == source.id)
                    .values(cluster_id=target.id))
    sizes = np.asarray([source.size, target.size], dtype=np.float32)
    centroids = np.stack([np.frombuffer(source.centroid, dtype="<f4"),
                          np.frombuffer(target.centroid, dtype="<f4")])
    merged = (centroids * sizes[:, None]).sum(axis=0)
    merged /= max(float(np.linalg.norm(merged)), 1e-12)
    target.centroid = np.asarray(merged, dtype="<f4").tobytes()
    target.radius = min(source.radius, target.radius)
    target.size += source.size
    now = utcnow()
    target.updated_at = source.updated_at = now
    source.status, source.merged_into, source.size = "merged", target.id, 0
    forget_snapshots(session, members=True)
    session.commit()
    return target


def assign_new(session: Session, embedder: Embedder, policy: object = None,
               since: datetime | None = None) -> int:
    """Join inquiries that arrived since the last pass (created since `since`, if given) to
    their topics, and bug reports to their bug clusters (a fixed one reopens); nothing happens
    before the first re-cluster."""
    from agent.policy import Policy
    from agent.precedent import clean_resolution
    from insights.bugs import assign_new_bugs

    if session.scalar(select(InsightClusterRow.id).limit(1)) is None:
        return 0
    chosen = policy if isinstance(policy, Policy) else Policy.load(None)

    def clean(text: str) -> str:
        return clean_resolution(text, chosen)

    joined = assign_pending(session, embedder, clean, limit=PASS_LIMIT, since=since)
    return joined + assign_new_bugs(session, embedder, since=since)


SNAPSHOT = "topics:"


def cached_top_topics(session: Session, days: int, limit: int, max_age_s: float,
                      now: datetime | None = None) -> tuple[list[dict[str, Any]], datetime]:
    """Return the last `days`' top topics as data, recomputed when the stored copy is older
    than max_age_s (or a re-cluster, rename or merge changed the topics); and when computed."""
    now = now or utcnow()
    return stored_copy(
        session, f"{SNAPSHOT}{days}:{limit}", max_age_s, now,
        lambda: [json.loads(json.dumps(t.as_dict(), default=str))
                 for t in top_topics(session, now - timedelta(days=days), now, limit)])


def forget_snapshots(session: Session, members: bool = False) -> None:
    """Drop stored topic pages (the caller commits): the topics changed; with `members`
    (a re-cluster, a merge: inquiries changed topic) the figures stored per day too."""
    session.execute(delete(InsightSnapshotRow).where(InsightSnapshotRow.key.like(f"{SNAPSHOT}%")))
    if members:
        topic_days.forget(session)
