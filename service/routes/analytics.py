"""Routes for admins and CSMs: deflection, reasons, tags, feedback, latency and cost over a period."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import CsmDep, SessionDep, SinceQuery, UntilQuery, aware
from service.errors import ERROR_RESPONSES
from service.schemas import SummaryOut
from storage.repo import analytics

router = APIRouter()


@router.get(
    "/v1/analytics/summary",
    response_model=SummaryOut,
    tags=["admin", "csm"],
    responses=ERROR_RESPONSES,
)
def analytics_summary(
    session: SessionDep, principal: CsmDep, since: SinceQuery = None, until: UntilQuery = None
) -> SummaryOut:
    """Summarise deflection, reasons, tags, feedback, latency and cost."""
    s = analytics.analytics_summary(session, aware(since), aware(until))
    return SummaryOut(
        since=s.since,
        until=s.until,
        inquiries=s.inquiries,
        pending=s.pending,
        decided=s.decided,
        answered=s.answered,
        escalated=s.escalated,
        failed=s.failed,
        deflection_rate=s.deflection_rate,
        escalation_reasons=s.reasons,
        tags=s.tags,
        languages=s.languages,
        feedback=s.feedback,
        helpful_rate=s.helpful_rate,
        latency_median_ms=s.latency_median_ms,
        latency_p95_ms=s.latency_p95_ms,
        prompt_tokens=s.prompt_tokens,
        completion_tokens=s.completion_tokens,
        cost_usd=s.cost_usd,
        signals=s.signals,
    )
