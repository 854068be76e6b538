"""Request and response bodies of every route (errors' own shape is in service.errors)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agent.pii import mask_pii
from agent.types import Citation, Decision, LanguageTag
from service.settings import Role


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from exc
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _mask_cards(value: str) -> str:
    # A card number is masked before anything is stored, so no table, log, webhook or
    # screen ever holds one (agent.pii: Luhn-checked, the last four digits kept).
    return mask_pii(value, kinds=("card",))


Text = Annotated[str, AfterValidator(_clean)]
RequiredText = Annotated[str, AfterValidator(_clean), AfterValidator(_not_blank)]
#: What a customer or a support agent writes: stored with card numbers masked.
CustomerText = Annotated[str, AfterValidator(_clean), AfterValidator(_mask_cards)]
RequiredCustomerText = Annotated[
    str, AfterValidator(_clean), AfterValidator(_not_blank), AfterValidator(_mask_cards)]
Language = LanguageTag  # "en" or "ja"; "ja-JP", "en-US" and the like are accepted


class CustomerIn(BaseModel):
    """Who is asking, as the widget knows them."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[Text, Field(max_length=200)] | None = None
    account_id: Annotated[Text, Field(max_length=200)] | None = None
    email: Annotated[Text, Field(max_length=320)] | None = None
    plan: Annotated[Text, Field(max_length=100)] | None = None


class InquiryIn(BaseModel):
    """A customer's message: a new conversation, or a follow-up in one."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[RequiredCustomerText, Field(
        min_length=1, max_length=20_000,
        description="the customer's message (card numbers are masked before it is stored)")]
    conversation_id: Annotated[Text, Field(min_length=1, max_length=40)] | None = Field(
        None, description="continue this conversation (send its X-Conversation-Token)"
    )
    customer: CustomerIn | None = None
    language: Language | None = Field(
        None, description="answer in this language: en or ja (a tag such as ja-JP is accepted)")


class InquiryOut(BaseModel):
    """The decision on an inquiry, and how to continue the conversation."""

    inquiry_id: str
    conversation_id: str
    conversation_token: str | None = Field(
        description="send as X-Conversation-Token to read or continue this conversation"
    )
    status: Literal["answered", "escalated"]
    decision: Decision
    escalation_id: str | None = None
    notice: str | None = Field(None, description="for the customer when a person takes over")
    degraded: bool = Field(
        False, description="true when the agent failed and a person will answer instead"
    )
    answer_html: str | None = Field(
        None,
        description="what the customer is shown (the answer, or the notice when a person "
        "takes over) rendered from its Markdown as sanitised HTML: lists, tables, bold, links; "
        "no script, style or event attributes",
    )


class MessageOut(BaseModel):
    """One turn of a conversation."""

    id: int
    role: Literal["customer", "assistant", "agent"]
    text: str
    created_at: datetime
    inquiry_id: str | None = None
    author: str | None = None
    text_html: str | None = Field(
        None,
        description="an assistant's or support agent's message rendered from its Markdown as "
        "sanitised HTML (customers' messages are text only, so this is null for them)",
    )
    handed_over: bool = Field(
        False,
        description="an assistant's message telling the customer the conversation was passed "
        "to a person (the widget shows it as a hand-over notice, as when it was first sent)",
    )


class ConversationOut(BaseModel):
    """A conversation with every message, including support agents' replies."""

    id: str
    created_at: datetime
    updated_at: datetime
    account_id: str | None = None
    language: str | None = None
    messages: list[MessageOut]
    open_escalation_id: str | None = None


class FeedbackIn(BaseModel):
    """Did the answer help?"""

    model_config = ConfigDict(extra="forbid")

    helpful: bool
    comment: Annotated[CustomerText, Field(max_length=2000)] | None = None


class FeedbackOut(BaseModel):
    """Stored feedback (the latest replaces earlier feedback on the same inquiry)."""

    inquiry_id: str
    helpful: bool
    comment: str | None
    updated_at: datetime


class HumanIn(BaseModel):
    """A request to talk to a person."""

    model_config = ConfigDict(extra="forbid")

    comment: Annotated[CustomerText, Field(max_length=2000)] | None = None


class HumanOut(BaseModel):
    """The escalation a person will answer."""

    escalation_id: str
    status: str
    created: bool
    notice: str


