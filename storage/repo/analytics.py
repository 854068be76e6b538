"""Analytics: what happened to the inquiries received in a period, their feedback and signals."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from storage.models import EscalationRow, FeedbackRow, InquiryRow, SignalRow


@dataclass
class Summary:
    """What happened to the inquiries received in a period."""

    since: datetime | None
    until: datetime | None
    inquiries: int = 0
    pending: int = 0
    decided: int = 0
    answered: int = 0
    escalated: int = 0
    deflected: int = 0  # answered and never escalated afterwards
    failed: int = 0  # the agent failed and the inquiry was escalated instead
    reasons: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    feedback: int = 0
    helpful: int = 0
    latency_median_ms: float | None = None
    latency_p95_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    signals: dict[str, int] = field(default_factory=dict)

    @property
    def deflection_rate(self) -> float | None:
        """Return the share of decided inquiries answered without a person."""
        return self.deflected / self.decided if self.decided else None

    @property
    def helpful_rate(self) -> float | None:
        """Return the share of feedback that said the answer helped."""
        return self.helpful / self.feedback if self.feedback else None


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Return the nearest-rank q-th percentile (0 < q <= 100) of sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def analytics_summary(session: Session, since: datetime | None, until: datetime | None) -> Summary:
    """Summarise inquiries (and their feedback and signals) created in [since, until)."""
    summary = Summary(since, until)
    conditions = []
    if since is not None:
        conditions.append(InquiryRow.created_at >= since)
    if until is not None:
        conditions.append(InquiryRow.created_at < until)
    escalated_later = exists().where(EscalationRow.inquiry_id == InquiryRow.id)
    rows = session.execute(
        select(
            InquiryRow.status,
            InquiryRow.action,
            InquiryRow.reason,
            InquiryRow.tag,
            InquiryRow.language,
            InquiryRow.latency_ms,
            InquiryRow.prompt_tokens,
            InquiryRow.completion_tokens,
            InquiryRow.cost_usd,
            escalated_later,
        ).where(*conditions)
    ).all()
    reasons: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    latencies: list[float] = []
    for status, action, reason, tag, language, latency, p_tok, c_tok, cost, later in rows:
        summary.inquiries += 1
        if status == "received":
            summary.pending += 1
            continue
        summary.decided += 1
        summary.failed += status == "failed"
        if action == "answer":
            summary.answered += 1
            summary.deflected += not later
        else:
            summary.escalated += 1
        if reason:
            reasons[reason] += 1
        if tag:
            tags[tag] += 1
        if language:
            languages[language] += 1
        if latency is not None:
            latencies.append(float(latency))
        summary.prompt_tokens += p_tok or 0
        summary.completion_tokens += c_tok or 0
        summary.cost_usd += cost or 0.0
    # Escalations the customer asked for after an answer count as reasons too.
    human = (
        select(func.count())
        .select_from(EscalationRow)
        .join(InquiryRow, EscalationRow.inquiry_id == InquiryRow.id)
        .where(
            EscalationRow.reason == "human_requested", InquiryRow.action == "answer", *conditions
        )
    )
    later_human = session.scalar(human) or 0
    if later_human:
        reasons["human_requested"] += later_human
    summary.reasons, summary.tags, summary.languages = dict(reasons), dict(tags), dict(languages)
    latencies.sort()
    summary.latency_median_ms = percentile(latencies, 50)
    summary.latency_p95_ms = percentile(latencies, 95)
    feedback = session.execute(
        select(FeedbackRow.helpful, func.count())
        .join(InquiryRow, FeedbackRow.inquiry_id == InquiryRow.id)
        .where(*conditions)
        .group_by(FeedbackRow.helpful)
    ).all()
    for helpful, count in feedback:
        summary.feedback += count
        summary.helpful += count if helpful else 0
    signal_conditions = []
    if since is not None:
        signal_conditions.append(SignalRow.created_at >= since)
    if until is not None:
        signal_conditions.append(SignalRow.created_at < until)
    for kind, count in session.execute(
        select(SignalRow.kind, func.count()).where(*signal_conditions).group_by(SignalRow.kind)
    ):
        summary.signals[kind] = count
    summary.cost_usd = round(summary.cost_usd, 6)
    return summary
