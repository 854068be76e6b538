"""Take a stored inquiry to a stored decision, whatever happens to the agent or the process.

The inquiry row is committed before the agent is called. Whoever records a decision first
wins (`inquiries.record_decision` in storage.repo), so a timed-out call, a retry after a crash
and a second worker can all try without double answers, escalations or webhooks. An agent that
raises never reaches the customer as an error: the inquiry is escalated instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from agent.pii import mask_pii
from agent.types import Customer, Decision, Escalation, Inquiry, Message, ReasonCode
from errors import StoreError
from retrieval.textproc import detect_language
from storage.db import Database
from storage.models import InquiryRow, MessageRow, utcnow
from storage.repo import channels as channel_threads
from storage.repo import escalations, inquiries

log = logging.getLogger(__name__)

UNTAGGED = "untagged"  # the tag of an inquiry the agent never got to tag
Language = Literal["en", "ja"]

NOTICES: dict[tuple[str, bool], str] = {
    ("en", False): "Thank you. We have passed your question to our support team; a person "
    "will reply in this conversation.",
    ("ja", False): "お問い合わせありがとうございます。サポート担当者に引き継ぎました。"
    "この会話で担当者からご返信します。",
    ("en", True): "Our automatic assistant is unavailable right now, so we have passed your "
    "question to our support team; a person will reply in this conversation.",
    ("ja", True): "現在、自動応答をご利用いただけないため、サポート担当者に引き継ぎました。"
    "この会話で担当者からご返信します。",
}


#: What the customer is told when a person already holds the conversation (the bot is silent).
HELD_NOTICES: dict[tuple[str, str], str] = {
    ("en", "held"): "A person from our team is handling this conversation and will reply here.",
    ("ja", "held"): "この会話は担当者が対応しております。担当者よりこちらでご返信いたします。",
    ("en", "reopened"): "Thank you; we have reopened this conversation and a person from our "
    "team will reply here.",
    ("ja", "reopened"): "ありがとうございます。この会話を再開しました。担当者よりこちらでご返信いたします。",
    ("en", "requested"): "Your message has been added to your request; a person from our team "
    "will reply here as soon as they can.",
    ("ja", "requested"): "いただいたメッセージを担当者への依頼に追加しました。担当者より順番にこちらでご返信いたします。",
}


class Decide(Protocol):
    """The agent's entry point: `Agent.handle`."""

    def __call__(
        self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
    ) -> Decision: ...


def notice_for(language: str | None, *, degraded: bool) -> str:
    """Return what the customer is told when a person will take over."""
    return NOTICES[("ja" if language == "ja" else "en", degraded)]


def customer_notice(decision: Decision, status: str) -> str | None:
    """Return what the customer is told about an escalation (None for an answer).

    The agent's own hand-over message (an escalation's `answer`) is used when it wrote
    one; a fallback recorded because the agent failed says so.
    """
    if decision.action != "escalate":
        return None
    if status != "failed" and decision.answer and decision.answer.strip():
        return decision.answer
    return notice_for(decision.language, degraded=status == "failed")


@dataclass(frozen=True)
class Outcome:
    """A recorded decision and what it led to."""

    inquiry_id: str
    conversation_id: str
    status: str  # "decided", or "failed" when the agent failed and a fallback was recorded
    decision: Decision
    escalation_id: str | None
    notice: str | None  # for the customer, when the inquiry went to a person

    @property
    def degraded(self) -> bool:
        """Return whether the agent failed and the inquiry was escalated in its place."""
        return self.status == "failed"


def load_outcome(db: Database, inquiry_id: str) -> Outcome | None:
    """Return the recorded outcome of an inquiry, or None while it is still being answered."""
    with db.session() as session:
        row = inquiries.get_inquiry(session, inquiry_id)
        if row.status == "received" or row.decision is None:
            return None
        decision = Decision.model_validate(row.decision)
        escalation = escalations.escalation_of_inquiry(session, inquiry_id)
        notice = customer_notice(decision, row.status)
        return Outcome(
            row.id,
            row.conversation_id,
            row.status,
            decision,
            escalation.id if escalation else None,
            notice,
        )