class EscalationOut(BaseModel):
    """An escalation in the queue."""

    id: str
    status: Literal["open", "claimed", "resolved"]
    reason: str
    detail: str
    tag: str | None
    language: str | None
    account_id: str | None
    assignee: str | None
    conversation_id: str
    inquiry_id: str | None
    preview: str | None = Field(
        None, description="the start of the customer's question, on one line (up to 200 characters)"
    )
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    person_requested_at: datetime | None = Field(
        None, description="when the customer asked for a person while it was open for another "
        "reason (they wait for one from then on)")
    age_s: float = Field(description="seconds since it was created")
    resolution: str | None
    resolution_tag: str | None
    learned: bool = Field(description="the resolution was indexed as a past ticket")
    precedent_status: Literal["pending", "approved", "rejected"] | None = Field(
        None, description="whether the resolution may answer other customers: pending a "
        "person's review (GET /v1/precedents), approved (then learned) or rejected; null "
        "before it is resolved, or when the reply had nothing to reuse")


class EscalationDetailOut(EscalationOut):
    """One escalation with the conversation, what was retrieved and the draft."""

    question: str | None
    draft: str | None
    sources: list[Citation] = Field(description="everything the agent retrieved")
    citations: list[Citation] = Field(description="what a draft answer cites")
    conversation: ConversationOut
    decision: Decision | None


class PrecedentOut(BaseModel):
    """A resolution as it would answer other customers, and its review."""

    escalation_id: str
    status: Literal["pending", "approved", "rejected"]
    precedent: str = Field(description="the reply cleaned for reuse: no greeting, sign-off, "
                           "signature, edit notes or personal data")
    resolution: str = Field(description="the reply as the customer received it")
    question: str | None = Field(description="the customer's words it answered")
    tag: str | None
    language: str | None
    account_id: str | None
    assignee: str | None
    resolved_at: datetime | None
    reviewer: str | None
    reviewed_at: datetime | None
    learned: bool = Field(description="indexed: it answers near-duplicate questions now")


class PrecedentPage(BaseModel):
    """Precedents with one review status, oldest resolution first."""

    items: list[PrecedentOut]
    total: int
    limit: int
    offset: int


