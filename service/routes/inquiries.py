"""Routes for the chat widget: ask a question (answered, streamed or handed over) and rate the answer."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import JSONResponse, StreamingResponse

from agent.types import ReasonCode
from errors import ConflictError, KotaeError
from service.deps import (
    ConversationToken,
    ServicesDep,
    SessionDep,
    WidgetDep,
    held_conversation,
    limit_conversation,
)
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE, ErrorOut
from service.schemas import FeedbackIn, FeedbackOut, InquiryIn, InquiryOut
from service.views import inquiry_out
from service.wiring import Services, in_thread
from storage import processing
from storage.repo import inquiries

log = logging.getLogger("kotae.api")

router = APIRouter()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=16,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="a random string (e.g. a UUID) per inquiry: retrying with it returns the "
        "first result instead of creating a second inquiry",
    ),
]


def _request_hash(body: InquiryIn) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


async def _answer(
    services: Services, received: inquiries.Received, on_token: Callable[[str], None] | None
) -> processing.Outcome:
    """Answer a stored inquiry within the time limit; the work survives the caller leaving."""
    timeout = services.api.agent_timeout_s
    inquiry_id = received.inquiry.id
    work = partial(
        processing.answer,
        services.db,
        inquiry_id,
        services.deciding(),
        on_token=on_token,
        received=received,
    )
    running: asyncio.Task[processing.Outcome] = asyncio.ensure_future(
        anyio.to_thread.run_sync(work, limiter=services.agent_limiter)
    )
    try:
        outcome = await asyncio.wait_for(asyncio.shield(running), timeout)
    except TimeoutError:
        log.warning("the agent did not answer inquiry %s within %.1fs", inquiry_id, timeout)
        outcome = await in_thread(
            partial(
                processing.give_up,
                services.db,
                inquiry_id,
                ReasonCode.LLM_UNAVAILABLE,
                f"the agent did not answer within {timeout:g} s",
            )
        )
    services.metrics.outcome(outcome)
    if outcome.escalation_id is not None or outcome.decision.signals:
        services.worker.wake_delivery()
    return outcome


def _start_answering(
    services: Services, received: inquiries.Received, on_token: Callable[[str], None] | None
) -> asyncio.Task[processing.Outcome]:
    inquiry_id = received.inquiry.id
    task = asyncio.ensure_future(_answer(services, received, on_token))
    services.in_flight[inquiry_id] = task
    services.metrics.in_flight.inc()

    def done(_task: asyncio.Task[processing.Outcome]) -> None:
        services.in_flight.pop(inquiry_id, None)
        services.metrics.in_flight.dec()

    task.add_done_callback(done)
    return task


async def _earlier_outcome(services: Services, inquiry_id: str) -> processing.Outcome:
    running = services.in_flight.get(inquiry_id)
    if running is not None:  # the first request is still being answered here: share it
        return await asyncio.shield(running)
    outcome = await in_thread(partial(processing.load_outcome, services.db, inquiry_id))
    if outcome is None:
        raise ConflictError(
            "the first request with this Idempotency-Key is still being answered",
            hint="retry in a few seconds with the same key",
        )
    return outcome


@router.post(
    "/v1/inquiries",
    status_code=201,
    response_model=InquiryOut,
    tags=["widget"],
    responses={
        **ERROR_RESPONSES,
        **NOT_FOUND,
        **TOO_LARGE,
        201: {
            "description": "the inquiry was created: the decision as JSON, or, with "
            '`Accept: text/event-stream`, `token` events ({"text"}) as the answer is written, '
            "then one `decision` event (an InquiryOut); 201 either way",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        409: {"model": ErrorOut, "description": "Idempotency-Key reused or still in progress"},
    },
)
async def create_inquiry(
    body: InquiryIn,
    services: ServicesDep,
    principal: WidgetDep,
    idempotency_key: IdempotencyKey = None,
    conversation_token: ConversationToken = None,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Ask a question: get an answer or a hand-over to a person."""

    def receive() -> inquiries.Received:
        with services.db.session() as session:
            if body.conversation_id is not None:
                held_conversation(session, principal, body.conversation_id, conversation_token)
                limit_conversation(services, body.conversation_id, 1.0)
            return inquiries.receive_inquiry(
                session,
                text=body.text,
                conversation_id=body.conversation_id,
                customer=body.customer.model_dump(exclude_none=True) if body.customer else None,
                language=body.language,
                api_key_id=principal.key_id,
                idempotency_key=idempotency_key,
                request_hash=_request_hash(body),
                lease_s=services.api.lease_s,
            )

    received = await in_thread(receive)
    token = received.token or (conversation_token if body.conversation_id else None)
    streaming = "text/event-stream" in (accept or "")
    headers = {"Idempotent-Replayed": "true"} if received.replay else {}

    if received.replay or not streaming:
        if received.replay:
            outcome = await _earlier_outcome(services, received.inquiry.id)
        else:
            outcome = await _start_answering(services, received, None)
        # Rendering the answer's Markdown is CPU work (ms): off the event loop.
        result = await in_thread(partial(inquiry_out, outcome, token, principal))
        if not streaming:
            return JSONResponse(result.model_dump(mode="json"), status_code=201, headers=headers)

        async def replay_events() -> AsyncIterator[bytes]:
            yield _sse("decision", result.model_dump_json())

        return StreamingResponse(
            replay_events(),
            status_code=201,
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache"},
        )

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def on_token(delta: str) -> None:  # called from the agent's thread
        loop.call_soon_threadsafe(queue.put_nowait, delta)

    task = _start_answering(services, received, on_token)
    task.add_done_callback(lambda _task: queue.put_nowait(None))

    async def events() -> AsyncIterator[bytes]:
        while (delta := await queue.get()) is not None:
            yield _sse("token", json.dumps({"text": delta}, ensure_ascii=False))
        try:
            outcome = task.result()
        except KotaeError as exc:
            yield _sse("error", json.dumps({"error_code": exc.code, "detail": exc.detail}))
            return
        except Exception:  # broad on purpose: headers are sent, so the error must be an event
            log.exception("streaming inquiry %s failed", received.inquiry.id)
            yield _sse(
                "error",
                json.dumps(
                    {"error_code": "internal_error", "detail": "something went wrong on our side"}
                ),
            )
            return
        result = await in_thread(partial(inquiry_out, outcome, token, principal))
        yield _sse("decision", result.model_dump_json())

    return StreamingResponse(
        events(),
        status_code=201,  # the inquiry is stored before the first byte: created, as without streaming
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/v1/inquiries/{inquiry_id}/feedback",
    response_model=FeedbackOut,
    tags=["widget"],
    responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE},
)
def give_feedback(
    inquiry_id: Annotated[str, Path(max_length=40)],
    body: FeedbackIn,
    session: SessionDep,
    services: ServicesDep,
    principal: WidgetDep,
    conversation_token: ConversationToken = None,
) -> FeedbackOut:
    """Say whether an answer helped."""
    inquiry = inquiries.get_inquiry(session, inquiry_id)
    held_conversation(session, principal, inquiry.conversation_id, conversation_token)
    limit_conversation(services, inquiry.conversation_id, 1.0)
    row = inquiries.record_feedback(session, inquiry_id, body.helpful, body.comment)
    return FeedbackOut(
        inquiry_id=row.inquiry_id,
        helpful=row.helpful,
        comment=row.comment,
        updated_at=row.updated_at,
    )
