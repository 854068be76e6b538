"""The chat-model layer the agent calls in LLM mode: a small protocol, the OpenAI adapter, a fake.

`ChatModel` is all the agent sees. `OpenAIChatModel` speaks to any OpenAI-compatible endpoint
through LangChain's `ChatOpenAI`; `ScriptedModel` returns or raises queued outcomes for tests.
Both share `complete_structured_with_retry`, so "retry once with the validation error, then
fail closed" is implemented and tested once.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from agent.types import Usage
from errors import ConfigError, KotaeError, ModelError
from retrieval.tokens import count_tokens

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import BaseMessage
    from langchain_core.messages.ai import UsageMetadata
    from langchain_core.runnables import RunnableConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
Role = Literal["system", "user", "assistant"]

MAX_RETRIES_LIMIT = 5  # HTTP-level retries per call; more only delays the offline fallback
#: Completion tokens a call may spend (sent as the request's token limit) unless told otherwise.
DEFAULT_MAX_TOKENS = 1024
#: The longest reply accepted, in characters. A reply within the token limit is far shorter
#: (a token is a few characters); a longer one comes from an endpoint that ignored the limit,
#: and is refused (LLMInvalidOutput: the agent falls back) instead of stored and shown.
MAX_REPLY_CHARS = 20_000
RETRY_INSTRUCTION = (
    "Your previous reply could not be used: {error}\n"
    "Reply again with only a JSON object that matches the requested schema, and no other text."
)


class ChatMessage(BaseModel):
    """One message of a conversation with a chat model."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


@dataclass(frozen=True)
class ModelReply(Generic[T]):
    """What a model call produced: its text, the parsed object (structured calls) and usage."""

    text: str
    parsed: T | None
    usage: Usage


# -- errors ---------------------------------------------------------------------------------


class LLMError(ModelError):
    """A chat model failed; the agent falls back or escalates with `llm_unavailable`."""

    code = "llm_error"


class LLMTimeout(LLMError):  # noqa: N818 - name fixed by the agent's contract
    """The model did not answer within the timeout."""

    code = "llm_timeout"


class LLMRateLimited(LLMError):  # noqa: N818 - name fixed by the agent's contract
    """The endpoint kept answering 429 after the bounded retries."""

    code = "llm_rate_limited"


class LLMServerError(LLMError):
    """The endpoint kept answering 5xx, or reported an error mid-stream."""

    code = "llm_server_error"


class LLMConnectionError(LLMError):
    """The endpoint could not be reached, or dropped the connection."""

    code = "llm_connection_error"


class LLMRequestError(LLMError):
    """The endpoint rejected the request (4xx other than 429): key, model name or payload."""

    code = "llm_request_rejected"


