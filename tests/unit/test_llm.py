"""The model layer without a server: the scripted fake, the retry-once contract, prices."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import pytest
from pydantic import BaseModel

from agent.llm import (
    RETRY_INSTRUCTION,
    ChatMessage,
    ChatModel,
    LLMInvalidOutput,
    LLMTimeout,
    ModelPrice,
    ModelReply,
    OpenAIChatModel,
    PriceTable,
    ScriptedModel,
    ScriptedModelExhaustedError,
    add_usage,
    complete_structured_with_retry,
)
from agent.types import Usage
from errors import ConfigError, ModelError
from retrieval.tokens import count_tokens

MESSAGES = [
    ChatMessage(role="system", content="You triage support inquiries."),
    ChatMessage(role="user", content="The CSV export crashes since yesterday."),
]


class Verdict(BaseModel):
    tag: Literal["bug", "usage_question", "success_opportunity"]
    confidence: float


def prompt_tokens(messages: Sequence[ChatMessage]) -> int:
    return sum(count_tokens(m.content) for m in messages)


def confident(verdict: Verdict) -> None:
    if verdict.confidence < 0.5:
        raise ValueError("confidence must be at least 0.5 when you choose a tag")


# -- ScriptedModel ---------------------------------------------------------------------------


def test_scripted_model_returns_queued_text_and_records_the_call() -> None:
    model: ChatModel = ScriptedModel("Try Settings > Export.")
    reply = model.complete(MESSAGES, flow="answer", prompt_version="answer-v1")

    assert reply.text == "Try Settings > Export."
    assert reply.parsed is None
    assert isinstance(model, ScriptedModel)
    assert model.history == [MESSAGES]
    assert model.calls == [("answer", "answer-v1")]
    assert model.pending == 0


def test_scripted_model_counts_tokens_with_tiktoken_and_prices_them() -> None:
    model = ScriptedModel("Open Settings, then Export.", name="gpt-4o-mini")
    reply = model.complete(MESSAGES, flow="answer", prompt_version="v1")

    prompt = prompt_tokens(MESSAGES)
    completion = count_tokens("Open Settings, then Export.")
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (prompt, completion)
    assert reply.usage.model == "gpt-4o-mini"
    assert reply.usage.cost_usd == pytest.approx((prompt * 0.15 + completion * 0.60) / 1e6)


def test_scripted_model_raises_a_queued_exception_after_recording_the_call() -> None:
    model = ScriptedModel(LLMTimeout("too slow"), "second answer")

    with pytest.raises(LLMTimeout):
        model.complete(MESSAGES, flow="answer", prompt_version="v1")
    assert model.complete(MESSAGES, flow="answer", prompt_version="v1").text == "second answer"
    assert len(model.history) == 2


def test_an_empty_queue_is_a_test_bug_not_a_model_error() -> None:
    model = ScriptedModel()

    with pytest.raises(ScriptedModelExhaustedError, match="flow='tag'") as caught:
        model.complete(MESSAGES, flow="tag", prompt_version="v1")
    # An AssertionError, so no fallback for model errors can swallow it.
    assert isinstance(caught.value, AssertionError)
    assert not isinstance(caught.value, ModelError)


def test_scripted_model_streams_word_by_word_in_order() -> None:
    text = "Open  Settings,\nthen click Export. "
    tokens: list[str] = []
    reply = ScriptedModel(text).complete(
        MESSAGES, flow="answer", prompt_version="v1", on_token=tokens.append
    )

    assert tokens == ["Open  ", "Settings,\n", "then ", "click ", "Export. "]
    assert "".join(tokens) == reply.text == text


def test_scripted_model_refuses_outcomes_it_cannot_play() -> None:
    with pytest.raises(TypeError):
        ScriptedModel().enqueue(42)  # type: ignore[arg-type]  # the point of the test


def test_dict_and_model_outcomes_become_parsed_structured_replies() -> None:
    model = ScriptedModel({"tag": "bug", "confidence": 0.9}, Verdict(tag="bug", confidence=0.8))

    first = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")
    second = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    assert first.parsed == Verdict(tag="bug", confidence=0.9)
    assert second.parsed == Verdict(tag="bug", confidence=0.8)
    assert first.usage.completion_tokens == count_tokens(first.text)
    assert len(model.history) == 2  # no retries


# -- the retry-once contract -----------------------------------------------------------------


def test_invalid_output_is_retried_once_with_the_validation_error() -> None:
    model = ScriptedModel(
        {"tag": "feature_request", "confidence": 0.9}, '{"tag": "bug", "confidence": 0.7}'
    )

    reply = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    assert reply.parsed == Verdict(tag="bug", confidence=0.7)
    assert reply.text == '{"tag": "bug", "confidence": 0.7}'
    retry = model.history[1]
    assert retry[:2] == MESSAGES
    assert retry[2] == ChatMessage(
        role="assistant", content='{"tag": "feature_request", "confidence": 0.9}'
    )
    assert retry[3].role == "user"
    assert "tag: Input should be 'bug', 'usage_question' or 'success_opportunity'" in (
        retry[3].content
    )
    assert model.calls == [("tag", "v1"), ("tag", "v1")]


def test_usage_of_both_attempts_is_summed() -> None:
    bad, good = "not json at all", '{"tag": "bug", "confidence": 0.7}'
    model = ScriptedModel(bad, good, name="gpt-4o")

    reply = model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    prompt = prompt_tokens(model.history[0]) + prompt_tokens(model.history[1])
    completion = count_tokens(bad) + count_tokens(good)
    assert reply.usage.prompt_tokens == prompt
    assert reply.usage.completion_tokens == completion
    assert reply.usage.cost_usd == pytest.approx((prompt * 2.50 + completion * 10.00) / 1e6)


def test_output_invalid_twice_raises_llm_invalid_output_with_the_evidence() -> None:
    model = ScriptedModel("Sure! Here is the JSON:", '{"tag": "bug"}')

    with pytest.raises(LLMInvalidOutput) as caught:
        model.complete_structured(MESSAGES, Verdict, flow="tag", prompt_version="v1")

    error = caught.value
    assert error.raw == '{"tag": "bug"}'
    assert error.validation_error == "confidence: Field required"
    assert error.usage is not None
    assert error.usage.completion_tokens == count_tokens("Sure! Here is the JSON:") + count_tokens(
        '{"tag": "bug"}'
    )
    assert "Invalid JSON" in model.history[1][3].content
    assert len(model.history) == 2  # once, not more
    assert model.pending == 0


def test_a_failing_validator_is_retried_with_its_own_message() -> None:
    model = ScriptedModel({"tag": "bug", "confidence": 0.2}, {"tag": "bug", "confidence": 0.9})

    reply = model.complete_structured(
        MESSAGES, Verdict, flow="tag", prompt_version="v1", validate=confident
    )

    assert reply.parsed == Verdict(tag="bug", confidence=0.9)
    assert model.history[1][3].content == RETRY_INSTRUCTION.format(
        error="confidence must be at least 0.5 when you choose a tag"
    )


def test_a_validator_that_keeps_failing_ends_in_llm_invalid_output() -> None:
    model = ScriptedModel({"tag": "bug", "confidence": 0.2}, {"tag": "bug", "confidence": 0.1})

    with pytest.raises(LLMInvalidOutput, match=r"at least 0\.5") as caught:
        model.complete_structured(
            MESSAGES, Verdict, flow="tag", prompt_version="v1", validate=confident
        )
    assert caught.value.validation_error == "confidence must be at least 0.5 when you choose a tag"


def test_model_errors_during_an_attempt_are_not_retried_by_the_contract() -> None:
    calls: list[Sequence[ChatMessage]] = []

    def attempt(messages: Sequence[ChatMessage]) -> ModelReply[None]:
        calls.append(messages)
        raise LLMTimeout("too slow")

    with pytest.raises(LLMTimeout):
        complete_structured_with_retry(attempt, MESSAGES, Verdict)
    assert len(calls) == 1


def test_the_contract_is_shared_by_any_attempt_function() -> None:
    replies = iter(["[]", '{"tag": "usage_question", "confidence": 1}'])

    def attempt(messages: Sequence[ChatMessage]) -> ModelReply[None]:
        return ModelReply(next(replies), None, Usage(prompt_tokens=10, completion_tokens=2))

    reply = complete_structured_with_retry(attempt, MESSAGES, Verdict)

    assert reply.parsed == Verdict(tag="usage_question", confidence=1.0)
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (20, 4)


# -- logging ---------------------------------------------------------------------------------


def test_each_call_logs_one_line_with_sizes_but_not_text(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel("Your invoice is at billing@example.com", name="gpt-4o-mini")

    with caplog.at_level(logging.INFO, logger="agent.llm"):
        model.complete(MESSAGES, flow="answer", prompt_version="answer-v3")

    [record] = [r for r in caplog.records if r.name == "agent.llm"]
    line = record.getMessage()
    assert "flow=answer model=gpt-4o-mini prompt_version=answer-v3" in line
    assert f"prompt_tokens={prompt_tokens(MESSAGES)}" in line
    assert "CSV export" not in line
    assert "billing@example.com" not in line


# -- prices ----------------------------------------------------------------------------------


def test_default_prices_are_per_million_tokens() -> None:
    prices = PriceTable()

    # 1,000 x 0.15 / 1M + 500 x 0.60 / 1M = 0.00015 + 0.00030
    assert prices.cost("gpt-4o-mini", 1_000, 500) == pytest.approx(0.00045)
    # 2M x 2.00 / 1M + 1M x 8.00 / 1M = 4 + 8
    assert prices.cost("gpt-4.1", 2_000_000, 1_000_000) == pytest.approx(12.0)
    # 10,000 x 2.50 / 1M + 2,000 x 10.00 / 1M = 0.025 + 0.02
    assert prices.cost("gpt-4o", 10_000, 2_000) == pytest.approx(0.045)
    # 1M x 0.40 / 1M + 0
    assert prices.cost("gpt-4.1-mini", 1_000_000, 0) == pytest.approx(0.40)


def test_dated_snapshots_cost_what_their_model_costs() -> None:
    assert PriceTable().cost("gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert PriceTable().price("gpt-4o-mini-preview") is None


def test_an_unknown_model_costs_nothing_but_its_usage_is_kept() -> None:
    usage = PriceTable().usage("llama-3-70b", 1_200, 300)

    assert usage == Usage(
        prompt_tokens=1_200, completion_tokens=300, cost_usd=0.0, model="llama-3-70b"
    )


def test_a_price_table_loads_from_a_dict_over_the_defaults() -> None:
    prices = PriceTable.from_dict(
        {
            "gpt-4o-mini": {"input_per_1m": 0.10, "output_per_1m": 0.40},
            "local-llm": {"input_per_1m": 0, "output_per_1m": 0.01},
        }
    )

    assert prices.price("gpt-4o-mini") == ModelPrice(input_per_1m=0.10, output_per_1m=0.40)
    assert prices.cost("local-llm", 5_000, 1_000_000) == pytest.approx(0.01)
    assert prices.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.50)  # default kept
    assert PriceTable.from_dict({}, include_defaults=False).price("gpt-4o") is None


def test_a_bad_price_entry_is_a_config_error_that_names_the_model() -> None:
    with pytest.raises(ConfigError, match=r"'gpt-x'.*input_per_1m"):
        PriceTable.from_dict({"gpt-x": {"input_per_1m": -1, "output_per_1m": 1}})
    with pytest.raises(ConfigError, match="output_per_1m: Field required"):
        PriceTable.from_dict({"gpt-x": {"input_per_1m": 1}})


def test_usage_adds_up() -> None:
    total = add_usage(
        Usage(prompt_tokens=10, completion_tokens=5, cost_usd=0.5, model="m"),
        Usage(prompt_tokens=1, completion_tokens=2, cost_usd=0.25, model="m"),
    )
    assert total == Usage(prompt_tokens=11, completion_tokens=7, cost_usd=0.75, model="m")


# -- adapter settings (checked before anything is imported or connected) ---------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_key": ""}, "API key is empty"),
        ({"api_key": "sk-test", "timeout": 0}, "timeout must be positive"),
        ({"api_key": "sk-test", "max_retries": 50}, "max_retries must be between 0 and 5"),
    ],
)
def test_unsafe_adapter_settings_fail_at_construction(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        OpenAIChatModel("gpt-4o-mini", **kwargs)  # type: ignore[arg-type]  # deliberately loose
