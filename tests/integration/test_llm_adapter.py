"""The real OpenAI adapter against a real HTTP server speaking the OpenAI protocol on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal
from uuid import UUID

import openai
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, SecretStr

from agent.llm import (
    ChatMessage,
    LLMConnectionError,
    LLMInvalidOutput,
    LLMRateLimited,
    LLMRequestError,
    LLMServerError,
    LLMTimeout,
    OpenAIChatModel,
)
from errors import ModelError
from retrieval.tokens import count_tokens
from tests.support.openai_stub import (
    DEFAULT_TEXT,
    BrokenStream,
    Delay,
    NotJSON,
    OpenAIStub,
    Reply,
    ReplyJSON,
    Status,
)

pytestmark = pytest.mark.integration

API_KEY = "sk-test-kotae"
MESSAGES = [
    ChatMessage(role="system", content="You answer from the knowledge base."),
    ChatMessage(role="user", content="How do I export my data as CSV?"),
]
PROMPT_TOKENS = sum(count_tokens(m.content) for m in MESSAGES)


class Verdict(BaseModel):
    tag: Literal["bug", "usage_question", "success_opportunity"]
    confidence: float


@pytest.fixture(scope="module")
def running_stub() -> Iterator[OpenAIStub]:
    with OpenAIStub(api_key=API_KEY) as stub:
        yield stub


@pytest.fixture
def stub(running_stub: OpenAIStub) -> Iterator[OpenAIStub]:
    running_stub.reset()
    yield running_stub
    # Every scripted behaviour must have been used, or the test did not exercise what it says.
    assert running_stub.chat.pending == 0


def make_model(stub: OpenAIStub, **overrides: Any) -> OpenAIChatModel:
    settings: dict[str, Any] = {
        "api_key": SecretStr(API_KEY),
        "base_url": stub.base_url,
        "timeout": 5.0,
        "max_retries": 2,
    }
    settings.update(overrides)
    return OpenAIChatModel("gpt-4o-mini", **settings)


@pytest.fixture
def model(stub: OpenAIStub) -> OpenAIChatModel:
    return make_model(stub)


def cost(prompt: int, completion: int) -> float:
    return (prompt * 0.15 + completion * 0.60) / 1_000_000  # gpt-4o-mini


def test_a_plain_completion_returns_text_usage_and_cost(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    reply = model.complete(MESSAGES, flow="answer", prompt_version="answer-v1")

    completion = count_tokens(DEFAULT_TEXT)
    assert reply.text == DEFAULT_TEXT
    assert reply.usage.prompt_tokens == PROMPT_TOKENS
    assert reply.usage.completion_tokens == completion
    assert reply.usage.cost_usd == pytest.approx(cost(PROMPT_TOKENS, completion))
    assert reply.usage.model == "gpt-4o-mini"


def test_the_request_carries_model_key_messages_and_temperature_zero(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    model.complete(MESSAGES, flow="answer", prompt_version="answer-v1")

    [request] = stub.chat.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["temperature"] == 0
    assert request.messages == [{"role": m.role, "content": m.content} for m in MESSAGES]


def test_streamed_deltas_arrive_in_order_and_add_up_to_the_text(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    text = "Open Settings, choose Export, then pick CSV."
    stub.chat.enqueue(Reply(text))
    tokens: list[str] = []

    reply = model.complete(MESSAGES, flow="answer", prompt_version="v1", on_token=tokens.append)

    assert tokens == ["Open ", "Settings, ", "choose ", "Export, ", "then ", "pick ", "CSV."]
    assert "".join(tokens) == reply.text == text
    # Usage comes from the stream's final chunk, which the adapter must ask for.
    assert stub.chat.requests[0].body["stream_options"] == {"include_usage": True}
    assert reply.usage.prompt_tokens == PROMPT_TOKENS
    assert reply.usage.completion_tokens == count_tokens(text)


def test_structured_output_is_requested_by_json_schema_and_parsed(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    stub.chat.enqueue(ReplyJSON({"tag": "usage_question", "confidence": 0.82}))

    reply = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="tag-v2")

    assert reply.parsed == Verdict(tag="usage_question", confidence=0.82)
    assert reply.usage.completion_tokens == count_tokens(reply.text)
    response_format = stub.chat.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Verdict"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["properties"]["tag"]["enum"] == [
        "bug",
        "usage_question",
        "success_opportunity",
    ]


def test_json_mode_sends_no_schema_and_still_validates(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    stub.chat.enqueue(ReplyJSON({"tag": "usage_question", "confidence": 0.82}),
                      ReplyJSON({"tag": "refund", "confidence": 0.5}),
                      ReplyJSON({"tag": "bug", "confidence": 0.9}))

    reply = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="tag-v2",
                                      strict_schema=False)
    assert reply.parsed == Verdict(tag="usage_question", confidence=0.82)
    assert stub.chat.requests[0].body["response_format"] == {"type": "json_object"}
    # the stub bills a schema with the prompt; JSON mode sends none
    assert reply.usage.prompt_tokens == PROMPT_TOKENS
    retried = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="tag-v2",
                                        strict_schema=False)
    assert retried.parsed == Verdict(tag="bug", confidence=0.9)  # a bad tag was sent back once
    assert len(stub.chat.requests) == 3


def test_invalid_structured_output_is_retried_once_with_the_error_then_fails_closed(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    stub.chat.enqueue(ReplyJSON({"tag": "feature_request", "confidence": 0.9}), Reply("no idea"))

    with pytest.raises(LLMInvalidOutput) as caught:
        model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    first, second = stub.chat.requests
    assert second.messages[:2] == first.messages
    assert second.messages[2] == {
        "role": "assistant",
        "content": '{"tag": "feature_request", "confidence": 0.9}',
    }
    assert second.messages[3]["role"] == "user"
    assert (
        "tag: Input should be 'bug', 'usage_question' or 'success_opportunity'"
        in (second.messages[3]["content"])
    )
    assert caught.value.raw == "no idea"
    assert "Invalid JSON" in caught.value.validation_error
    assert caught.value.usage is not None
    assert caught.value.usage.prompt_tokens == first.prompt_tokens + second.prompt_tokens


def test_a_corrected_structured_reply_succeeds_with_both_attempts_counted(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    stub.chat.enqueue(Reply("```json\n{}\n```"), ReplyJSON({"tag": "bug", "confidence": 0.7}))

    reply = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    assert reply.parsed == Verdict(tag="bug", confidence=0.7)
    assert reply.usage.prompt_tokens == sum(r.prompt_tokens for r in stub.chat.requests)


def test_a_429_is_retried_and_the_call_succeeds(stub: OpenAIStub, model: OpenAIChatModel) -> None:
    stub.chat.enqueue(Status.rate_limited(), Reply("after the limit"))

    assert model.complete(MESSAGES, flow="answer", prompt_version="v1").text == "after the limit"
    assert len(stub.chat.requests) == 2


def test_persistent_429_becomes_llm_rate_limited(stub: OpenAIStub) -> None:
    stub.chat.enqueue(Status.rate_limited(), Status.rate_limited())

    with pytest.raises(LLMRateLimited):
        make_model(stub, max_retries=1).complete(MESSAGES, flow="answer", prompt_version="v1")
    assert len(stub.chat.requests) == 2


def test_a_500_is_retried_and_the_call_succeeds(stub: OpenAIStub, model: OpenAIChatModel) -> None:
    stub.chat.enqueue(Status.server_error(), Reply("after the outage"))

    assert model.complete(MESSAGES, flow="answer", prompt_version="v1").text == "after the outage"
    assert len(stub.chat.requests) == 2


def test_persistent_5xx_becomes_llm_server_error_after_bounded_retries(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    stub.chat.enqueue(*[Status.server_error(503)] * 3)

    with pytest.raises(LLMServerError, match="HTTP 503"):
        model.complete(MESSAGES, flow="answer", prompt_version="v1")
    assert len(stub.chat.requests) == 3  # the first try and max_retries=2


def test_a_reply_slower_than_the_timeout_becomes_llm_timeout(stub: OpenAIStub) -> None:
    stub.chat.enqueue(Delay(2.0), Delay(2.0))
    model = make_model(stub, timeout=0.5, max_retries=1)

    started = time.monotonic()
    with pytest.raises(LLMTimeout):
        model.complete(MESSAGES, flow="answer", prompt_version="v1")

    assert len(stub.chat.requests) == 2  # timeouts are retried like 5xx
    assert time.monotonic() - started < 3.0  # waiting out both delays would take 4 s


@pytest.mark.parametrize("content_type", ["application/json", "text/html"])
@pytest.mark.parametrize("structured", [False, True])
def test_a_body_that_is_not_json_is_a_model_error_not_a_crash(
    stub: OpenAIStub, model: OpenAIChatModel, content_type: str, structured: bool
) -> None:
    stub.chat.enqueue(NotJSON(content_type=content_type))

    with pytest.raises(ModelError) as caught:
        if structured:
            model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")
        else:
            model.complete(MESSAGES, flow="answer", prompt_version="v1")
    assert isinstance(caught.value, LLMInvalidOutput)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("invalid_json", LLMInvalidOutput),
        ("cut", LLMConnectionError),
        ("no_done", LLMInvalidOutput),
    ],
)
def test_a_broken_stream_is_a_model_error_after_the_deltas_that_did_arrive(
    stub: OpenAIStub,
    model: OpenAIChatModel,
    mode: Literal["invalid_json", "cut", "no_done"],
    error: type[ModelError],
) -> None:
    stub.chat.enqueue(BrokenStream(mode, text="This answer stops"))
    tokens: list[str] = []

    with pytest.raises(error):
        model.complete(MESSAGES, flow="answer", prompt_version="v1", on_token=tokens.append)
    assert "".join(tokens) == "This answer stops"


def test_an_error_raised_by_on_token_reaches_the_caller_unchanged(
    stub: OpenAIStub, model: OpenAIChatModel
) -> None:
    def client_went_away(token: str) -> None:
        raise ValueError("the widget closed the connection")

    with pytest.raises(ValueError, match="widget closed"):
        model.complete(MESSAGES, flow="answer", prompt_version="v1", on_token=client_went_away)


def test_a_wrong_key_is_a_request_error_and_is_not_retried(stub: OpenAIStub) -> None:
    with pytest.raises(LLMRequestError, match="HTTP 401"):
        make_model(stub, api_key="sk-wrong").complete(MESSAGES, flow="answer", prompt_version="v1")
    assert len(stub.chat.requests) == 1


class RunRecorder(BaseCallbackHandler):
    """Keep what LangChain reports at the start of each chat-model run."""

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.starts.append({"tags": tags, "metadata": metadata, "name": kwargs.get("name")})


def test_each_call_is_tagged_with_flow_model_and_prompt_version(stub: OpenAIStub) -> None:
    recorder = RunRecorder()
    model = make_model(stub, callbacks=[recorder])

    model.complete(MESSAGES, flow="answer", prompt_version="answer-v3")

    [start] = recorder.starts
    assert start["name"] == "kotae.answer"
    assert {"flow:answer", "model:gpt-4o-mini", "prompt_version:answer-v3"} <= set(start["tags"])
    assert start["metadata"]["flow"] == "answer"
    assert start["metadata"]["prompt_version"] == "answer-v3"
    assert start["metadata"]["model"] == "gpt-4o-mini"


def test_the_stub_adds_its_configured_latency(stub: OpenAIStub, model: OpenAIChatModel) -> None:
    stub.latency = 0.3

    started = time.monotonic()
    model.complete(MESSAGES, flow="answer", prompt_version="v1")

    assert time.monotonic() - started >= 0.3


def test_the_stub_serves_deterministic_embeddings(stub: OpenAIStub) -> None:
    client = openai.OpenAI(api_key=API_KEY, base_url=stub.base_url, max_retries=0)

    # The client asks for base64 unless told otherwise; the stub serves both encodings.
    first = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    again = client.embeddings.create(
        model="text-embedding-3-small", input="alpha", encoding_format="float"
    )
    small = client.embeddings.create(model="text-embedding-3-small", input="alpha", dimensions=8)

    assert [len(d.embedding) for d in first.data] == [1536, 1536]
    assert again.data[0].embedding == pytest.approx(first.data[0].embedding, abs=1e-6)
    assert first.data[0].embedding != pytest.approx(first.data[1].embedding, abs=1e-6)
    assert len(small.data[0].embedding) == 8
    assert sum(x * x for x in small.data[0].embedding) == pytest.approx(1.0, abs=1e-5)
    assert first.usage.prompt_tokens == count_tokens("alpha") + count_tokens("beta")
    assert stub.embeddings.requests[0].body["model"] == "text-embedding-3-small"