class LLMInvalidOutput(LLMError):  # noqa: N818 - name fixed by the agent's contract
    """The model's reply could not be parsed or failed validation, even after one retry."""

    code = "llm_invalid_output"

    def __init__(
        self,
        detail: str,
        *,
        raw: str = "",
        validation_error: str = "",
        usage: Usage | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(detail, hint=hint)
        self.raw = raw
        self.validation_error = validation_error
        self.usage = usage  # what the failed attempts cost, so spending is still accounted


# -- prices and usage -----------------------------------------------------------------------


class ModelPrice(BaseModel):
    """USD per million input and output tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_1m: float = Field(ge=0)
    output_per_1m: float = Field(ge=0)


DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input_per_1m=0.15, output_per_1m=0.60),
    "gpt-4o": ModelPrice(input_per_1m=2.50, output_per_1m=10.00),
    "gpt-4.1-mini": ModelPrice(input_per_1m=0.40, output_per_1m=1.60),
    "gpt-4.1": ModelPrice(input_per_1m=2.00, output_per_1m=8.00),
}
_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")  # e.g. gpt-4o-mini-2024-07-18


class PriceTable:
    """Token prices per model name; an unknown model costs 0.0."""

    def __init__(self, prices: Mapping[str, ModelPrice] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, include_defaults: bool = True) -> PriceTable:
        """Build a table from `{model: {input_per_1m, output_per_1m}}`, over the defaults."""
        prices = dict(DEFAULT_PRICES) if include_defaults else {}
        for model, entry in data.items():
            try:
                prices[str(model)] = ModelPrice.model_validate(entry)
            except ValidationError as error:
                raise ConfigError(
                    f"The price for model {model!r} is invalid: {_describe(error)}.",
                    hint="Give input_per_1m and output_per_1m in USD per million tokens.",
                ) from error
        return cls(prices)

    def price(self, model: str) -> ModelPrice | None:
        """Return the price of a model, matching dated snapshots to their base name."""
        if model in self._prices:
            return self._prices[model]
        snapshot = _SNAPSHOT.match(model)
        return self._prices.get(snapshot["base"]) if snapshot else None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """Return the USD cost of a call."""
        price = self.price(model)
        if price is None:
            return 0.0
        return (
            prompt_tokens * price.input_per_1m + completion_tokens * price.output_per_1m
        ) / 1_000_000

    def usage(self, model: str, prompt_tokens: int, completion_tokens: int) -> Usage:
        """Return a Usage record with its cost."""
        return Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=self.cost(model, prompt_tokens, completion_tokens),
            model=model,
        )


def add_usage(first: Usage, second: Usage) -> Usage:
    """Sum two usage records."""
    return Usage(
        prompt_tokens=first.prompt_tokens + second.prompt_tokens,
        completion_tokens=first.completion_tokens + second.completion_tokens,
        cost_usd=first.cost_usd + second.cost_usd,
        model=first.model or second.model,
    )


# -- the protocol and the shared structured-output contract ---------------------------------


class ChatModel(Protocol):
    """A chat model as the agent uses it."""

    name: str

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        flow: str,
        prompt_version: str,
        on_token: Callable[[str], None] | None = None,
    ) -> ModelReply[None]:
        """Generate free text; stream each text delta to on_token when it is given."""
        ...

    def complete_structured(
        self,
        messages: Sequence[ChatMessage],
        schema: type[S],
        *,
        flow: str,
        prompt_version: str,
        validate: Callable[[S], None] | None = None,
        strict_schema: bool = True,
    ) -> ModelReply[S]:
        """Generate a JSON object matching schema; retry once on invalid output, then raise.

        With strict_schema the model is constrained by the JSON schema (OpenAI structured
        outputs); without it only JSON mode is requested and the prompt must describe the
        shape, which costs far fewer prompt tokens than the schema. Either way the reply is
        validated against schema.
        """
        ...


class _Rejected(Exception):  # noqa: N818 - internal signal, never escapes this module
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse_structured(text: str, schema: type[S], validate: Callable[[S], None] | None) -> S:
    try:
        parsed = schema.model_validate_json(text)
    except ValidationError as error:
        raise _Rejected(_describe(error)) from error
    if validate is not None:
        try:
            validate(parsed)
        except ValidationError as error:
            raise _Rejected(_describe(error)) from error
        except ValueError as error:  # the validator's message is written for the model
            raise _Rejected(str(error)) from error
    return parsed


def complete_structured_with_retry(
    attempt: Callable[[Sequence[ChatMessage]], ModelReply[None]],
    messages: Sequence[ChatMessage],
    schema: type[S],
    validate: Callable[[S], None] | None = None,
) -> ModelReply[S]:
    """Call attempt, and once more with the validation error if its reply is unusable."""
    first = attempt(messages)
    try:
        return ModelReply(first.text, _parse_structured(first.text, schema, validate), first.usage)
    except _Rejected as rejected:
        retry = [
            *messages,
            ChatMessage(role="assistant", content=first.text),
            ChatMessage(role="user", content=RETRY_INSTRUCTION.format(error=rejected.reason)),
        ]
    second = attempt(retry)
    usage = add_usage(first.usage, second.usage)
    try:
        return ModelReply(second.text, _parse_structured(second.text, schema, validate), usage)
    except _Rejected as rejected:
        raise LLMInvalidOutput(
            f"The model's {schema.__name__} output was invalid twice: {rejected.reason}",
            raw=second.text,
            validation_error=rejected.reason,
            usage=usage,
        ) from None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "reply"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


# -- logging: one line per model call, sizes and timing only (no text, no PII) ---------------


@dataclass
class _CallRecord:
    reply: ModelReply[Any] | None = None
    notes: dict[str, object] = field(default_factory=dict)


@contextmanager
def _logged_call(
    model: str, flow: str, prompt_version: str, kind: str, messages: Sequence[ChatMessage]
) -> Iterator[_CallRecord]:
    record = _CallRecord()
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield record
    except KotaeError as error:
        outcome = error.code
        raise
    except Exception as error:
        outcome = type(error).__name__
        raise
    finally:
        usage = record.reply.usage if record.reply else Usage()
        extra = "".join(f" {k}={v}" for k, v in record.notes.items())
        logger.info(
            "llm call flow=%s model=%s prompt_version=%s kind=%s outcome=%s messages=%d "
            "prompt_chars=%d reply_chars=%d prompt_tokens=%d completion_tokens=%d "
            "cost_usd=%.6f latency_ms=%.0f%s",
            flow,
            model,
            prompt_version,
            kind,
            outcome,
            len(messages),
            sum(len(m.content) for m in messages),
            len(record.reply.text) if record.reply else 0,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cost_usd,
            (time.perf_counter() - started) * 1000,
            extra,
        )


def _counted_usage(
    prices: PriceTable, model: str, messages: Sequence[ChatMessage], text: str
) -> Usage:
    # Message contents only, no per-message overhead: the OpenAI stub counts the same way.
    prompt = sum(count_tokens(m.content) for m in messages)
    return prices.usage(model, prompt, count_tokens(text))


def _bounded(text: str, limit: int) -> str:
    """Return a reply within the length limit, or raise LLMInvalidOutput saying it was not."""
    if len(text) > limit:
        raise LLMInvalidOutput(
            f"The model's reply was {len(text):,} characters, over the limit of {limit:,}.",
            raw=text[:200],
            hint="Check that the endpoint honours the completion token limit.")
    return text


def _split_words(text: str) -> list[str]:
    # Words keep their trailing whitespace, so the pieces join back into the text exactly.
    return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]


# -- the OpenAI adapter ---------------------------------------------------------------------


class OpenAIChatModel:
    """A ChatModel on any OpenAI-compatible chat-completions endpoint, via LangChain."""

    def __init__(
        self,
        model: str,
        *,
        api_key: SecretStr | str,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        prices: PriceTable | None = None,
        callbacks: Sequence[BaseCallbackHandler] = (),
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_reply_chars: int = MAX_REPLY_CHARS,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not model:
            raise ConfigError("The chat model name is empty.", hint="Set the model name.")
        if not key:
            raise ConfigError("The OpenAI API key is empty.", hint="Set OPENAI_API_KEY.")
        if timeout <= 0:
            raise ConfigError(f"The model timeout must be positive, not {timeout}.")
        if not 0 <= max_retries <= MAX_RETRIES_LIMIT:
            raise ConfigError(
                f"max_retries must be between 0 and {MAX_RETRIES_LIMIT}, not {max_retries}."
            )
        if max_tokens < 1 or max_reply_chars < 1:
            raise ConfigError(
                f"max_tokens ({max_tokens}) and max_reply_chars ({max_reply_chars}) must be "
                "positive.")
        # Imported here, not at the top: langchain-openai takes seconds to import and the
        # offline mode and unit tests never need it.
        from langchain_openai import ChatOpenAI

        self.name = model
        self._prices = prices or PriceTable()
        self._callbacks = list(callbacks)
        self.max_reply_chars = max_reply_chars
        self._llm = ChatOpenAI(
            model=model,
            api_key=SecretStr(key),
            base_url=base_url,
            # httpx applies this to connect, each read, write and pool wait: it bounds the
            # silence between stream chunks, not a whole stream.
            timeout=timeout,
            # The openai client retries 408/409/429/5xx, timeouts and connection errors with
            # exponential backoff (0.5 s doubling, at most 8 s), or waits what Retry-After says
            # when it is between 0 and 120 s (longer: no retry). Hence the cap on max_retries.
            max_retries=max_retries,
            temperature=temperature,
            # Sent as max_completion_tokens (OpenAI's current name for max_tokens): a reply,
            # and what it costs, stays bounded whatever the prompt asks for.
            max_tokens=max_tokens,
            # Off by default for any custom base_url; without it streamed calls report no usage.
            stream_usage=True,
            # Chat completions is what every OpenAI-compatible endpoint speaks.
            use_responses_api=False,
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        flow: str,
        prompt_version: str,
        on_token: Callable[[str], None] | None = None,
    ) -> ModelReply[None]:
        """Generate free text; stream each text delta to on_token when it is given."""
        kind = "text" if on_token is None else "stream"
        with _logged_call(self.name, flow, prompt_version, kind, messages) as record:
            lc_messages = _to_langchain(messages)
            config = self._config(flow, prompt_version)
            if on_token is None:
                with _openai_errors():
                    message = self._llm.invoke(lc_messages, config=config)
                text = _bounded(str(message.text), self.max_reply_chars)
                usage_metadata = message.usage_metadata
            else:
                text, usage_metadata = self._stream(lc_messages, config, on_token, record)
            record.reply = ModelReply(
                text, None, self._usage(messages, text, usage_metadata, record)
            )
            return record.reply

    def complete_structured(
        self,
        messages: Sequence[ChatMessage],
        schema: type[S],
        *,
        flow: str,
        prompt_version: str,
        validate: Callable[[S], None] | None = None,
        strict_schema: bool = True,
    ) -> ModelReply[S]:
        """Generate a JSON object matching schema; retry once on invalid output, then raise."""
        response_format = (_response_format(schema) if strict_schema
                           else {"type": "json_object"})

        def attempt(conversation: Sequence[ChatMessage]) -> ModelReply[None]:
            with _logged_call(self.name, flow, prompt_version, "json", conversation) as record:
                config = self._config(flow, prompt_version)
                with _openai_errors():
                    message = self._llm.invoke(
                        _to_langchain(conversation), config=config, response_format=response_format
                    )
                # str(): a str subclass that is also callable.
                text = _bounded(str(message.text), self.max_reply_chars)
                usage = self._usage(conversation, text, message.usage_metadata, record)
                record.reply = ModelReply(text, None, usage)
                return record.reply

        return complete_structured_with_retry(attempt, messages, schema, validate)

    def _stream(
        self,
        lc_messages: list[BaseMessage],
        config: RunnableConfig,
        on_token: Callable[[str], None],
        record: _CallRecord,
    ) -> tuple[str, UsageMetadata | None]:
        parts: list[str] = []
        length = 0
        usage_metadata: UsageMetadata | None = None
        finish_reason: str | None = None
        with _openai_errors():
            chunks = self._llm.stream(lc_messages, config=config)
        try:
            while True:
                # Translate errors around the model's iterator only: an exception raised by
                # on_token belongs to the caller and must reach it unchanged.
                with _openai_errors():
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                if chunk.usage_metadata:
                    usage_metadata = chunk.usage_metadata
                finish_reason = chunk.response_metadata.get("finish_reason") or finish_reason
                delta = str(chunk.text)
                if delta:
                    length += len(delta)
                    if length > self.max_reply_chars:  # stop reading: the stream is closed below
                        raise LLMInvalidOutput(
                            f"The model's streamed reply ran over the limit of "
                            f"{self.max_reply_chars:,} characters.", raw="".join(parts)[:200],
                            hint="Check that the endpoint honours the completion token limit.")
                    parts.append(delta)
                    on_token(delta)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        record.notes["finish_reason"] = finish_reason
        if finish_reason is None:
            # The body ended cleanly but the model never said it was done: a cut stream.
            raise LLMInvalidOutput(
                "The model's stream ended before the model finished its answer.",
                raw="".join(parts),
            )
        return "".join(parts), usage_metadata

    def _config(self, flow: str, prompt_version: str) -> RunnableConfig:
        return {
            "run_name": f"kotae.{flow}",
            "tags": [f"flow:{flow}", f"model:{self.name}", f"prompt_version:{prompt_version}"],
            "metadata": {"flow": flow, "model": self.name, "prompt_version": prompt_version},
            "callbacks": self._callbacks,
        }

    def _usage(
        self,
        messages: Sequence[ChatMessage],
        text: str,
        usage_metadata: UsageMetadata | None,
        record: _CallRecord,
    ) -> Usage:
        if usage_metadata is None:
            # Some compatible endpoints report no usage; count it ourselves rather than lose it.
            record.notes["usage_estimated"] = True
            return _counted_usage(self._prices, self.name, messages, text)
        return self._prices.usage(
            self.name, usage_metadata["input_tokens"], usage_metadata["output_tokens"]
        )


def _to_langchain(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


def _response_format(schema: type[BaseModel]) -> dict[str, Any]:
    # A plain JSON-schema dict, not the pydantic class: given the class, the openai client
    # parses the reply itself and an invalid reply raises inside the call, losing its text
    # and usage. With a dict we get the raw reply and parse it with our retry contract.
    from langchain_core.utils.function_calling import convert_to_openai_function

    function = convert_to_openai_function(schema, strict=True)
    json_schema: dict[str, Any] = {
        "name": function["name"],
        "schema": function["parameters"],
        "strict": True,
    }
    if function.get("description"):
        json_schema["description"] = function["description"]
    return {"type": "json_schema", "json_schema": json_schema}


@contextmanager
def _openai_errors() -> Iterator[None]:
    import openai

    try:
        yield
    except openai.APITimeoutError as error:
        raise LLMTimeout("The model did not answer within the timeout.") from error
    except openai.APIConnectionError as error:
        raise LLMConnectionError("The model endpoint could not be reached.") from error
    except openai.RateLimitError as error:
        raise LLMRateLimited("The model endpoint is rate limiting (HTTP 429).") from error
    except openai.APIStatusError as error:
        if error.status_code >= 500:
            raise LLMServerError(
                f"The model endpoint failed with HTTP {error.status_code}."
            ) from error
        raise LLMRequestError(
            f"The model endpoint rejected the request with HTTP {error.status_code}: "
            f"{error.message[:200]}",
            hint="Check the API key, the model name and the base URL.",
        ) from error
    except openai.APIResponseValidationError as error:
        raise LLMInvalidOutput("The model endpoint sent a malformed response.") from error
    except openai.APIError as error:  # e.g. an error event in the middle of a stream
        raise LLMServerError(f"The model endpoint reported an error: {error.message}") from error
    except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as error:
        raise LLMInvalidOutput(f"The model's reply was cut off: {error}") from error
    except openai.OpenAIError as error:
        raise LLMError(f"The model call failed: {error}") from error
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # What LangChain and the openai client raise for a body that is not a chat completion:
        # JSONDecodeError, "Unexpected response type", missing or null `choices`, and, on the
        # structured (`parse`) path, AttributeError on a non-JSON body returned as a str.
        raise LLMInvalidOutput(
            "The model endpoint sent a response that is not a chat completion."
        ) from error


# -- the scripted fake ----------------------------------------------------------------------

Outcome: TypeAlias = str | Mapping[str, Any] | BaseModel | BaseException


class ScriptedModelExhaustedError(AssertionError):
    """A ScriptedModel was called with nothing left in its queue (a test bug, not a model error)."""


class ScriptedModel:
    """A ChatModel for tests: returns or raises queued outcomes and records every call.

    An outcome is a str (the reply text), a dict or BaseModel (sent as its JSON), or an
    exception instance (raised). A structured call's retry takes the next outcome. Usage is
    counted with tiktoken over message contents and reply text.
    """

    def __init__(
        self, *outcomes: Outcome, name: str = "scripted", prices: PriceTable | None = None,
        max_reply_chars: int = MAX_REPLY_CHARS,
    ) -> None:
        self.name = name
        self.max_reply_chars = max_reply_chars
        self.history: list[list[ChatMessage]] = []
        self.calls: list[tuple[str, str]] = []  # (flow, prompt_version) per call
        self._prices = prices or PriceTable()
        self._queue: deque[Outcome] = deque()
        self.enqueue(*outcomes)

    def enqueue(self, *outcomes: Outcome) -> None:
        """Queue outcomes for the next calls, in order."""
        for outcome in outcomes:
            if not isinstance(outcome, str | Mapping | BaseModel | BaseException):
                raise TypeError(f"not a ScriptedModel outcome: {outcome!r}")
        self._queue.extend(outcomes)

    @property
    def pending(self) -> int:
        """Return how many queued outcomes are unused."""
        return len(self._queue)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        flow: str,
        prompt_version: str,
        on_token: Callable[[str], None] | None = None,
    ) -> ModelReply[None]:
        """Return the next outcome as text, word by word to on_token when it is given."""
        kind = "text" if on_token is None else "stream"
        with _logged_call(self.name, flow, prompt_version, kind, messages) as record:
            text = self._next_text(messages, flow, prompt_version)
            if on_token is not None:
                for word in _split_words(text):
                    on_token(word)
            usage = _counted_usage(self._prices, self.name, messages, text)
            record.reply = ModelReply(text, None, usage)
            return record.reply

    def complete_structured(
        self,
        messages: Sequence[ChatMessage],
        schema: type[S],
        *,
        flow: str,
        prompt_version: str,
        validate: Callable[[S], None] | None = None,
        strict_schema: bool = True,
    ) -> ModelReply[S]:
        """Parse the next outcome into schema, with the same retry contract as the real model."""
        del strict_schema  # a scripted reply has no decoding to constrain

        def attempt(conversation: Sequence[ChatMessage]) -> ModelReply[None]:
            with _logged_call(self.name, flow, prompt_version, "json", conversation) as record:
                text = self._next_text(conversation, flow, prompt_version)
                usage = _counted_usage(self._prices, self.name, conversation, text)
                record.reply = ModelReply(text, None, usage)
                return record.reply

        return complete_structured_with_retry(attempt, messages, schema, validate)

    def _next_text(self, messages: Sequence[ChatMessage], flow: str, prompt_version: str) -> str:
        self.history.append(list(messages))
        self.calls.append((flow, prompt_version))
        if not self._queue:
            raise ScriptedModelExhaustedError(
                f"ScriptedModel {self.name!r} got call #{len(self.calls)} (flow={flow!r}, "
                f"prompt_version={prompt_version!r}) with no outcome queued; enqueue() one."
            )
        outcome = self._queue.popleft()
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, str):
            text = outcome
        elif isinstance(outcome, BaseModel):
            text = outcome.model_dump_json()
        else:
            text = json.dumps(outcome, ensure_ascii=False)
        return _bounded(text, self.max_reply_chars)