def _language(row: InquiryRow) -> Language:
    if row.requested_language in ("en", "ja"):
        return "ja" if row.requested_language == "ja" else "en"
    return detect_language(row.text)


def build_inquiry(row: InquiryRow, history: list[Message]) -> Inquiry:
    """Return the agent's view of a stored inquiry, with the conversation so far."""
    customer = Customer.model_validate(row.customer) if row.customer else None
    language = row.requested_language if row.requested_language in ("en", "ja") else None
    return Inquiry(
        text=row.text,
        id=row.id,
        conversation_id=row.conversation_id,
        history=history,
        customer=customer,
        language=language,
    )


def fallback_decision(row: InquiryRow, reason: ReasonCode, detail: str) -> Decision:
    """Return the escalation recorded when the agent could not decide."""
    return Decision(
        inquiry_id=row.id,
        conversation_id=row.conversation_id,
        action="escalate",
        tag=UNTAGGED,
        tag_confidence=0.0,
        confidence=0.0,
        escalation=Escalation(reason=reason, detail=detail),
        language=_language(row),
        mode="offline",
    )


def _is_retrieval_failure(exc: BaseException) -> bool:
    if isinstance(exc, StoreError):
        return True
    return type(exc).__module__.split(".")[0] in ("chromadb", "retrieval")


def failure_decision(row: InquiryRow, exc: BaseException) -> Decision:
    """Return the fallback for an agent that raised: retrieval down, or the model."""
    if _is_retrieval_failure(exc):
        return fallback_decision(
            row,
            ReasonCode.LOW_CONFIDENCE,
            f"retrieval unavailable: {exc.__class__.__name__}: {exc}"[:500],
        )
    return fallback_decision(
        row, ReasonCode.LLM_UNAVAILABLE, f"the agent failed: {exc.__class__.__name__}: {exc}"[:500]
    )


#: The most of an agent's text that is stored and shown, in characters: an answer over it is
#: not sent (the inquiry goes to a person), a draft is cut, a detail or a signal's evidence
#: (a quote) is cut shorter. A model that ignored its token limit, or an agent gone wrong,
#: cannot fill the database (20,000 is also the longest inquiry and resolution accepted).
MAX_ANSWER_CHARS = 20_000
MAX_DRAFT_CHARS = 20_000
MAX_DETAIL_CHARS = 2_000
MAX_EVIDENCE_CHARS = 2_000


def _cut(text: str, limit: int) -> str:
    """Return text within limit characters, saying where it was cut."""
    if len(text) <= limit:
        return text
    note = f" [… cut: {len(text):,} characters, over the limit of {limit:,}]"
    return text[: limit - len(note)] + note


def _stored_text(text: str | None, limit: int) -> str | None:
    """Return an agent's text as stored: card numbers masked, cut at limit."""
    return None if text is None else _cut(mask_pii(text, kinds=("card",)), limit)


