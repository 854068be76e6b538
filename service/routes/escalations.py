"""Routes for support agents: the escalation queue, one escalation, and claim, resolve, reopen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.types import DecoratedCallable
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from agent.policy import Policy
from agent.precedent import clean_resolution
from agent.types import Decision, ReasonCode
from service.deps import AgentDep, ServicesDep, SessionDep
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE, ErrorOut
from service.schemas import (
    ClaimIn,
    EscalationDetailOut,
    EscalationOut,
    EscalationPage,
    Language,
    ResolveIn,
)
from service.views import conversation_out, escalation_fields, escalation_out, preview_of
from service.wiring import Services
from storage.models import EscalationRow
from storage.repo import conversations, escalations, inquiries
from storage.worker import learn_ticket

router = APIRouter()
EscalationId = Annotated[str, Path(max_length=40)]


@router.get(
    "/v1/escalations",
    response_model=EscalationPage,
    tags=["support agent"],
    responses=ERROR_RESPONSES,
)
def list_escalations(
    session: SessionDep,
    principal: AgentDep,
    status: Literal["open", "claimed", "resolved"] | None = None,
    reason: ReasonCode | None = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    language: Language | None = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    min_age_s: Annotated[
        float | None, Query(ge=0, le=10 * 365 * 86400, description="only those waiting this long")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EscalationPage:
    """List the escalation queue, oldest first."""
    where = escalations.EscalationFilter(
        status=status,
        reason=reason.value if reason else None,
        tag=tag,
        language=language,
        min_age_s=min_age_s,
        account_id=account_id,
    )
    rows, total = escalations.list_escalations(session, where, limit=limit, offset=offset)
    questions = inquiries.question_starts(session, [r.inquiry_id for r in rows if r.inquiry_id])
    return EscalationPage(
        items=[escalation_out(r, questions.get(r.inquiry_id or "")) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/v1/escalations/{escalation_id}",
    response_model=EscalationDetailOut,
    tags=["support agent"],
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def read_escalation(
    escalation_id: EscalationId, session: SessionDep, principal: AgentDep
) -> EscalationDetailOut:
    """Read one escalation with its conversation, sources and draft."""
    row = escalations.get_escalation(session, escalation_id)
    decision: Decision | None = None
    question: str | None = None
    if row.inquiry_id is not None:
        inquiry = inquiries.get_inquiry(session, row.inquiry_id)
        question = inquiry.text
        if inquiry.decision:
            decision = Decision.model_validate(inquiry.decision)
    conversation = conversations.get_conversation(session, row.conversation_id)
    return EscalationDetailOut(
        **escalation_fields(row),
        preview=preview_of(question),
        question=question,
        draft=row.draft,
        sources=decision.retrieved if decision else [],
        citations=decision.citations if decision else [],
        conversation=conversation_out(session, conversation),
        decision=decision,
    )


def _out(session: Session, row: EscalationRow) -> EscalationOut:
    """Return an escalation as the queue lists it, with the start of its question."""
    ids = [row.inquiry_id] if row.inquiry_id else []
    return escalation_out(row, inquiries.question_starts(session, ids).get(row.inquiry_id or ""))


def _state_change(verb: str, conflict: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Register POST /v1/escalations/{id}/<verb>, answered 409 (saying conflict) when refused."""
    return router.post(
        f"/v1/escalations/{{escalation_id}}/{verb}",
        response_model=EscalationOut,
        tags=["support agent"],
        responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE,
                   409: {"model": ErrorOut, "description": conflict}},
    )


@_state_change("claim", "claimed by someone else")
def claim_escalation(
    escalation_id: EscalationId,
    session: SessionDep,
    principal: AgentDep,
    body: ClaimIn | None = None,
) -> EscalationOut:
    """Take an escalation."""
    assignee = body.assignee if body and body.assignee else principal.label
    return _out(session, escalations.claim_escalation(session, escalation_id, assignee))


@_state_change("resolve", "already resolved")
def resolve_escalation(
    escalation_id: EscalationId,
    body: ResolveIn,
    session: SessionDep,
    services: ServicesDep,
    principal: AgentDep,
) -> EscalationOut:
    """Answer the customer; the answer, cleaned, is proposed as a precedent for others."""
    precedent, review = precedent_candidate(services.agent, body.answer)
    row = escalations.resolve_escalation(
        session, escalation_id, body.answer, body.tag, principal.label,
        precedent=precedent, review=review,
    )
    services.worker.wake_delivery()
    if row.precedent_status == "approved":  # the policy asks for no review: learned now
        learn_now(services, session, row)
    return _out(session, row)


def precedent_candidate(agent: object, answer: str) -> tuple[str, bool]:
    """Return a reply cleaned for reuse and whether a person must approve that reuse.

    The agent's policy says both (agent.precedent, `precedent_review`); an agent without one
    gets the reply with its personal data masked, for review.
    """
    policy = getattr(agent, "policy", None)
    if isinstance(policy, Policy):
        return clean_resolution(answer, policy), policy.spec.precedent_review
    return mask_pii(answer).strip(), True


def learn_now(services: Services, session: Session, row: EscalationRow) -> None:
    """Teach the agent an approved precedent (retried in the background if it fails)."""
    if escalations.claim_learning(session, row.id, services.api.learn_claim_s):
        ticket = escalations.ticket_for(session, row)
        error = learn_ticket(services.agent.learn, ticket)
        # A failure is left to the background pass, which may run on any host.
        escalations.mark_learned(session, row.id, error, release=True)
    session.refresh(row)


@_state_change("reopen", "already open")
def reopen_escalation(
    escalation_id: EscalationId, session: SessionDep, principal: AgentDep
) -> EscalationOut:
    """Put an escalation back in the queue."""
    return _out(session, escalations.reopen_escalation(session, escalation_id))