class ReviewIn(BaseModel):
    """Approve a precedent, as proposed or edited."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[RequiredCustomerText, Field(min_length=1, max_length=20_000)] | None = Field(
        None, description="the precedent as edited by the reviewer (default: as proposed)")


class EscalationPage(BaseModel):
    """A page of the escalation queue, oldest first."""

    items: list[EscalationOut]
    total: int
    limit: int
    offset: int


class ClaimIn(BaseModel):
    """Who takes the escalation (default: the API key's label)."""

    model_config = ConfigDict(extra="forbid")

    assignee: Annotated[RequiredText, Field(min_length=1, max_length=200)] | None = None


class ResolveIn(BaseModel):
    """The support agent's answer, sent to the customer and learned from."""

    model_config = ConfigDict(extra="forbid")

    answer: Annotated[RequiredCustomerText, Field(min_length=1, max_length=20_000)]
    tag: Annotated[RequiredText, Field(min_length=1, max_length=80)] | None = None


class SignalOut(BaseModel):
    """An expansion or churn-risk signal for a CSM."""

    id: str
    kind: str
    account_id: str | None
    evidence: str = Field(description="the customer's words, quoted")
    why: str
    next_step: str
    localized: dict[str, dict[str, str]] | None = Field(
        None, description="why and next_step in each language (en, ja), for consoles in it")
    confidence: float
    inquiry_id: str | None
    conversation_id: str | None
    created_at: datetime
    acked_at: datetime | None
    acked_by: str | None


class SignalPage(BaseModel):
    """A page of signals, newest first."""

    items: list[SignalOut]
    total: int
    limit: int
    offset: int


#: Integers JSON readers keep exact (JavaScript's safe range), which the index stores too.
SAFE_INTEGER = 2**53 - 1


def _metadata_value(value: str | int | float | bool) -> str | int | float | bool:
    if isinstance(value, str):
        if len(value) > 1000:
            raise ValueError(f"text of {len(value):,} characters; at most 1,000")
        return _clean(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -SAFE_INTEGER <= value <= SAFE_INTEGER:
        raise ValueError(f"an integer of {len(str(abs(value)))} digits; integers must be "
                         f"within ±{SAFE_INTEGER:,}")
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no infinity: 1e999 is read as one, which no index or reader keeps.
        raise ValueError("must be a finite number (1e999 and the like read as infinity)")
    return value


MetadataValue = Annotated[str | bool | int | float, AfterValidator(_metadata_value)]


class DocumentIn(BaseModel):
    """A knowledge-base article to add or replace."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[RequiredText, Field(min_length=1, max_length=500)]
    text: Annotated[RequiredText, Field(min_length=1, max_length=2_000_000)]
    url: Annotated[Text, Field(max_length=2000)] | None = None
    language: Language | None = None
    metadata: dict[Annotated[Text, Field(max_length=100)], MetadataValue] = Field(
        default_factory=dict, max_length=50,
        description="up to 50 values: text of up to 1,000 characters, true or false, an integer "
        "within ±9,007,199,254,740,991 or a finite number")


class DocumentOut(BaseModel):
    """What the upsert did."""

    id: str
    outcome: str = Field(description="added, updated or unchanged")


class SummaryOut(BaseModel):
    """Analytics over inquiries received in [since, until)."""

    since: datetime | None
    until: datetime | None
    inquiries: int
    pending: int
    decided: int
    answered: int
    escalated: int
    failed: int
    deflection_rate: float | None = Field(description="answered without a person / decided")
    escalation_reasons: dict[str, int]
    tags: dict[str, int]
    languages: dict[str, int]
    feedback: int
    helpful_rate: float | None
    latency_median_ms: float | None
    latency_p95_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    signals: dict[str, int]


class ResolutionOut(BaseModel):
    """Resolution metrics per channel ("all": every channel) for conversations started in
    [since, until); definitions in storage/repo/resolution.py and the README."""

    since: datetime | None
    until: datetime | None
    durable_days: int
    channels: dict[str, dict[str, float | int | None]] = Field(
        description="per channel: conversations, answered, contained, confirmed, durable, "
        "durable_judged, handed_off, resolved_by_person, reopened and the rates "
        "containment_rate, confirmed_rate, durable_rate, handoff_rate, reopen_rate")


class SearchHitOut(BaseModel):
    """One retrieved passage."""

    id: str
    doc_id: str
    source: str
    title: str
    url: str | None
    language: str
    heading: str
    text: str
    score: float
    vector_score: float | None
    lexical_score: float | None


class SearchOut(BaseModel):
    """What retrieval finds for a query."""

    query: str
    source: str
    hits: list[SearchHitOut]


class MeOut(BaseModel):
    """What the presented API key may do."""

    role: Role = Field(
        description="the key's role: widget (the chat), agent (escalations), csm (signals, "
        "analytics) or admin (everything)"
    )
    label: str | None = Field(
        None, description="the key's label, as claims and acknowledgements record it (not "
        "shown to widget keys, which are public)"
    )
class PolicyOut(BaseModel):
    """The policy in use: reloaded by the maintenance pass when its file changes."""

    version: str = Field(description="the policy file's `version`")
    sha256: str = Field(description="of the policy file and the files it extends, as loaded")
    loaded_at: str = Field(description="when it was loaded (ISO 8601, UTC)")
    answer_decision: str = Field(description="what decides answer or escalate, and its "
                                 "threshold")
    rejected_at: str | None = Field(None, description="when a changed policy file was refused "
                                    "as invalid (the log says why); the policy above stays")
    rejected_sha256: str | None = None


class IndexSourceOut(BaseModel):
    """One source's generation in the catalog and in this host's caches."""

    generation: int
    cached_generation: int


class IndexOut(BaseModel):
    """How current this host's search caches are with the index catalog."""

    shared: bool = Field(description="the catalog is in the database, shared by every host")
    generation: int = Field(description="the catalog's generation (summed over sources)")
    cached_generation: int = Field(description="the generation this host's caches hold")
    behind: bool
    lag_s: float = Field(description="how long the caches have been behind, in seconds")
    sources: dict[str, IndexSourceOut] = Field(default_factory=dict)


class HealthOut(BaseModel):
    """Liveness or readiness."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
    policy: PolicyOut | None = None
    index: IndexOut | None = None