def _checked(decision: Decision, row: InquiryRow) -> Decision:
    # Fail closed: an "answer" with nothing to say, or an escalation without a reason,
    # goes to a person rather than to the customer.
    update: dict[str, object] = {"inquiry_id": row.id, "conversation_id": row.conversation_id}
    length = len(decision.answer or "")
    if length > MAX_ANSWER_CHARS:
        # Not cut short and sent: a cut answer may stop before the step that matters.
        decision = decision.model_copy(update={
            "action": "escalate", "answer": None, "citations": [],
            "flags": [*decision.flags, "answer_too_long"],
            "escalation": Escalation(
                reason=ReasonCode.LOW_CONFIDENCE,
                detail=f"the agent's answer was {length:,} characters, over the limit of "
                f"{MAX_ANSWER_CHARS:,}",
                draft=decision.escalation.draft if decision.escalation else None)})
    escalation = decision.escalation
    update.update(
        answer=_stored_text(decision.answer, MAX_ANSWER_CHARS),
        escalation=escalation.model_copy(update={
            "detail": _stored_text(escalation.detail, MAX_DETAIL_CHARS),
            "draft": _stored_text(escalation.draft, MAX_DRAFT_CHARS)}) if escalation else None,
        signals=[signal.model_copy(update={
            "evidence": _stored_text(signal.evidence, MAX_EVIDENCE_CHARS)})
            for signal in decision.signals])
    if decision.action == "answer" and not (decision.answer or "").strip():
        update.update(
            action="escalate",
            answer=None,
            escalation=Escalation(
                reason=ReasonCode.LOW_CONFIDENCE, detail="the agent produced an empty answer"
            ),
        )
    elif decision.action == "escalate" and decision.escalation is None:
        update["escalation"] = Escalation(
            reason=ReasonCode.LOW_CONFIDENCE, detail="the agent escalated without giving a reason"
        )
    return decision.model_copy(update=update)


