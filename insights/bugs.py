"""Bug clusters for engineering: the same defect reported in different words, counted once.

Functions the digest, the API and the CLI call:

- ``compute_bug_clusters(session, embedder, similarity=None) -> SaveResult``: group every
  bug report (tagged ``bug`` or escalated as a bug report) by meaning, keeping the ids (and
  the fixed state) of clusters that persist.
- ``bug_clusters(session_or_engine, since=None, until=None, limit=100, status=None)
  -> list[BugCluster]``: each cluster's count, accounts, first and last seen, severity hints,
  quoted evidence (PII masked), linked escalations and known-issue article.
- ``mark_fixed(session, cluster_id, by)``: reports after this reopen the cluster with a count.
- ``to_csv(clusters) -> str`` and ``issue_payload(cluster) -> dict``: the CSV export and the
  ``insight.bug_cluster`` webhook's data (title, body with evidence, labels).

Reports are grouped by average-linkage agglomerative clustering on cosine distance (a bug
cluster is a few to a few hundred reports, where a distance threshold says "the same defect"
better than a density): two groups join while their reports are, on average, at least
`similarity` alike. The default sits between what the embedder scores a paraphrase and an
unrelated question (its CosineScale).
"""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Engine, Executable, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from errors import NotFoundError
from insights import embedding
from insights.store import SaveResult, join_margin, save_clustering
from retrieval.embeddings import Embedder, cosine_scale
from retrieval.textproc import Analyzer
from storage.models import (
    AnswerCitationRow,
    ConversationRow,
    EscalationRow,
    InquiryClusterRow,
    InquiryRow,
    InsightClusterRow,
    utcnow,
)

BUG_TAG = "bug"
BUG_REASON = "bug_report"
#: Where between "unrelated" (0) and "paraphrase" (1) on the embedder's scale two reports
#: must sit, on average, to be one defect.
SIMILARITY_POINT = 0.75
EVIDENCE = 3
# Words that say a defect hurts: data lost, everyone blocked, money wrong, urgency.
SEVERITY_WORDS = {
    "en": ("data loss", "lost", "disappeared", "deleted", "crash", "down", "outage", "all users",
           "everyone", "blocked", "cannot", "can't", "urgent", "asap", "security", "wrong",
           "charged", "500", "broken"),
    "ja": ("消え", "消失", "落ち", "ダウン", "全員", "全社", "できません", "使えない", "至急",
           "緊急", "セキュリティ", "二重", "請求", "エラー", "止ま"),
}


def _bug_filter() -> Any:
    return or_(InquiryRow.tag == BUG_TAG, InquiryRow.reason == BUG_REASON)


def default_similarity(embedder: Embedder) -> float:
    """Return the cosine two reports of one defect reach on this embedder's scale."""
    scale = cosine_scale(embedder)
    return scale.unrelated + SIMILARITY_POINT * (scale.paraphrase - scale.unrelated)


def compute_bug_clusters(session: Session, embedder: Embedder,
                         similarity: float | None = None, *, analyzer: Analyzer | None = None,
                         clean: embedding.Cleaner | None = None) -> SaveResult:
    """Group every bug report by meaning, keeping the ids of clusters that persist.

    A pair of reports in two languages has its cosine raised by the embedder's
    cross-language offset, so that a Japanese and an English report of one defect are as
    alike as two English ones."""
    from sklearn.cluster import AgglomerativeClustering

    embedding.ensure_embeddings(session, embedder, clean=clean)
    language_of = {r.id: r.language or "" for r in session.execute(
        select(InquiryRow.id, InquiryRow.language).where(_bug_filter())
        .order_by(InquiryRow.created_at))}
    ids, vectors = embedding.load_embeddings(session, embedder.name, list(language_of))
    if not ids:
        return SaveResult()
    threshold = default_similarity(embedder) if similarity is None else similarity
    if len(ids) == 1:
        labels = np.zeros(1, dtype=np.int64)
    else:
        languages = np.asarray([language_of[i] for i in ids])
        sims = vectors @ vectors.T + cosine_scale(embedder).cross_language * (
            languages[:, None] != languages[None, :])
        model = AgglomerativeClustering(n_clusters=None, metric="precomputed",
                                        linkage="average", distance_threshold=1.0 - threshold)
        labels = np.asarray(model.fit_predict(np.clip(1.0 - sims, 0.0, 2.0)), dtype=np.int64)
    result = save_clustering(session, "bug", embedder.name, ids, vectors, labels,
                             analyzer or Analyzer(), margin=join_margin(embedder))
    session.commit()
    return result


