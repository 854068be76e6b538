"""A real HTTP server speaking the OpenAI chat-completions and embeddings protocol on 127.0.0.1.

    with OpenAIStub() as stub:
        stub.chat.enqueue(Status.rate_limited(), Reply("Hello"))
        client = OpenAI(base_url=stub.base_url, api_key="sk-test")
        ...
        assert stub.chat.requests[-1].body["model"] == "gpt-4o-mini"

Each route answers from its own queue of behaviours, first in, first out; an empty queue gives
the route's default (a fixed text for chat, deterministic vectors for embeddings). Prompt tokens
are counted with tiktoken (cl100k_base) over message contents only, with no per-message
overhead, so tests can predict them with `retrieval.tokens.count_tokens`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, TypeAlias

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from retrieval.tokens import count_tokens

DEFAULT_TEXT = "This is the stub model's answer."
DEFAULT_DIMENSIONS = 1536


@dataclass(frozen=True)
class Reply:
    """Answer with this text; a streaming request gets it word by word."""

    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ReplyJSON:
    """Answer with this value, serialised as JSON, as the message content."""

    data: Any

    @property
    def text(self) -> str:
        """Return the content the stub sends."""
        return json.dumps(self.data, ensure_ascii=False)


@dataclass(frozen=True)
class Respond:
    """Answer with the text a function of the request body returns: a model that reads (and
    may obey) what it is sent."""

    reply: Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Delay:
    """Wait, then behave as `then` (the route's default when None)."""

    seconds: float
    then: Behaviour | None = None


@dataclass(frozen=True)
class Status:
    """Fail with an HTTP status and an OpenAI-style error body."""

    code: int
    message: str = "stub error"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def rate_limited(cls, retry_after: str = "0") -> Status:
        """Return a 429 carrying Retry-After."""
        return cls(429, "Rate limit reached (stub).", {"retry-after": retry_after})

    @classmethod
    def server_error(cls, code: int = 500) -> Status:
        """Return a 5xx."""
        return cls(code, "The server had an error (stub).")


@dataclass(frozen=True)
class NotJSON:
    """Answer 200 with a body that is not JSON, labelled as `content_type`."""

    body: str = "<html><body>502 Bad Gateway</body></html>"
    content_type: str = "application/json"


@dataclass(frozen=True)
class BrokenStream:
    """Break the reply after `text`.

    Modes: `invalid_json` sends a `data:` line that is not JSON; `cut` drops the connection
    mid-body; `no_done` ends the body cleanly without a finish reason or `[DONE]`. A
    non-streaming request gets a JSON body cut in half.
    """

    mode: Literal["invalid_json", "cut", "no_done"] = "invalid_json"
    text: str = "This answer stops"


Behaviour: TypeAlias = Reply | ReplyJSON | Respond | Delay | Status | NotJSON | BrokenStream


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stub received."""

    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON body, or None when it was not JSON
    prompt_tokens: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Return the chat messages sent, or an empty list."""
        if isinstance(self.body, dict) and isinstance(self.body.get("messages"), list):
            return list(self.body["messages"])
        return []


class StubRoute:
    """One route's queue of behaviours and record of requests; safe across threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._requests: list[RecordedRequest] = []

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def pending(self) -> int:
        """Return how many queued behaviours have not been used yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return a copy of the requests received so far."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget queued behaviours and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next(self) -> Behaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None


class _CutConnection(Exception):  # noqa: N818 - a signal to the server, not an error
    """Raised inside a streaming body so uvicorn drops the connection mid-response."""


def _not_a_cut(record: logging.LogRecord) -> bool:
    # uvicorn logs a traceback for every dropped connection; a scripted cut is not news.
    return not (record.exc_info and isinstance(record.exc_info[1], _CutConnection))


logging.getLogger("uvicorn.error").addFilter(_not_a_cut)


class OpenAIStub:
    """Serve the OpenAI protocol from a background thread; use as a context manager."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        default_text: str = DEFAULT_TEXT,
        dimensions: int = DEFAULT_DIMENSIONS,
        api_key: str | None = None,
    ) -> None:
        self.latency = latency  # added before every answer; settable while running
        self._initial_latency = latency
        self.default_text = default_text
        self.dimensions = dimensions
        self.api_key = api_key  # when set, requests without this bearer key get 401
        self.chat = StubRoute("/v1/chat/completions")
        self.embeddings = StubRoute("/v1/embeddings")
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """Return the port the stub listens on."""
        if self._socket is None:
            raise RuntimeError("the stub is not running; use `with OpenAIStub() as stub:`")
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """Return the OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Self:
        """Start serving on a free loopback port and wait until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the stub is already running")
        self._stopping.clear()
        # Binding port 0 ourselves and handing the socket to uvicorn avoids a race for the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self.app,
            log_config=None,  # leave the test run's logging configuration alone
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="openai-stub", daemon=True
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + 10.0
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OpenAI stub did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving; delays in progress end at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5.0)
        if self._socket is not None:
            self._socket.close()
        self._socket, self._server, self._thread = None, None, None

    def reset(self) -> None:
        """Forget every route's queue and requests, and restore the starting latency."""
        self.chat.clear()
        self.embeddings.clear()
        self.latency = self._initial_latency

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- HTTP ------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> Response:
            return await self._handle(request, self.chat, self._chat_answer)

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> Response:
            return await self._handle(request, self.embeddings, self._embeddings_answer)

        return app

    async def _handle(self, request: Request, route: StubRoute, answer: Any) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        recorded = RecordedRequest(route.path, headers, body, _prompt_tokens(body))
        route._record(recorded)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided (stub).", "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "The request body is not a JSON object.", "invalid_request_error")
        behaviour = route._next()
        await self._sleep(self.latency)
        while isinstance(behaviour, Delay):
            await self._sleep(behaviour.seconds)
            behaviour = behaviour.then
        if isinstance(behaviour, Status):
            kind = "rate_limit_error" if behaviour.code == 429 else "server_error"
            return _error(behaviour.code, behaviour.message, kind, behaviour.headers)
        if isinstance(behaviour, NotJSON):
            return Response(behaviour.body, media_type=behaviour.content_type)
        result: Response = answer(body, behaviour, recorded.prompt_tokens)
        return result

    def _chat_answer(
        self, body: dict[str, Any], behaviour: Behaviour | None, prompt: int
    ) -> Response:
        model = str(body.get("model", "stub-model"))
        completion_id = f"chatcmpl-stub-{next(self._ids)}"
        if behaviour is None:
            behaviour = Reply(self.default_text)
        if isinstance(behaviour, Respond):
            text, finish, broken = behaviour.reply(body), "stop", None
        elif isinstance(behaviour, Reply | ReplyJSON):
            text = behaviour.text
            finish = behaviour.finish_reason if isinstance(behaviour, Reply) else "stop"
            broken = None
        elif isinstance(behaviour, BrokenStream):
            text, finish, broken = behaviour.text, "stop", behaviour.mode
        else:  # pragma: no cover - every behaviour is handled above or in _handle
            raise TypeError(f"unexpected behaviour {behaviour!r}")
        usage = _usage(prompt, count_tokens(text))
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = bool(options.get("include_usage"))
            chunks = self._chunks(completion_id, model, text, finish, usage, include_usage, broken)
            return StreamingResponse(chunks, media_type="text/event-stream")
        completion = {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": usage,
        }
        if broken is not None:
            encoded = json.dumps(completion)
            return Response(encoded[: len(encoded) // 2], media_type="application/json")
        return JSONResponse(completion)

    async def _chunks(
        self,
        completion_id: str,
        model: str,
        text: str,
        finish: str,
        usage: dict[str, int],
        include_usage: bool,
        broken: str | None,
    ) -> AsyncIterator[bytes]:
        created = int(time.time())

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            chunk: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
            }
            if include_usage:
                chunk["usage"] = None  # OpenAI sends null on every chunk but the last
            chunk.update(extra)
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

        def delta(content: dict[str, Any], reason: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": content, "logprobs": None, "finish_reason": reason}]

        yield event(delta({"role": "assistant", "content": ""}))
        for word in split_words(text):
            yield event(delta({"content": word}))
            await asyncio.sleep(0)  # let each chunk go out on its own
        if broken == "invalid_json":
            yield b'data: {"choices": [{"delta": {"content": "oops\n\n'
            yield b"data: [DONE]\n\n"
            return
        if broken == "cut":
            raise _CutConnection("stub: dropping the connection mid-stream")
        if broken == "no_done":
            return
        yield event(delta({}, finish))
        if include_usage:
            yield event([], usage=usage)
        yield b"data: [DONE]\n\n"

    def _embeddings_answer(
        self, body: dict[str, Any], behaviour: Behaviour | None, prompt: int
    ) -> Response:
        if behaviour is not None:
            message = f"stub: {type(behaviour).__name__} is not a behaviour for /v1/embeddings"
            return _error(400, message, "invalid_request_error")
        dimensions = int(body.get("dimensions") or self.dimensions)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(_embedding_inputs(body.get("input"))):
            vector = _vector(item, dimensions)
            embedding: Any = (
                base64.b64encode(vector.astype("<f4").tobytes()).decode()
                if as_base64
                else vector.tolist()
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": str(body.get("model", "stub-embedding")),
                "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
            }
        )

    async def _sleep(self, seconds: float) -> None:
        # Sleep in short steps so stop() never waits for a long scripted delay.
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))


def split_words(text: str) -> list[str]:
    """Split text into words that keep their trailing whitespace, so they join back exactly."""
    return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]


def _error(
    status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _prompt_tokens(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    if "messages" in body:
        # A structured-output schema is sent, and billed, with the prompt: count it too.
        schema = body.get("response_format")
        extra = count_tokens(json.dumps(schema)) if isinstance(schema, dict) and (
            schema.get("type") == "json_schema") else 0
        return extra + sum(count_tokens(_content_text(m.get("content"))) for m in body["messages"])
    return sum(
        len(item) if isinstance(item, list) else count_tokens(item)
        for item in _embedding_inputs(body.get("input"))
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _embedding_inputs(value: Any) -> list[str | list[int]]:
    # The API takes a string, a list of strings, a token array or a list of token arrays.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [list(value)]
    if isinstance(value, list):
        return [v if isinstance(v, str) else list(v) for v in value]
    return []


def _vector(item: str | list[int], dimensions: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    # Seeded by the content, so equal inputs get equal unit vectors in every run. They carry
    # no meaning: different texts are close to orthogonal.
    key = item if isinstance(item, str) else ",".join(map(str, item))
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dimensions)
    return vector / np.linalg.norm(vector)