def record(
    db: Database, row: InquiryRow, decision: Decision, *, status: str, error: str | None = None
) -> Outcome:
    """Store a decision (unless one was stored first) and return the outcome that stands."""
    notice = customer_notice(decision, status)
    try:
        with db.session() as session:
            recorded = inquiries.record_decision(
                session, row.id, decision, status=status, notice=notice, error=error
            )
    except (DataError, IntegrityError, StatementError) as exc:
        if isinstance(exc, DBAPIError) and not isinstance(exc, DataError | IntegrityError):
            # The database is down or busy (OperationalError and kin), not refusing this
            # decision: keep the inquiry as received, under its lease, for the recovery pass
            # to answer again, rather than replace a good answer with an escalation.
            raise StoreError(
                f"could not record the decision on {row.id}: the database did not answer",
                hint="the inquiry is kept and will be answered; read the conversation shortly",
            ) from exc
        if status == "failed":
            raise StoreError(f"could not record the decision on {row.id}: {exc}") from exc
        # The agent's decision holds something the database refuses (a NUL character, an
        # over-long tag): store the plain fallback so the customer still gets a person.
        log.exception("could not store the agent's decision on %s; escalating", row.id)
        return record(
            db,
            row,
            failure_decision(row, exc),
            status="failed",
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
    if recorded:  # what was stored is what we hold: no need to read it back
        return Outcome(row.id, row.conversation_id, status, decision, recorded.escalation_id,
                       notice)
    log.info("inquiry %s was decided elsewhere first; keeping that decision", row.id)
    outcome = load_outcome(db, row.id)
    assert outcome is not None  # a decision was just recorded, by us or by someone else
    return outcome


def answer(
    db: Database,
    inquiry_id: str,
    decide: Decide,
    *,
    on_token: Callable[[str], None] | None = None,
    received: inquiries.Received | None = None,
) -> Outcome:
    """Run the agent on a stored inquiry and record what it decided (or the fallback).

    `received` is what `inquiries.receive_inquiry` returned for this inquiry, when the
    caller has it: the row and history it carries need not be read back.
    """
    loaded: list[MessageRow] | None
    if received is not None and received.history is not None and not received.replay:
        assert received.inquiry.id == inquiry_id
        row, loaded = received.inquiry, received.history
    else:
        with db.session() as session:
            row = inquiries.get_inquiry(session, inquiry_id)
            loaded = (inquiries.history_before(session, row)
                      if row.status == "received" else None)
    if loaded is None:
        outcome = load_outcome(db, inquiry_id)
        assert outcome is not None  # status says it was decided
        return outcome
    with db.session() as session:
        hold = channel_threads.hold_of(session, row.conversation_id, row.created_at)
    if hold is not None:
        return held(db, row, hold)
    history = [Message(role=m.role, text=m.text) for m in loaded]
    inquiry = build_inquiry(row, history)
    started = time.perf_counter()
    try:
        decision = _checked(decide(inquiry, on_token=on_token), row)
        status, error = "decided", None
    except Exception as exc:  # broad on purpose: any agent failure must become an escalation
        log.exception("the agent failed on inquiry %s; escalating it", inquiry_id)
        decision, status = failure_decision(row, exc), "failed"
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
    if not decision.latency_ms:
        decision = decision.model_copy(
            update={"latency_ms": round((time.perf_counter() - started) * 1000, 3)}
        )
    return record(db, row, decision, status=status, error=error)


def held(db: Database, row: InquiryRow, hold: channel_threads.Hold) -> Outcome:
    """Record an inquiry in a conversation a person holds: no agent, no bot answer (no
    talking over a person); the customer's turn waits in the conversation for them."""
    language = _language(row)
    try:
        reason = ReasonCode(hold.reason or ReasonCode.POLICY)
    except ValueError:
        reason = ReasonCode.POLICY
    notice = HELD_NOTICES.get((language, hold.kind)) or HELD_NOTICES[(language, "held")]
    decision = fallback_decision(
        row, reason, f"a person holds this conversation ({hold.kind}); Kotae stayed silent"
    ).model_copy(update={"answer": notice, "flags": ["held", hold.kind]})
    with db.session() as session:
        recorded = channel_threads.record_held(session, row.id, decision)
    if not recorded:
        outcome = load_outcome(db, row.id)
        assert outcome is not None  # decided by someone else first
        return outcome
    return Outcome(row.id, row.conversation_id, "decided", decision, hold.escalation_id, notice)


def give_up(db: Database, inquiry_id: str, reason: ReasonCode, detail: str) -> Outcome:
    """Record a fallback escalation for an inquiry the agent did not decide in time."""
    with db.session() as session:
        row = inquiries.get_inquiry(session, inquiry_id)
    latency = (utcnow() - row.created_at).total_seconds() * 1000
    decision = fallback_decision(row, reason, detail).model_copy(
        update={"latency_ms": round(latency, 3)}
    )
    return record(db, row, decision, status="failed", error=detail)


def recover(
    db: Database,
    decide: Decide,
    *,
    lease_s: float,
    max_attempts: int,
    skip: Collection[str] = (),
    answering: set[str] | None = None,
) -> list[Outcome]:
    """Finish inquiries whose answering was interrupted (a crash, a lost worker).

    An inquiry whose lease ran out is answered again; after `max_attempts` tries it is
    escalated without calling the agent, so an inquiry that crashes the process cannot
    crash it forever. While one is being answered its id is in `answering`, so that the
    caller can keep renewing its lease (else a slow answer would be claimed again).
    """
    outcomes: list[Outcome] = []
    with db.session() as session:
        ids = inquiries.expired_inquiries(session, utcnow())
    for inquiry_id in ids:
        if inquiry_id in skip:
            continue
        with db.session() as session:
            # The clock is read per claim: the pass may run for minutes, and a lease counted
            # from its start could already have run out when it is granted.
            attempt = inquiries.claim_for_retry(session, inquiry_id, utcnow(), lease_s)
        if attempt is None:
            continue  # decided meanwhile, or another worker took it
        if attempt > max_attempts:
            log.error(
                "inquiry %s was interrupted %d times; escalating it unanswered",
                inquiry_id,
                attempt - 1,
            )
            outcomes.append(
                give_up(
                    db,
                    inquiry_id,
                    ReasonCode.LLM_UNAVAILABLE,
                    f"answering was interrupted {attempt - 1} times "
                    "(the service restarted); escalated without an answer",
                )
            )
        else:
            log.warning(
                "answering inquiry %s again (attempt %d) after an interruption", inquiry_id, attempt
            )
            if answering is not None:
                answering.add(inquiry_id)
            try:
                outcomes.append(answer(db, inquiry_id, decide))
            finally:
                if answering is not None:
                    answering.discard(inquiry_id)
    return outcomes
