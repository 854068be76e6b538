"""The agent's input and output: the contract shared by the API and the eval harness."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from retrieval.textproc import language_code


def _language_tag(value: object) -> object:
    return language_code(value) if isinstance(value, str) else value


#: "en" or "ja"; a BCP 47 tag such as "ja-JP" or "en-US" (what browsers send) is accepted and
#: reduced to its language.
LanguageTag = Annotated[Literal["en", "ja"], BeforeValidator(_language_tag)]
Action = Literal["answer", "escalate"]
Mode = Literal["offline", "llm"]
Role = Literal["customer", "agent", "assistant"]


class ReasonCode(StrEnum):
    """Why an inquiry went to a human (PRODUCT.md, "Decisions and their reasons")."""

    LOW_CONFIDENCE = "low_confidence"
    HUMAN_REQUESTED = "human_requested"
    BUG_REPORT = "bug_report"
    SENSITIVE_TOPIC = "sensitive_topic"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    INJECTION_ATTEMPT = "injection_attempt"
    LLM_UNAVAILABLE = "llm_unavailable"
    POLICY = "policy"
    REPEATED_QUESTION = "repeated_question"


class SignalKind(StrEnum):
    """What a customer-success manager is told about."""

    EXPANSION = "expansion"
    CHURN_RISK = "churn_risk"


class Message(BaseModel):
    """One turn of a conversation."""

    role: Role
    text: str


class Customer(BaseModel):
    """Who is asking, as the widget knows them."""

    id: str | None = None
    account_id: str | None = None
    email: str | None = None
    plan: str | None = None


class Inquiry(BaseModel):
    """A customer's message, with the conversation so far."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)
    id: str | None = None
    conversation_id: str | None = None
    history: list[Message] = Field(default_factory=list)
    customer: Customer | None = None
    language: LanguageTag | None = None


class Citation(BaseModel):
    """A source an answer rests on."""

    id: str
    title: str
    url: str | None = None
    source: Literal["kb", "ticket"]
    score: float


class Escalation(BaseModel):
    """Why a human must take over, with a draft to start from."""

    reason: ReasonCode
    detail: str = Field(description="what matched or failed, for support agents (empty in "
                        "what a widget key is sent)")
    draft: str | None = Field(None, description="a reply for an agent to edit (never sent to "
                              "a widget key)")


class SignalText(BaseModel):
    """Why a signal was raised and what to do next, in one language."""

    why: str
    next_step: str


class Signal(BaseModel):
    """An expansion or churn-risk signal for the account's CSM."""

    kind: SignalKind
    account_id: str | None = None
    evidence: str  # the customer's words, quoted
    why: str  # in English; `localized` holds every language's (the console shows its own)
    next_step: str
    confidence: float = Field(ge=0.0, le=1.0)
    localized: dict[Literal["en", "ja"], SignalText] | None = None


class Usage(BaseModel):
    """Tokens and money spent on one inquiry."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None


class Decision(BaseModel):
    """What the agent did with an inquiry; also the eval record."""

    inquiry_id: str | None = None
    conversation_id: str | None = None
    action: Action
    answer: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    tag: str
    tag_confidence: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    escalation: Escalation | None = None
    language: Literal["en", "ja"]
    signals: list[Signal] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)  # e.g. "known_bug", "pii_redacted"
    usage: Usage = Field(default_factory=Usage)
    latency_ms: float = 0.0
    mode: Mode = "offline"
    prompt_version: str | None = None
    retrieved: list[Citation] = Field(default_factory=list)  # everything the agent looked at
    # The source the agent would answer from, with `confidence` as its score: the cited one
    # for an answer, the best one for an escalation (None when nothing was retrieved or a
    # guard stopped the search). Moving the answer threshold answers or escalates on it.
    candidate: Citation | None = None
    # What the answer decision read about the candidate (agent.answerability.FEATURES).
    evidence: dict[str, float] = Field(default_factory=dict)
