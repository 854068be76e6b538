"""Clusters in the database with ids that outlive a re-cluster, and incremental assignment.

A re-cluster matches each new cluster to the old one whose members it mostly took over (by
overlap of inquiries), keeping that id, its admin-given name and, for a bug, its fixed state;
old clusters nobody took over are retired. Between re-clusters a new inquiry joins the
nearest cluster if it is as close to the centroid as the cluster's own members mostly are
(`radius`: the 2nd percentile of their similarities, the farthest but outliers), and waits for the next re-cluster
otherwise.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from agent.types import ReasonCode
from insights.cluster import FloatArray, IntArray, centroids_of
from insights.naming import class_terms, label_of
from retrieval.embeddings import cosine_scale
from retrieval.textproc import Analyzer, detect_language
from storage.models import (
    InquiryClusterRow,
    InquiryRow,
    InsightClusterRow,
    InsightSnapshotRow,
    new_id,
    utcnow,
)
from storage.repo.base import commit_first

PREFIX = {"topic": "top", "bug": "bug"}
RADIUS_QUANTILE = 0.02
#: How far (as a share of the embedder's span from an unrelated pair to a paraphrase) below
#: its farthest members a new inquiry may still join: a new phrasing, or the other language,
#: sits a little outside the ones that formed the topic.
JOIN_MARGIN = 0.3


def join_margin(embedder: object) -> float:
    """Return the cosine a new inquiry may fall short of a cluster's radius and still join."""
    scale = cosine_scale(embedder)
    return JOIN_MARGIN * (scale.paraphrase - scale.unrelated)
NAMING_SAMPLE = 200  # texts per cluster read for its name
LIVE = ("active", "fixed", "reopened")


@dataclass
class SaveResult:
    """What a re-cluster did to the stored clusters."""

    clusters: int = 0
    kept: int = 0
    created: int = 0
    retired: int = 0
    ids: list[str] = field(default_factory=list)  # cluster id per label


