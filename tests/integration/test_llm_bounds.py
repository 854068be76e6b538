"""A model's output and time are bounded: every call carries a token limit, a reply longer
than MAX_REPLY_CHARS is refused (the offline decision stands), what is stored is capped, and a
model that hangs is given up on at the LLM deadline. Against the OpenAI stub on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from agent.factory import build_agent
from agent.llm import MAX_REPLY_CHARS, ChatMessage, LLMInvalidOutput, OpenAIChatModel
from agent.types import Decision, Escalation, Inquiry, ReasonCode
from settings import load_settings
from storage.models import InquiryRow, MessageRow
from storage.processing import MAX_ANSWER_CHARS, MAX_DETAIL_CHARS, MAX_DRAFT_CHARS
from tests.integration.test_agent_llm import verdict
from tests.integration.test_api_harness import FakeAgent, ask, auth, client_for, services_of
from tests.support.openai_stub import Delay, OpenAIStub, Reply, ReplyJSON

pytestmark = pytest.mark.integration

API_KEY = "sk-test-kotae"
QUESTION = "How do I set up SAML SSO with Okta?"
QUESTION_JA = "OktaでSAMLのシングルサインオンを設定する方法を教えてください"
# 20,000,000 characters of ordinary words: what an endpoint that ignores the token limit sent.
HUGE = ("Open Workspace settings and choose Security. " * 450_000)[:20_000_000]


@pytest.fixture(scope="module")
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub(api_key=API_KEY) as running:
        yield running


def adapter(stub: OpenAIStub, **overrides: Any) -> OpenAIChatModel:
    values: dict[str, Any] = {"api_key": SecretStr(API_KEY), "base_url": stub.base_url,
                              "timeout": 30.0, "max_retries": 0, **overrides}
    return OpenAIChatModel("gpt-4o-mini", **values)


def llm_agent(store: Path, embedder: Any, model: Any, **settings: Any) -> Any:
    return build_agent(load_settings(store_dir=store, mode="offline", **settings),
                       embedder=embedder, llm=model)


def test_every_call_carries_the_token_limit(stub: OpenAIStub) -> None:
    stub.reset()
    model = adapter(stub, max_tokens=300)
    model.complete([ChatMessage(role="user", content="Hi")], flow="answer", prompt_version="v1")
    model.complete([ChatMessage(role="user", content="Hi")], flow="answer", prompt_version="v1",
                   on_token=lambda _t: None)
    assert [r.body["max_completion_tokens"] for r in stub.chat.requests] == [300, 300]


def test_the_token_limit_is_a_setting_with_a_default() -> None:
    assert load_settings(_env_file=None).llm_max_tokens == 1024
    assert load_settings(_env_file=None, llm_max_tokens=200).llm_max_tokens == 200


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_over_the_length_limit_is_refused(stub: OpenAIStub, stream: bool) -> None:
    stub.reset()
    stub.chat.enqueue(Reply("word " * 5_000))
    tokens: list[str] = []
    with pytest.raises(LLMInvalidOutput, match=r"(25,000 characters, over|ran over) the limit of "
                                               r"20,000"):
        adapter(stub).complete([ChatMessage(role="user", content="Hi")], flow="answer",
                               prompt_version="v1",
                               on_token=tokens.append if stream else None)
    assert sum(map(len, tokens)) <= MAX_REPLY_CHARS  # a stream stops at the limit


@pytest.mark.parametrize("question", [QUESTION, QUESTION_JA])
def test_a_20_million_character_answer_falls_back_to_the_offline_decision(
        stub: OpenAIStub, demo_store_dir: Path, local_embedder: Any, question: str) -> None:
    stub.reset()
    stub.chat.enqueue(ReplyJSON(verdict(answer=HUGE)))
    agent = llm_agent(demo_store_dir, local_embedder, adapter(stub))
    decision = agent.handle(Inquiry(text=question))
    assert "llm_fallback" in decision.flags and decision.mode == "offline"
    assert len(decision.model_dump_json()) < 50_000
    assert len(stub.chat.requests) == 1  # refused outright, not asked again


def test_a_hung_model_is_given_up_on_at_the_deadline(
        stub: OpenAIStub, demo_store_dir: Path, local_embedder: Any) -> None:
    stub.reset()
    stub.chat.enqueue(Delay(3600))
    agent = llm_agent(demo_store_dir, local_embedder, adapter(stub), llm_deadline_s=1.0)
    started = time.monotonic()
    decision = agent.handle(Inquiry(text=QUESTION))
    assert time.monotonic() - started < 5  # not the 30 s HTTP timeout, let alone 60 s
    assert "llm_fallback" in decision.flags and decision.action == "answer"
    stub.reset()  # ends the delay


def test_past_the_deadline_the_policy_may_escalate_instead(
        stub: OpenAIStub, demo_store_dir: Path, local_embedder: Any) -> None:
    stub.reset()
    stub.chat.enqueue(Delay(3600))
    agent = llm_agent(demo_store_dir, local_embedder, adapter(stub), llm_deadline_s=1.0)
    agent.policy.spec = agent.policy.spec.model_copy(update={"on_llm_failure": "escalate"})
    decision = agent.handle(Inquiry(text=QUESTION_JA))
    assert decision.escalation is not None
    assert decision.escalation.reason == ReasonCode.LLM_UNAVAILABLE
    assert "within 1 s" in decision.escalation.detail
    stub.reset()


def test_the_deadline_is_a_setting_of_20_seconds_by_default() -> None:
    assert load_settings(_env_file=None).llm_deadline_s == 20.0


def test_the_api_stores_no_more_than_the_limits(
        stub: OpenAIStub, demo_store_dir: Path, local_embedder: Any, tmp_path: Path) -> None:
    stub.reset()
    stub.chat.enqueue(*[ReplyJSON(verdict(answer=HUGE))] * 3)
    agent = llm_agent(demo_store_dir, local_embedder, adapter(stub))
    with client_for(f"sqlite:///{tmp_path / 'kotae.sqlite3'}", agent=agent) as client:
        for _ in range(3):
            result = ask(client, QUESTION)
            assert result["status"] == "answered" and len(result["decision"]["answer"]) < 5_000
        with services_of(client).db.session() as session:
            decisions = session.scalar(select(func.sum(func.length(
                func.json_extract(InquiryRow.decision, "$")))))
            messages = session.scalar(select(func.sum(func.length(MessageRow.text))))
    assert decisions < 100_000 and messages < 50_000
    assert (tmp_path / "kotae.sqlite3").stat().st_size < 2_000_000


class Verbose(FakeAgent):
    """The fake agent, with a draft, a detail and (for "long") an answer over every limit."""

    def handle(self, inquiry: Inquiry, **kwargs: Any) -> Decision:
        decision = super().handle(inquiry, **kwargs)
        if "long" in inquiry.text:
            return decision.model_copy(update={"answer": "Step. " * 10_000})
        return decision.model_copy(update={"action": "escalate", "escalation": Escalation(
            reason=ReasonCode.HUMAN_REQUESTED, detail="why " * 5_000, draft="Draft. " * 10_000)})


def test_an_answer_over_the_limit_goes_to_a_person_and_drafts_are_cut(db_url: str) -> None:
    with client_for(db_url, agent=Verbose()) as client:
        answered = ask(client, "a long answer please", role="admin")
        escalated = ask(client, "how do I invite people?", role="admin")
        detail = client.get(f"/v1/escalations/{escalated['escalation_id']}",
                            headers=auth("agent")).json()
    assert answered["status"] == "escalated"
    assert "answer_too_long" in answered["decision"]["flags"]
    assert "60,000 characters, over the limit of 20,000" in \
        answered["decision"]["escalation"]["detail"]
    assert len(detail["draft"]) == MAX_DRAFT_CHARS and detail["draft"].endswith(
        "[… cut: 70,000 characters, over the limit of 20,000]")
    assert len(detail["detail"]) == MAX_DETAIL_CHARS
    assert len(json.dumps(detail)) < 3 * MAX_ANSWER_CHARS
