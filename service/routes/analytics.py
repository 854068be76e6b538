"""Routes for admins and CSMs: deflection, reasons, tags, feedback, latency and cost over a period."""

from __future__ import annotations

from fastapi import APIRouter

from agent.policy import Policy
from service.deps import CsmDep, ServicesDep, SessionDep, SinceQuery, UntilQuery, aware
from service.errors import ERROR_RESPONSES
from service.schemas import ResolutionOut, SummaryOut
from service.wiring import agent_policy
from storage.models import utcnow
from storage.repo import analytics, resolution

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


@router.get(
    "/v1/analytics/resolution",
    response_model=ResolutionOut,
    tags=["admin", "csm"],
    responses=ERROR_RESPONSES,
)
def resolution_metrics(
    session: SessionDep, principal: CsmDep, services: ServicesDep, since: SinceQuery = None,
    until: UntilQuery = None,
) -> ResolutionOut:
    """Contained, confirmed and durable resolutions, handoff and reopen rates, per channel."""
    policy = agent_policy(services.agent) or Policy.load()
    channels = resolution.resolution_by_channel(
        session, aware(since), aware(until), now=utcnow(), said_it_helped=policy.said_it_helped)
    return ResolutionOut(
        since=aware(since), until=aware(until), durable_days=resolution.DURABLE_DAYS,
        channels={name: stats.as_dict() for name, stats in channels.items()})