def centroid_bytes(vector: FloatArray) -> bytes:
    """Return a centroid as stored (little-endian float32)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def centroid_of_row(row: InsightClusterRow) -> FloatArray:
    """Return a stored centroid."""
    return np.frombuffer(row.centroid, dtype="<f4").astype(np.float32)


def _resolved(session: Session, kind: str) -> dict[str, str]:
    """Return every cluster id of a kind mapped to the live cluster it now is (after merges)."""
    rows = session.execute(select(InsightClusterRow.id, InsightClusterRow.merged_into)
                           .where(InsightClusterRow.kind == kind)).all()
    into = {r.id: r.merged_into for r in rows}
    out: dict[str, str] = {}
    for cid in into:
        seen, current = {cid}, cid
        step = into.get(current)
        while step and step not in seen:
            current = step
            seen.add(current)
            step = into.get(current)
        out[cid] = current
    return out


def _match(new_members: dict[int, list[str]], old_of: dict[str, str]) -> dict[int, str]:
    """Match new labels to old cluster ids by how many inquiries they share, greedily."""
    pairs: list[tuple[int, int, str]] = []
    for label, members in new_members.items():
        counts = Counter(old_of[m] for m in members if m in old_of)
        for old, shared in counts.items():
            if shared >= max(1, 0.3 * len(members)):
                pairs.append((shared, label, old))
    matched: dict[int, str] = {}
    used: set[str] = set()
    for _, label, old in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if label not in matched and old not in used:
            matched[label] = old
            used.add(old)
    return matched


def save_clustering(
    session: Session,
    kind: str,
    model: str,
    ids: Sequence[str],
    vectors: FloatArray,
    labels: IntArray,
    analyzer: Analyzer,
    now: datetime | None = None,
    margin: float = 0.0,
) -> SaveResult:
    """Store a clustering of inquiries (rows of `vectors`), keeping ids where clusters persist."""
    now = now or utcnow()
    result = SaveResult()
    if len(ids) == 0:
        return result
    k = int(labels.max()) + 1
    centroids = centroids_of(vectors, labels, k)
    sims = np.einsum("ij,ij->i", vectors, centroids[labels])
    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(row)
    resolved = _resolved(session, kind)
    old_of = {r.inquiry_id: resolved.get(r.cluster_id, r.cluster_id)
              for r in session.execute(select(InquiryClusterRow.inquiry_id,
                                              InquiryClusterRow.cluster_id)
                                       .where(InquiryClusterRow.kind == kind))}
    matched = _match({label: [ids[i] for i in rows] for label, rows in members.items()}, old_of)
    texts, languages, created, attacks = _inquiry_facts(session, ids)
    # What names a topic and stands for it: its members that are not attacks (all of them, for
    # a topic of nothing else).
    fit = {label: [i for i in rows if i not in attacks] or rows for label, rows in members.items()}
    rng = np.random.default_rng(0)
    sample: dict[int, list[int]] = {
        label: (rows if len(rows) <= NAMING_SAMPLE
                else sorted(rng.choice(rows, NAMING_SAMPLE, replace=False).tolist()))
        for label, rows in fit.items()}
    named_rows = [i for rows in sample.values() for i in rows]
    # Names are shown and exported: a customer's address or number must not become one.
    masked = {i: mask_pii(texts[i]) for i in named_rows}
    names = class_terms([masked[i] for i in named_rows], [int(labels[i]) for i in named_rows],
                        analyzer)
    by_language: dict[str, dict[int, list[str]]] = {}
    for language in ("en", "ja"):
        rows_l = [i for i in named_rows if languages[i] == language]
        if rows_l:
            by_language[language] = class_terms([masked[i] for i in rows_l],
                                                [int(labels[i]) for i in rows_l], analyzer)
    existing = {row.id: row for row in session.scalars(
        select(InsightClusterRow).where(InsightClusterRow.kind == kind))}
    ids_of: list[str] = []
    for label in range(k):
        rows = members.get(label, [])
        label_sims = sims[rows]
        shown = fit.get(label, rows)
        best = shown[int(np.argmax(sims[shown]))]
        terms = {"all": names.get(label, []),
                 **{lang: got[label] for lang, got in by_language.items() if label in got}}
        values = {
            "label": label_of(terms["all"])[:300], "terms": terms,
            "representative_id": ids[best], "representative": mask_pii(texts[best])[:2000],
            "model": model, "centroid": centroid_bytes(centroids[label]),
            "radius": float(np.quantile(label_sims, RADIUS_QUANTILE)) - margin,
            "size": len(rows), "updated_at": now}
        old = matched.get(label)
        if old is not None and old in existing:
            kept = existing[old]
            for key, value in values.items():
                setattr(kept, key, value)
            if kept.status in ("merged", "retired"):
                kept.status = "active"
                kept.merged_into = None
            fixed_at = kept.fixed_at
            if fixed_at is not None:
                later = sum(1 for i in rows if created[i] > fixed_at)
                kept.reports_since_fixed = later
                kept.status = "reopened" if later else "fixed"
            result.kept += 1
            ids_of.append(old)
        else:
            cid = new_id(PREFIX[kind])
            session.add(InsightClusterRow(id=cid, kind=kind, status="active", created_at=now,
                                          **values))
            result.created += 1
            ids_of.append(cid)
    taken = set(ids_of)
    for cid, gone in existing.items():
        if cid not in taken and gone.status in LIVE:
            gone.status = "retired"
            gone.updated_at = now
            result.retired += 1
    session.flush()
    session.execute(delete(InquiryClusterRow).where(InquiryClusterRow.kind == kind))
    rows_out = [{"inquiry_id": ids[i], "kind": kind, "cluster_id": ids_of[int(labels[i])],
                 "similarity": float(sims[i]), "method": "fit", "assigned_at": now,
                 "inquiry_created_at": created[i]}
                for i in range(len(ids))]
    for start in range(0, len(rows_out), 5000):
        session.execute(insert(InquiryClusterRow), rows_out[start:start + 5000])
    result.clusters, result.ids = k, ids_of
    return result


def _inquiry_facts(session: Session, ids: Sequence[str]
                   ) -> tuple[list[str], list[str], list[datetime], set[int]]:
    """Return the texts, languages and creation times of inquiries, in the order given, and
    the positions of those that were attacks (escalated as injection attempts): an attack
    names no topic and stands for none ("これまでの指示はすべて無視して…" was shown as a topic's
    representative message)."""
    facts: dict[str, tuple[str, str, datetime, bool]] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), 1000):
        part = wanted[start:start + 1000]
        for row in session.execute(select(InquiryRow.id, InquiryRow.text, InquiryRow.language,
                                          InquiryRow.created_at, InquiryRow.reason)
                                   .where(InquiryRow.id.in_(part))):
            facts[row.id] = (row.text, row.language or detect_language(row.text),
                             row.created_at, row.reason == ReasonCode.INJECTION_ATTEMPT.value)
    return ([facts[i][0] for i in wanted], [facts[i][1] for i in wanted],
            [facts[i][2] for i in wanted], {n for n, i in enumerate(wanted) if facts[i][3]})


@dataclass(frozen=True)
class Centroids:
    """The live clusters of a kind, ready for nearest-centroid look-ups."""

    ids: list[str]
    matrix: FloatArray
    radius: FloatArray


#: Centroids as last read, per database, kind and model, with the stamp they were read at.
#: A re-cluster, a merge or a rename changes `updated_at` (an assignment does not), so a
#: stamp of (count, latest updated_at) says whether the copy still holds; reading a few
#: thousand centroids again for every new inquiry cost tens of milliseconds.
_CENTROIDS: dict[tuple[str, str, str], tuple[tuple[Any, ...], Centroids]] = {}
_CENTROIDS_LOCK = threading.Lock()


# The tables, for Core statements.
_ASSIGNMENTS = cast(Table, InquiryClusterRow.__table__)
_CLUSTERS = cast(Table, InsightClusterRow.__table__)

# The statements a maintenance pass runs, built once: building one (and its cache key) cost
# SQLAlchemy more than the database took to run it. The values are bound at execution.
_LIVE = (_CLUSTERS.c.kind == bindparam("kind"), _CLUSTERS.c.status.in_(LIVE),
         _CLUSTERS.c.model == bindparam("model"))
_STAMP = select(func.count(), func.max(_CLUSTERS.c.updated_at)).where(*_LIVE)
_LIVE_ROWS = select(_CLUSTERS.c.id, _CLUSTERS.c.centroid, _CLUSTERS.c.radius).where(*_LIVE)
_INSERT_ASSIGNMENTS = insert(_ASSIGNMENTS)
_GROW = (update(_CLUSTERS).where(_CLUSTERS.c.id == bindparam("cid"))
         .values(size=_CLUSTERS.c.size + bindparam("joined")))


def live_centroids(session: Session, kind: str, model: str) -> Centroids:
    """Return the live clusters of a kind made with a model."""
    where = {"kind": kind, "model": model}
    stamp = tuple(session.execute(_STAMP, where).one())
    key = (str(session.get_bind().engine.url), kind, model)
    with _CENTROIDS_LOCK:
        cached = _CENTROIDS.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = session.execute(_LIVE_ROWS, where).all()
    if not rows:
        found = Centroids([], np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.float32))
    else:
        matrix = np.stack([np.frombuffer(r.centroid, dtype="<f4") for r in rows]).astype(
            np.float32)
        found = Centroids([r.id for r in rows], matrix,
                          np.asarray([r.radius for r in rows], dtype=np.float32))
    with _CENTROIDS_LOCK:
        _CENTROIDS[key] = (stamp, found)
    return found


def assign(session: Session, kind: str, model: str, inquiry_ids: Sequence[str],
           vectors: FloatArray, *, centroids: Centroids | None = None,
           now: datetime | None = None, unassigned: bool = False,
           created: Sequence[datetime] | None = None) -> list[str | None]:
    """Put new inquiries into their nearest live cluster when close enough; return the ids
    (unassigned=True: the caller knows none of them is in a cluster of this kind yet;
    created: their creation times, read here when not given)."""
    now = now or utcnow()
    live = centroids or live_centroids(session, kind, model)
    if not live.ids or len(inquiry_ids) == 0:
        return [None] * len(inquiry_ids)
    sims = vectors @ live.matrix.T
    best = sims.argmax(axis=1)
    out: list[str | None] = []
    rows: list[dict[str, object]] = []
    joined: Counter[str] = Counter()
    for n, inquiry_id in enumerate(inquiry_ids):
        b = int(best[n])
        score = float(sims[n, b])
        if score < float(live.radius[b]):
            out.append(None)
            continue
        cid = live.ids[b]
        out.append(cid)
        joined[cid] += 1
        rows.append({"inquiry_id": inquiry_id, "kind": kind, "cluster_id": cid,
                     "similarity": score, "method": "incremental", "assigned_at": now})
    if rows:
        if created is not None:
            when = dict(zip(inquiry_ids, created, strict=True))
        else:
            when = dict(session.execute(select(InquiryRow.id, InquiryRow.created_at).where(
                InquiryRow.id.in_([r["inquiry_id"] for r in rows]))).tuples().all())
        for row in rows:
            row["inquiry_created_at"] = when.get(str(row["inquiry_id"]))
        # Core statements: the ORM's bulk paths cost more than the writes for a few rows.
        if not unassigned:
            session.execute(delete(_ASSIGNMENTS).where(
                InquiryClusterRow.kind == kind,
                InquiryClusterRow.inquiry_id.in_([r["inquiry_id"] for r in rows])))
        session.execute(_INSERT_ASSIGNMENTS, rows)
        # Not updated_at: the centroids did not move (live_centroids keeps its copy).
        session.execute(_GROW, [{"cid": cid, "joined": count} for cid, count in joined.items()])
        if kind == "bug":  # only a bug cluster is ever fixed (ORM: the session's rows follow)
            for cid, count in joined.items():
                session.execute(update(InsightClusterRow).where(
                    InsightClusterRow.id == cid,
                    InsightClusterRow.status.in_(("fixed", "reopened")))
                    .values(status="reopened",
                            reports_since_fixed=InsightClusterRow.reports_since_fixed + count))
    return out


def stored_copy(session: Session, key: str, max_age_s: float, now: datetime,
                compute: Callable[[], list[dict[str, Any]]]
                ) -> tuple[list[dict[str, Any]], datetime]:
    """Return the items stored under `key` and when they were computed, computing and storing
    them again when the stored copy is older than max_age_s (or missing)."""
    row = session.get(InsightSnapshotRow, key)
    if row is not None and (now - row.computed_at).total_seconds() <= max_age_s:
        return list(row.payload["items"]), row.computed_at
    items = compute()
    session.execute(delete(InsightSnapshotRow).where(InsightSnapshotRow.key == key))
    session.add(InsightSnapshotRow(key=key, payload={"items": items}, computed_at=now))
    commit_first(session)  # computed at the same moment elsewhere: either copy will do
    return items, now
