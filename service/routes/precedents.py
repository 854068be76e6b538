"""Routes for support agents: review resolutions before they answer other customers.

Resolving an escalation answers one customer. Reused as a precedent, the reply would answer
everyone who asks the same: so it is cleaned (agent.precedent) and, where the policy asks for
review (the default), waits here until a person approves it, as written or edited, or rejects
it. Only an approved precedent is learned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from service.deps import AgentDep, ServicesDep, SessionDep
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE, ErrorOut
from service.routes.escalations import learn_now
from service.schemas import PrecedentOut, PrecedentPage, ReviewIn
from service.views import precedent_out
from storage.repo import escalations, inquiries

router = APIRouter()
EscalationId = Annotated[str, Path(max_length=40)]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "not pending review (or not resolved)"}}


def _question(session: SessionDep, inquiry_id: str | None) -> str | None:
    if inquiry_id is None:
        return None
    return inquiries.question_starts(session, [inquiry_id], chars=2000).get(inquiry_id)


@router.get(
    "/v1/precedents",
    response_model=PrecedentPage,
    tags=["support agent"],
    responses=ERROR_RESPONSES,
)
def list_precedents(
    session: SessionDep,
    principal: AgentDep,
    status: Literal["pending", "approved", "rejected"] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PrecedentPage:
    """List resolutions proposed for reuse, by review status, oldest first."""
    rows, total = escalations.list_precedents(session, status, limit=limit, offset=offset)
    questions = inquiries.question_starts(
        session, [r.inquiry_id for r in rows if r.inquiry_id], chars=2000)
    return PrecedentPage(
        items=[precedent_out(r, questions.get(r.inquiry_id or "")) for r in rows],
        total=total, limit=limit, offset=offset,
    )


@router.post(
    "/v1/precedents/{escalation_id}/approve",
    response_model=PrecedentOut,
    tags=["support agent"],
    responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE, **CONFLICT},
)
def approve_precedent(
    escalation_id: EscalationId,
    session: SessionDep,
    services: ServicesDep,
    principal: AgentDep,
    body: ReviewIn | None = None,
) -> PrecedentOut:
    """Let a resolution (as written or edited) answer other customers; it is learned now."""
    text = body.text.strip() if body and body.text else None
    row = escalations.review_precedent(session, escalation_id, approve=True,
                                       reviewer=principal.label, text=text)
    learn_now(services, session, row)
    return precedent_out(row, _question(session, row.inquiry_id))


@router.post(
    "/v1/precedents/{escalation_id}/reject",
    response_model=PrecedentOut,
    tags=["support agent"],
    responses={**ERROR_RESPONSES, **NOT_FOUND, **CONFLICT},
)
def reject_precedent(
    escalation_id: EscalationId, session: SessionDep, principal: AgentDep
) -> PrecedentOut:
    """Keep a resolution from answering other customers."""
    row = escalations.review_precedent(session, escalation_id, approve=False,
                                       reviewer=principal.label)
    return precedent_out(row, _question(session, row.inquiry_id))
