"""Content performance: for each article (or past ticket) answers cited, how often it was
cited, how often the answer helped, and how often the conversation went wrong afterwards
(a 👎 on the answer, or an escalation in the same conversation after it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from insights.store import stored_copy
from storage.models import AnswerCitationRow, EscalationRow, FeedbackRow, utcnow

Sort = Literal["cited", "helpful_rate", "trouble_rate"]
DEFAULT_DAYS = 30  # the period pages ask for first; the maintenance pass keeps it fresh


def content_performance(session: Session, since: datetime | None,
                        until: datetime | None = None) -> list[dict[str, Any]]:
    """Return one row per cited source in [since, until), most cited first."""
    cited = AnswerCitationRow
    window = []
    if since is not None:
        window.append(cited.created_at >= since)
    if until is not None:
        window.append(cited.created_at < until)
    escalated_after = exists().where(
        EscalationRow.conversation_id == cited.conversation_id,
        EscalationRow.created_at >= cited.created_at,
    )
    unhelpful = FeedbackRow.helpful.is_(False)
    rows = session.execute(
        select(
            cited.doc_id,
            func.max(cited.title),
            func.max(cited.url),
            func.max(cited.source),
            func.count(),
            func.sum(case((FeedbackRow.helpful.is_(True), 1), else_=0)),
            func.sum(case((unhelpful, 1), else_=0)),
            func.sum(case((escalated_after, 1), else_=0)),
            func.sum(case((or_(unhelpful, escalated_after), 1), else_=0)),
            func.max(cited.created_at),
        )
        .outerjoin(FeedbackRow, FeedbackRow.inquiry_id == cited.inquiry_id)
        .where(*window)
        .group_by(cited.doc_id)
    ).all()
    out: list[dict[str, Any]] = []
    for doc_id, title, url, source, n, good, bad, escalated, trouble, last in rows:
        rated = int(good or 0) + int(bad or 0)
        out.append({
            "doc_id": doc_id,
            "title": title or doc_id,
            "url": url,
            "source": source,
            "cited": int(n),
            "helpful": int(good or 0),
            "unhelpful": int(bad or 0),
            "helpful_rate": round(int(good or 0) / rated, 4) if rated else None,
            "escalated_after": int(escalated or 0),
            "trouble_rate": round(int(trouble or 0) / n, 4) if n else None,
            "last_cited_at": last.isoformat() if isinstance(last, datetime) else last,
        })
    out.sort(key=lambda r: (-int(r["cited"]), str(r["doc_id"])))
    return out


def sort_rows(rows: list[dict[str, Any]], sort: Sort) -> list[dict[str, Any]]:
    """Return rows ordered for a reader: most cited, least helpful or most troubled first."""
    if sort == "helpful_rate":
        return sorted(rows, key=lambda r: (r["helpful_rate"] is None,
                                           r["helpful_rate"] or 0.0, -r["cited"]))
    if sort == "trouble_rate":
        return sorted(rows, key=lambda r: (-(r["trouble_rate"] or 0.0), -r["cited"]))
    return rows


def cached_content(session: Session, days: int, max_age_s: float,
                   now: datetime | None = None) -> tuple[list[dict[str, Any]], datetime]:
    """Return content performance over the last `days`, recomputed when the stored copy is
    older than max_age_s; and when it was computed."""
    now = now or utcnow()
    return stored_copy(session, f"content:{days}", max_age_s, now,
                       lambda: content_performance(session, now - timedelta(days=days), None))
