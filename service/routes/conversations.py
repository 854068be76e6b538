"""Routes for the widget (holding the conversation token) and support agents: read a conversation,
hand it to a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from service.deps import (
    ConversationToken,
    ReaderDep,
    ServicesDep,
    SessionDep,
    WidgetDep,
    held_conversation,
    limit_conversation,
)
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE
from service.schemas import ConversationOut, HumanIn, HumanOut
from service.views import conversation_out
from storage import processing
from storage.repo import escalations

router = APIRouter()


@router.get(
    "/v1/conversations/{conversation_id}",
    response_model=ConversationOut,
    tags=["widget"],
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def read_conversation(
    conversation_id: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    services: ServicesDep,
    principal: ReaderDep,
    conversation_token: ConversationToken = None,
) -> ConversationOut:
    """Read a conversation, including support agents' replies."""
    conversation = held_conversation(session, principal, conversation_id, conversation_token)
    limit_conversation(services, conversation_id, services.api.rate_limit_read_cost)
    return conversation_out(session, conversation, principal)


@router.post(
    "/v1/conversations/{conversation_id}/human",
    response_model=HumanOut,
    status_code=201,
    tags=["widget"],
    responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE,
               200: {"model": HumanOut, "description": "already with a person"}},
)
def ask_for_human(
    conversation_id: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    services: ServicesDep,
    principal: WidgetDep,
    response: Response,
    conversation_token: ConversationToken = None,
    body: HumanIn | None = None,
) -> HumanOut:
    """Hand the conversation to a person."""
    conversation = held_conversation(session, principal, conversation_id, conversation_token)
    limit_conversation(services, conversation_id, 1.0)
    notice = processing.notice_for(conversation.language, degraded=False)
    row, created = escalations.request_human(
        session, conversation_id, body.comment if body else None, notice
    )
    if created:
        services.metrics.decisions.labels("escalate", "human_requested", row.tag or "").inc()
        services.worker.wake_delivery()
    else:
        response.status_code = 200
    return HumanOut(escalation_id=row.id, status=row.status, created=created, notice=notice)