@dataclass
class BugCluster:
    """One defect as engineering sees it."""

    id: str
    title: str
    status: str
    count: int
    reports_since_fixed: int
    accounts: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    languages: dict[str, int] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)
    severity: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    known_issue: dict[str, Any] | None = None
    fixed_at: datetime | None = None
    fixed_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the cluster as JSON-ready data."""
        data = dict(self.__dict__)
        for key in ("first_seen", "last_seen", "fixed_at"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data


def _session(session_or_engine: Session | Engine) -> tuple[Session, bool]:
    if isinstance(session_or_engine, Session):
        return session_or_engine, False
    return Session(session_or_engine), True


def bug_clusters(session_or_engine: Session | Engine, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 100,
                 status: str | None = None) -> list[BugCluster]:
    """Return bug clusters with reports in [since, until), the most reported first."""
    session, own = _session(session_or_engine)
    try:
        return _bug_clusters(session, since, until, status, limit)
    finally:
        if own:
            session.close()


def _bug_clusters(session: Session, since: datetime | None, until: datetime | None,
                  status: str | None, limit: int) -> list[BugCluster]:
    query = (select(InquiryClusterRow.cluster_id, InquiryRow.id, InquiryRow.text,
                    InquiryRow.language, InquiryRow.created_at, InquiryRow.customer,
                    InquiryRow.decision, ConversationRow.account_id)
             .join(InquiryRow, InquiryRow.id == InquiryClusterRow.inquiry_id)
             .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
             .where(InquiryClusterRow.kind == "bug"))
    if since is not None:
        query = query.where(InquiryRow.created_at >= since)
    if until is not None:
        query = query.where(InquiryRow.created_at < until)
    reports: dict[str, list[Any]] = {}
    for row in session.execute(query):
        reports.setdefault(row.cluster_id, []).append(row)
    clusters = {row.id: row for row in session.scalars(
        select(InsightClusterRow).where(InsightClusterRow.kind == "bug",
                                        InsightClusterRow.status.in_(
                                            ("active", "fixed", "reopened"))))}
    if status is not None:
        clusters = {k: v for k, v in clusters.items() if v.status == status}
    chosen = sorted((c for c in clusters if c in reports),
                    key=lambda c: (-len(reports[c]), c))[:limit]
    inquiry_ids = [r.id for c in chosen for r in reports[c]]
    escalations: dict[str, list[EscalationRow]] = {}
    cited: dict[str, list[Any]] = {}
    for start in range(0, len(inquiry_ids), 1000):
        part = inquiry_ids[start:start + 1000]
        for e in session.scalars(select(EscalationRow).where(EscalationRow.inquiry_id.in_(part))):
            escalations.setdefault(e.inquiry_id or "", []).append(e)
        for c in session.execute(select(AnswerCitationRow.inquiry_id, AnswerCitationRow.doc_id,
                                        AnswerCitationRow.title, AnswerCitationRow.url,
                                        AnswerCitationRow.source)
                                 .where(AnswerCitationRow.inquiry_id.in_(part),
                                        AnswerCitationRow.source == "kb")):
            cited.setdefault(c.inquiry_id, []).append(c)
    out: list[BugCluster] = []
    for cid in chosen:
        cluster_row = clusters[cid]
        group = sorted(reports[cid], key=lambda r: r.created_at)
        accounts = sorted({a for a in (_account(r) for r in group) if a})
        plans = Counter(p for p in ((r.customer or {}).get("plan") for r in group) if p)
        linked = [e for r in group for e in escalations.get(r.id, [])]
        articles = Counter((c.doc_id, c.title, c.url) for r in group for c in cited.get(r.id, []))
        known = articles.most_common(1)
        out.append(BugCluster(
            id=cid, title=cluster_row.name or cluster_row.label, status=cluster_row.status,
            count=len(group), reports_since_fixed=cluster_row.reports_since_fixed, accounts=accounts,
            first_seen=group[0].created_at, last_seen=group[-1].created_at,
            languages=dict(Counter(r.language or "?" for r in group)), plans=dict(plans),
            severity=_severity(group),
            evidence=[{"inquiry_id": r.id, "quote": mask_pii(r.text)[:400],
                       "account_id": _account(r), "language": r.language,
                       "created_at": r.created_at.isoformat()}
                      for r in _evidence(group, cluster_row.representative_id)],
            escalations=[{"escalation_id": e.id, "status": e.status, "reason": e.reason,
                          "account_id": e.account_id, "created_at": e.created_at.isoformat()}
                         for e in linked],
            known_issue=({"doc_id": known[0][0][0], "title": known[0][0][1],
                          "url": known[0][0][2], "cited": known[0][1]} if known else None),
            fixed_at=cluster_row.fixed_at, fixed_by=cluster_row.fixed_by))
    return out


def _account(row: Any) -> str | None:
    customer = row.customer or {}
    account = row.account_id or customer.get("account_id")
    return str(account) if account else None


def _evidence(group: list[Any], representative: str | None) -> list[Any]:
    """The representative report first, then the latest others."""
    first = [r for r in group if r.id == representative]
    rest = [r for r in reversed(group) if r.id != representative]
    return (first + rest)[:EVIDENCE]


def _severity(group: list[Any]) -> dict[str, Any]:
    """Return what hints at how bad the defect is: words, negative sentiment, plans."""
    words: Counter[str] = Counter()
    negative = 0
    for r in group:
        lowered = r.text.lower()
        for language_words in SEVERITY_WORDS.values():
            words.update(w for w in language_words if w in lowered)
        decision = r.decision or {}
        escalation = decision.get("escalation") or {}
        if escalation.get("reason") == "negative_sentiment" or any(
                "sentiment" in str(f) for f in decision.get("flags") or []):
            negative += 1
    return {"words": dict(words.most_common(8)), "negative_sentiment": negative,
            "reports": len(group)}


def mark_fixed(session: Session, cluster_id: str, by: str) -> InsightClusterRow:
    """Mark a bug cluster fixed: later reports reopen it and are counted."""
    row = session.get(InsightClusterRow, cluster_id)
    if row is None or row.kind != "bug":
        raise NotFoundError(f"no bug cluster {cluster_id!r}")
    now = utcnow()
    row.status, row.fixed_at, row.fixed_by = "fixed", now, by[:200]
    row.reports_since_fixed = 0
    row.updated_at = now
    session.commit()
    return row


def assign_bug(session: Session, embedder: Embedder, inquiry_id: str) -> str | None:
    """Put one new bug report into its cluster (reopening a fixed one) if close enough."""
    from insights.store import assign

    ids, vectors = embedding.load_embeddings(session, embedder.name, [inquiry_id])
    if not ids:
        return None
    joined = assign(session, "bug", embedder.name, ids, vectors)[0]
    session.commit()
    return joined


@functools.cache
def _waiting(since: bool) -> Executable:
    """Return the statement reading bug reports in no bug cluster yet (built once), with
    `since` bound when it runs."""
    # Core columns: the ORM's statement handling cost more than the query.
    i, c = (cast(Table, row.__table__) for row in (InquiryRow, InquiryClusterRow))
    query = (select(i.c.id).select_from(i)
             .outerjoin(c, (c.c.inquiry_id == i.c.id) & (c.c.kind == "bug"))
             .where(or_(i.c.tag == BUG_TAG, i.c.reason == BUG_REASON), c.c.inquiry_id.is_(None)))
    if since:
        query = query.where(i.c.created_at >= bindparam("since"))
    return query


def assign_new_bugs(session: Session, embedder: Embedder, since: datetime | None = None) -> int:
    """Join bug reports not in a cluster yet (created since `since`, if given) to their
    nearest one (reopening a fixed one)."""
    from insights.store import assign

    query = _waiting(since is not None)
    waiting = [i for (i,) in session.execute(query, {} if since is None else {"since": since})]
    if not waiting:
        return 0
    ids, vectors = embedding.load_embeddings(session, embedder.name, waiting)
    joined = assign(session, "bug", embedder.name, ids, vectors)
    session.commit()
    return sum(1 for j in joined if j is not None)


CSV_COLUMNS = ("id", "title", "status", "count", "reports_since_fixed", "accounts",
               "first_seen", "last_seen", "languages", "severity_words", "evidence",
               "escalations", "known_issue")


def to_csv(clusters: list[BugCluster]) -> str:
    """Return bug clusters as CSV (personal data masked in the evidence)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for c in clusters:
        writer.writerow([
            c.id, c.title, c.status, c.count, c.reports_since_fixed, " ".join(c.accounts),
            c.first_seen.isoformat() if c.first_seen else "",
            c.last_seen.isoformat() if c.last_seen else "",
            " ".join(f"{k}:{v}" for k, v in c.languages.items()),
            " ".join(c.severity.get("words", {})),
            " | ".join(e["quote"].replace("\n", " ") for e in c.evidence),
            " ".join(e["escalation_id"] for e in c.escalations),
            c.known_issue["doc_id"] if c.known_issue else ""])
    return buffer.getvalue()


