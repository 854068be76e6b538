"""Analytics: deflection, reasons, latency percentiles and feedback."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.models import utcnow
from storage.repo import analytics, escalations, inquiries
from tests.support.storage import answer, escalation, receive


def test_analytics_count_deflection_latency_and_feedback(db: Database) -> None:
    rows = [receive(db, f"q{i}") for i in range(4)]
    with db.session() as session:
        for i, row in enumerate(rows[:3]):
            inquiries.record_decision(
                session,
                row.id,
                answer(latency_ms=float(10 * (i + 1))),
                status="decided",
                notice=None,
            )
        inquiries.record_decision(session, rows[3].id, escalation(), status="decided", notice="n")
        escalations.request_human(session, rows[2].conversation_id, None, "n")
        inquiries.record_feedback(session, rows[0].id, True, None)
        inquiries.record_feedback(session, rows[1].id, False, "no")
        summary = analytics.analytics_summary(session, None, None)
        empty = analytics.analytics_summary(session, utcnow() + timedelta(days=1), None)
    assert (summary.inquiries, summary.answered, summary.escalated) == (4, 3, 1)
    assert summary.deflection_rate == 0.5  # the third answer was taken to a person
    assert summary.reasons == {"bug_report": 1, "human_requested": 1}
    assert (summary.latency_median_ms, summary.latency_p95_ms) == (10.0, 30.0)
    assert summary.helpful_rate == 0.5
    assert (empty.inquiries, empty.deflection_rate) == (0, None)


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert analytics.percentile(values, 50) == 50.0
    assert analytics.percentile(values, 95) == 95.0
    assert analytics.percentile([7.0], 95) == 7.0
    assert analytics.percentile([], 50) is None