def issue_payload(cluster: BugCluster) -> dict[str, Any]:
    """Return a cluster as an issue tracker takes it: title, Markdown body, labels."""
    lines = [f"**{cluster.count} reports** from {len(cluster.accounts)} accounts "
             f"({', '.join(cluster.accounts) or 'none recorded'}), first seen "
             f"{cluster.first_seen:%Y-%m-%d}, last seen {cluster.last_seen:%Y-%m-%d}."
             if cluster.first_seen and cluster.last_seen else f"**{cluster.count} reports**"]
    if cluster.reports_since_fixed:
        lines.append(f"Reopened: {cluster.reports_since_fixed} reports since it was fixed.")
    words = ", ".join(cluster.severity.get("words", {}))
    if words:
        lines.append(f"Severity hints: {words}.")
    lines += ["", "### Evidence"]
    lines += [f"> {mask_pii(e['quote']).replace(chr(10), ' ')}" for e in cluster.evidence]
    if cluster.escalations:
        lines += ["", "### Escalations", *[
            f"- {e['escalation_id']} ({e['status']}, {e['reason']})" for e in cluster.escalations]]
    if cluster.known_issue:
        lines += ["", f"Known-issue article: {cluster.known_issue['title']} "
                  f"({cluster.known_issue['doc_id']})"]
    labels = ["bug", "kotae", f"reports:{cluster.count}"]
    if cluster.status == "reopened":
        labels.append("regression")
    if cluster.severity.get("words"):
        labels.append("severity-hint")
    return {"cluster_id": cluster.id, "title": cluster.title[:200], "body": "\n".join(lines),
            "labels": labels, "count": cluster.count, "accounts": cluster.accounts,
            "status": cluster.status}
