"""Kotae's HTTP API: the chat widget, the escalation queue, the signals feed and admin.

Serve it with `uvicorn api:create_app --factory`. Settings come from the environment:
`ApiSettings` below (API keys, database, limits, webhooks) and `settings.Settings` (the
agent's). This module speaks HTTP only: persistence lives in `storage/`, decisions in
`agent/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import hashlib
import hmac
import importlib
import io
import json
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar, cast
from urllib.parse import unquote_to_bytes

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.types import Citation, Decision, Inquiry, LanguageTag, ReasonCode, SignalKind
from errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    KotaeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    StoreError,
)
from retrieval.types import Document, Ticket
from storage import processing, repository
from storage.db import Database
from storage.models import (
    API_KEY_ROLES,
    ConversationRow,
    EscalationRow,
    MessageRow,
    SignalRow,
    utcnow,
)
from storage.outbox import WebhookConfig
from storage.worker import BackgroundWorker, WorkerConfig, learn_ticket

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger("kotae.api")

Role = Literal["widget", "agent", "csm", "admin"]
T = TypeVar("T")


# ====================================================================== settings


class ApiSettings(BaseSettings):
    """Settings of the HTTP service only (the agent's are in settings.Settings)."""

    model_config = SettingsConfigDict(
        env_prefix="KOTAE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str = Field("sqlite:///var/kotae.sqlite3", validation_alias="DATABASE_URL")
    api_keys: SecretStr | None = Field(
        None, description='"role:key,…" with roles widget, agent, csm, admin'
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call the API from a browser"
    )
    rate_limit_key_per_s: float = 50.0  # 0 turns the limit off
    rate_limit_key_burst: int = 200
    rate_limit_ip_per_s: float = 10.0
    rate_limit_ip_burst: int = 60
    max_body_bytes: int = 64 * 1024
    max_document_bytes: int = 4 * 1024 * 1024  # PUT /v1/kb/documents/… bodies
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_s: float = 5.0
    webhook_max_attempts: int = 12
    webhook_backoff_s: float = 2.0
    webhook_max_backoff_s: float = 3600.0
    webhook_poll_s: float = 1.0
    # A delivery being attempted is claimed for this long; after a crash, the event is sent
    # again once its claim has run out.
    webhook_claim_s: float = 60.0
    agent_timeout_s: float = 60.0
    agent_concurrency: int = 32
    # After start-up, take what was built out of the cyclic garbage collector (gc.freeze).
    gc_freeze: bool = True
    # A live process renews its inquiries' leases every third of this; after a crash,
    # unfinished inquiries are answered again once their lease has run out.
    inquiry_lease_s: float = 15.0
    recovery_max_attempts: int = 2
    maintenance_s: float = 5.0
    shutdown_grace_s: float = 10.0
    agent_factory: str | None = Field(
        None, description='"module:callable" returning an agent (stubs for benchmarks, tests)'
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> ApiSettings:
        self.parsed_keys()  # raises on a malformed KOTAE_API_KEYS
        if self.webhook_url:
            if not self.webhook_url.startswith(("http://", "https://")):
                raise ValueError("KOTAE_WEBHOOK_URL must be an http:// or https:// URL")
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if len(secret) < 16:
                raise ValueError(
                    "KOTAE_WEBHOOK_URL needs KOTAE_WEBHOOK_SECRET of at least 16 "
                    "characters, shared with the receiver to check signatures"
                )
        for name in (
            "agent_timeout_s",
            "webhook_timeout_s",
            "webhook_poll_s",
            "maintenance_s",
            "inquiry_lease_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"KOTAE_{name.upper()} must be positive")
        if self.agent_concurrency < 1 or self.recovery_max_attempts < 1:
            raise ValueError(
                "KOTAE_AGENT_CONCURRENCY and KOTAE_RECOVERY_MAX_ATTEMPTS must be at least 1"
            )
        if self.max_body_bytes < 1024:
            raise ValueError("KOTAE_MAX_BODY_BYTES below 1024 would refuse ordinary inquiries")
        return self

    def parsed_keys(self) -> list[tuple[Role, str]]:
        """Return (role, key) pairs from KOTAE_API_KEYS, checked."""
        if self.api_keys is None:
            return []
        pairs: list[tuple[Role, str]] = []
        seen: set[str] = set()
        for item in self.api_keys.get_secret_value().split(","):
            item = item.strip()
            if not item:
                continue
            role, sep, key = item.partition(":")
            role, key = role.strip(), key.strip()
            if not sep or role not in API_KEY_ROLES:
                raise ValueError(
                    f"KOTAE_API_KEYS entries are role:key with role one of "
                    f"{', '.join(API_KEY_ROLES)}; got an entry starting "
                    f"{item[:8]!r}"
                )
            if len(key) < 16:
                raise ValueError(
                    f"KOTAE_API_KEYS: a {role} key has {len(key)} characters; use "
                    "at least 16 random ones (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(24))')"
                )
            if key in seen:
                raise ValueError(
                    f"KOTAE_API_KEYS lists the same key twice (second time as "
                    f"{role}); give each role its own key"
                )
            seen.add(key)
            pairs.append((cast(Role, role), key))
        return pairs

    @property
    def lease_s(self) -> float:
        """Return how long an inquiry's lease lasts without renewal."""
        return self.inquiry_lease_s

    def webhook(self) -> WebhookConfig | None:
        """Return the webhook delivery settings, if a receiver is configured."""
        if not self.webhook_url or self.webhook_secret is None:
            return None
        return WebhookConfig(
            url=self.webhook_url,
            secret=self.webhook_secret.get_secret_value(),
            timeout_s=self.webhook_timeout_s,
            max_attempts=self.webhook_max_attempts,
            backoff_s=self.webhook_backoff_s,
            max_backoff_s=self.webhook_max_backoff_s,
            claim_s=self.webhook_claim_s,
        )


def load_api_settings(**overrides: Any) -> ApiSettings:
    """Read ApiSettings, turning validation errors into a ConfigError saying what to change."""
    try:
        return ApiSettings(**overrides)
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid API settings: " + "; ".join(lines)) from exc


# ====================================================================== the agent, as seen here


class TriageAgent(Protocol):
    """What the API needs from the agent (agent.pipeline.Agent)."""

    def handle(
        self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
    ) -> Decision: ...

    def learn(self, ticket: Ticket) -> None: ...

    def upsert_document(self, doc: Document) -> str: ...

    def delete_document(self, doc_id: str) -> bool: ...


class SearchHitLike(Protocol):
    """The fields of retrieval.search.SearchHit the search route returns."""

    @property
    def id(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def vector_score(self) -> float | None: ...
    @property
    def lexical_score(self) -> float | None: ...


class Retriever(Protocol):
    """retrieval.search.HybridRetriever, as the search route uses it."""

    def search(
        self, query: str, *, source: str = ..., k: int = ..., language: str | list[str] | None = ...
    ) -> Sequence[SearchHitLike]: ...


def load_agent(api: ApiSettings, settings: Settings | None) -> TriageAgent:
    """Build the agent: from KOTAE_AGENT_FACTORY if set, else agent.factory.build_agent."""
    if api.agent_factory:
        module_name, _, attribute = api.agent_factory.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attribute or "build_agent")
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"KOTAE_AGENT_FACTORY={api.agent_factory!r} cannot be imported: {exc}",
                hint='use "package.module:function"',
            ) from exc
        return cast(TriageAgent, factory())
    from agent.factory import build_agent  # imported late: it loads models and the index
    from settings import load_settings

    settings = settings or load_settings()
    if settings.embed_threads is None:
        # Requests embed in parallel threads: one core each beats every core each.
        settings = settings.model_copy(update={"embed_threads": 1})
    return cast(TriageAgent, build_agent(settings))


# ====================================================================== errors


class ErrorOut(BaseModel):
    """Every error response."""

    error_code: str = Field(description="stable machine-readable code, e.g. not_found")
    detail: str = Field(description="what went wrong")
    hint: str | None = Field(None, description="what to do about it")
    errors: list[dict[str, str]] | None = Field(None, description="each invalid field")


def _error(
    status: int,
    code: str,
    detail: str,
    *,
    hint: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error_code": code, "detail": detail}
    if hint:
        body["hint"] = hint
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _field_name(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _install_error_handlers(app: FastAPI) -> None:
    async def kotae_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KotaeError)
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        status = exc.http_status if 400 <= exc.http_status < 600 else 500
        if status >= 500:
            log.warning("%s: %s", exc.code, exc.detail)
        return _error(status, exc.code, exc.detail, hint=exc.hint, headers=headers or None)

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = []
        for error in exc.errors():
            kind, loc = str(error.get("type", "")), tuple(error.get("loc", ()))
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            if kind == "json_invalid":
                position = loc[1] if len(loc) > 1 else "?"
                message = f"the body is not valid JSON (at character {position}): " + str(
                    (error.get("ctx") or {}).get("error", message)
                )
                loc = ("body",)
            elif loc == ("body",) and kind in ("model_attributes_type", "dict_type"):
                message = "expected a JSON object, sent with Content-Type: application/json"
            elif loc == ("body",) and kind == "missing":
                message = "a JSON body is required"
            errors.append({"field": _field_name(loc), "message": message, "type": kind})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return _error(422, "invalid_input", detail or "the request is invalid", errors=errors)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        hint = None
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such route; see /docs for the API"
        elif exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            detail, hint = "the body is not valid UTF-8", "send JSON encoded as UTF-8"
        elif exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
            detail, hint = "the body is nested too deeply", "send a flatter JSON document"
        elif exc.status_code == 413:
            hint = "send a smaller body"
        return _error(
            exc.status_code, code, detail, hint=hint, headers=dict(exc.headers or {}) or None
        )

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return _error(
            500,
            "internal_error",
            "something went wrong on our side",
            hint="try again; if it persists, tell the operator the time it happened",
        )

    app.add_exception_handler(KotaeError, kotae_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or unknown API key"},
    403: {"model": ErrorOut, "description": "the key's role may not do this"},
    422: {"model": ErrorOut, "description": "invalid input, naming the field"},
    429: {"model": ErrorOut, "description": "rate limited; see Retry-After"},
}


# ====================================================================== access


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and label."""

    key_id: str
    role: Role
    label: str

    def may(self, roles: Sequence[str]) -> bool:
        """Return whether this caller has one of roles (admin may do everything)."""
        return self.role == "admin" or self.role in roles


class KeyRing:
    """Known API keys by sha256; keys added to the database later are looked up there."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keys: list[tuple[str, Principal]] = []
        self._lock = threading.Lock()

    def load(self) -> int:
        """Read the active keys from the database; return how many there are."""
        with self.db.session() as session:
            keys = [
                (row.key_hash, Principal(row.id, cast(Role, row.role), row.label))
                for row in repository.active_api_keys(session)
            ]
        with self._lock:
            self._keys = keys
        return len(keys)

    def lookup(self, key: str) -> Principal | None:
        """Return the principal for a presented key, comparing hashes in constant time."""
        digest = repository.sha256_hex(key)
        found: Principal | None = None
        with self._lock:
            keys = self._keys
        for key_hash, principal in keys:  # no early exit: timing says nothing about the match
            if hmac.compare_digest(key_hash, digest):
                found = principal
        if found is not None:
            return found
        with self.db.session() as session:
            row = repository.find_api_key(session, digest)
        if row is None:
            return None
        principal = Principal(row.id, cast(Role, row.role), row.label)
        with self._lock:
            self._keys = [*self._keys, (digest, principal)]
        return principal


class TokenBuckets:
    """In-process token buckets, one per key or client address."""

    def __init__(self, rate_per_s: float, burst: int, max_entries: int = 50_000) -> None:
        self.rate = rate_per_s
        self.burst = max(1, burst)
        self.max_entries = max_entries
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str, now: float | None = None) -> float:
        """Spend one token; return 0 when allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[name] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_entries:
                self._forget_full(now)
        return wait

    def _forget_full(self, now: float) -> None:
        # Buckets that have refilled carry no information: drop them to bound memory.
        full = [
            name
            for name, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for name in full:
            del self._buckets[name]


# ====================================================================== metrics


class Metrics:
    """Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kotae_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kotae_http_request_duration_seconds",
            "HTTP request duration by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.decisions = Counter(
            "kotae_decisions_total",
            "Decisions by action, reason and tag",
            ["action", "reason", "tag"],
            registry=self.registry,
        )
        self.agent_failures = Counter(
            "kotae_agent_failures_total",
            "Inquiries escalated because the agent failed or timed out",
            ["reason"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "kotae_inquiries_in_flight", "Inquiries being answered now", registry=self.registry
        )
        self.webhooks = Counter(
            "kotae_webhook_deliveries_total",
            "Webhook delivery attempts by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "kotae_rate_limited_total",
            "Requests refused with 429",
            ["scope"],
            registry=self.registry,
        )

    def outcome(self, outcome: processing.Outcome) -> None:
        """Count one recorded decision."""
        decision = outcome.decision
        reason = decision.escalation.reason.value if decision.escalation else ""
        self.decisions.labels(decision.action, reason, decision.tag).inc()
        if outcome.degraded:
            self.agent_failures.labels(reason).inc()

    def delivered(self, counts: dict[str, int]) -> None:
        """Count webhook delivery attempts."""
        for outcome, count in counts.items():
            if count:
                self.webhooks.labels(outcome).inc(count)


# ====================================================================== services and deps


@dataclass
class Services:
    """Everything routes need, opened once by the lifespan."""

    api: ApiSettings
    db: Database
    agent: TriageAgent
    keys: KeyRing
    metrics: Metrics
    key_limits: TokenBuckets
    ip_limits: TokenBuckets
    agent_limiter: anyio.CapacityLimiter
    worker: BackgroundWorker
    in_flight: dict[str, asyncio.Task[processing.Outcome]] = field(default_factory=dict)


def get_services(request: Request) -> Services:
    """Return the app's services (503 before start-up has finished)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ServiceUnavailableError(
            "the service is starting or stopping", hint="retry in a moment"
        )
    return cast(Services, services)


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Yield a database session for one request."""
    with services.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Identify the caller by API key, within the per-address and per-key rate limits."""
    address = _client_address(request)
    wait = services.ip_limits.take(f"ip:{address}")
    if wait:
        services.metrics.rate_limited.labels("address").inc()
        raise RateLimitedError(f"too many requests from {address}", wait)
    if credentials is None or not credentials.credentials:
        raise AuthenticationError(
            "an API key is required", hint="send it as `Authorization: Bearer <key>`"
        )
    principal = services.keys.lookup(credentials.credentials)
    if principal is None:
        raise AuthenticationError("this API key is not known or was revoked")
    wait = services.key_limits.take(f"key:{principal.key_id}")
    if wait:
        services.metrics.rate_limited.labels("key").inc()
        raise RateLimitedError("too many requests with this API key", wait)
    return principal


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """Return a dependency admitting only the given roles (and admin)."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.may(roles):
            raise PermissionDeniedError(
                f"a {principal.role} key may not do this; it needs a {' or '.join(roles)} key"
            )
        return principal

    return check


WidgetDep = Annotated[Principal, Depends(require("widget"))]
ReaderDep = Annotated[Principal, Depends(require("widget", "agent"))]
AgentDep = Annotated[Principal, Depends(require("agent"))]
CsmDep = Annotated[Principal, Depends(require("csm"))]
AnalystDep = Annotated[Principal, Depends(require("csm"))]  # admin is always allowed too
AdminDep = Annotated[Principal, Depends(require("admin"))]
ConversationToken = Annotated[
    str | None,
    Header(
        alias="X-Conversation-Token",
        max_length=200,
        description="the token returned with the conversation (widget keys must send it)",
    ),
]


def _check_conversation_token(
    principal: Principal, conversation: ConversationRow, token: str | None
) -> None:
    # The widget key is public: only the conversation token proves who holds a conversation.
    if principal.role == "widget" and not repository.token_matches(conversation, token):
        raise PermissionDeniedError(
            f"conversation {conversation.id} needs its token",
            hint="send the conversation_token you were given as X-Conversation-Token",
        )


async def _in_thread(func: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(func)


# ====================================================================== schemas


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


Text = Annotated[str, AfterValidator(_clean)]
RequiredText = Annotated[str, AfterValidator(_clean), AfterValidator(_not_blank)]
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

    text: Annotated[RequiredText, Field(min_length=1, max_length=20_000)]
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


class MessageOut(BaseModel):
    """One turn of a conversation."""

    id: int
    role: Literal["customer", "assistant", "agent"]
    text: str
    created_at: datetime
    inquiry_id: str | None = None
    author: str | None = None


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
    comment: Annotated[Text, Field(max_length=2000)] | None = None


class FeedbackOut(BaseModel):
    """Stored feedback (the latest replaces earlier feedback on the same inquiry)."""

    inquiry_id: str
    helpful: bool
    comment: str | None
    updated_at: datetime


class HumanIn(BaseModel):
    """A request to talk to a person."""

    model_config = ConfigDict(extra="forbid")

    comment: Annotated[Text, Field(max_length=2000)] | None = None


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
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    age_s: float = Field(description="seconds since it was created")
    resolution: str | None
    resolution_tag: str | None
    learned: bool = Field(description="the resolution was indexed as a past ticket")


class EscalationDetailOut(EscalationOut):
    """One escalation with the conversation, what was retrieved and the draft."""

    question: str | None
    draft: str | None
    sources: list[Citation] = Field(description="everything the agent retrieved")
    citations: list[Citation] = Field(description="what a draft answer cites")
    conversation: ConversationOut
    decision: Decision | None


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

    answer: Annotated[RequiredText, Field(min_length=1, max_length=20_000)]
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


class DocumentIn(BaseModel):
    """A knowledge-base article to add or replace."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[RequiredText, Field(min_length=1, max_length=500)]
    text: Annotated[RequiredText, Field(min_length=1, max_length=2_000_000)]
    url: Annotated[Text, Field(max_length=2000)] | None = None
    language: Language | None = None
    metadata: dict[
        Annotated[Text, Field(max_length=100)],
        Annotated[Text, Field(max_length=1000)] | int | float | bool,
    ] = Field(default_factory=dict, max_length=50)


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


class HealthOut(BaseModel):
    """Liveness or readiness."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)


# ====================================================================== conversions


def _message_out(row: MessageRow) -> MessageOut:
    return MessageOut(
        id=row.id,
        role=row.role,
        text=row.text,
        created_at=row.created_at,
        inquiry_id=row.inquiry_id,
        author=row.author,
    )


def _conversation_out(
    session: Session, row: ConversationRow, principal: Principal | None = None
) -> ConversationOut:
    escalation = repository.open_escalation_of(session, row.id)
    messages = [_message_out(m) for m in repository.conversation_messages(session, row.id)]
    if principal is not None and principal.role == "widget":
        # Customers see that support replied, not which colleague or key did.
        messages = [m.model_copy(update={"author": None}) for m in messages]
    return ConversationOut(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        account_id=row.account_id,
        language=row.language,
        messages=messages,
        open_escalation_id=escalation.id if escalation else None,
    )


def _escalation_fields(row: EscalationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "reason": row.reason,
        "detail": row.detail,
        "tag": row.resolution_tag or row.tag,
        "language": row.language,
        "account_id": row.account_id,
        "assignee": row.assignee,
        "conversation_id": row.conversation_id,
        "inquiry_id": row.inquiry_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "claimed_at": row.claimed_at,
        "resolved_at": row.resolved_at,
        "age_s": round((utcnow() - row.created_at).total_seconds(), 3),
        "resolution": row.resolution,
        "resolution_tag": row.resolution_tag,
        "learned": row.learned_at is not None,
    }


def _escalation_out(row: EscalationRow) -> EscalationOut:
    return EscalationOut(**_escalation_fields(row))


def _signal_out(row: SignalRow) -> SignalOut:
    return SignalOut(
        id=row.id,
        kind=row.kind,
        account_id=row.account_id,
        evidence=row.evidence,
        why=row.why,
        next_step=row.next_step,
        localized=row.localized,
        confidence=row.confidence,
        inquiry_id=row.inquiry_id,
        conversation_id=row.conversation_id,
        created_at=row.created_at,
        acked_at=row.acked_at,
        acked_by=row.acked_by,
    )


def _inquiry_out(
    outcome: processing.Outcome, token: str | None, principal: Principal
) -> InquiryOut:
    decision = outcome.decision
    if principal.role == "widget":
        # The widget is public: drafts were judged unfit to send, retrieved passages may be
        # other customers' tickets, and signals are for the CSM.
        escalation = (
            decision.escalation.model_copy(update={"draft": None}) if decision.escalation else None
        )
        decision = decision.model_copy(
            update={"escalation": escalation, "retrieved": [], "signals": []}
        )
    return InquiryOut(
        inquiry_id=outcome.inquiry_id,
        conversation_id=outcome.conversation_id,
        conversation_token=token,
        status="answered" if decision.action == "answer" else "escalated",
        decision=decision,
        escalation_id=outcome.escalation_id,
        notice=outcome.notice,
        degraded=outcome.degraded,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    # Customers' words end up in spreadsheets: a leading = or + would run as a formula.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


# ====================================================================== inquiries


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


async def _answer(
    services: Services, received: repository.Received, on_token: Callable[[str], None] | None
) -> processing.Outcome:
    """Answer a stored inquiry within the time limit; the work survives the caller leaving."""
    timeout = services.api.agent_timeout_s
    inquiry_id = received.inquiry.id
    work = partial(
        processing.answer,
        services.db,
        inquiry_id,
        services.agent.handle,
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
        outcome = await _in_thread(
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
    services: Services, received: repository.Received, on_token: Callable[[str], None] | None
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
    outcome = await _in_thread(partial(processing.load_outcome, services.db, inquiry_id))
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
        200: {
            "description": 'with `Accept: text/event-stream`: `token` events ({"text"}) as the '
            "answer is written, then one `decision` event (an InquiryOut)",
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

    def receive() -> repository.Received:
        with services.db.session() as session:
            if body.conversation_id is not None:
                conversation = repository.get_conversation(session, body.conversation_id)
                _check_conversation_token(principal, conversation, conversation_token)
            return repository.receive_inquiry(
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

    received = await _in_thread(receive)
    token = received.token or (conversation_token if body.conversation_id else None)
    streaming = "text/event-stream" in (accept or "")
    headers = {"Idempotent-Replayed": "true"} if received.replay else {}

    if received.replay or not streaming:
        if received.replay:
            outcome = await _earlier_outcome(services, received.inquiry.id)
        else:
            outcome = await _start_answering(services, received, None)
        result = _inquiry_out(outcome, token, principal)
        if not streaming:
            return JSONResponse(result.model_dump(mode="json"), status_code=201, headers=headers)

        async def replay_events() -> AsyncIterator[bytes]:
            yield _sse("decision", result.model_dump_json())

        return StreamingResponse(
            replay_events(),
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
        yield _sse("decision", _inquiry_out(outcome, token, principal).model_dump_json())

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/v1/conversations/{conversation_id}",
    response_model=ConversationOut,
    tags=["widget"],
    responses=ERROR_RESPONSES,
)
def read_conversation(
    conversation_id: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    principal: ReaderDep,
    conversation_token: ConversationToken = None,
) -> ConversationOut:
    """Read a conversation, including support agents' replies."""
    conversation = repository.get_conversation(session, conversation_id)
    _check_conversation_token(principal, conversation, conversation_token)
    return _conversation_out(session, conversation, principal)


@router.post(
    "/v1/inquiries/{inquiry_id}/feedback",
    response_model=FeedbackOut,
    tags=["widget"],
    responses=ERROR_RESPONSES,
)
def give_feedback(
    inquiry_id: Annotated[str, Path(max_length=40)],
    body: FeedbackIn,
    session: SessionDep,
    principal: WidgetDep,
    conversation_token: ConversationToken = None,
) -> FeedbackOut:
    """Say whether an answer helped."""
    inquiry = repository.get_inquiry(session, inquiry_id)
    conversation = repository.get_conversation(session, inquiry.conversation_id)
    _check_conversation_token(principal, conversation, conversation_token)
    row = repository.record_feedback(session, inquiry_id, body.helpful, body.comment)
    return FeedbackOut(
        inquiry_id=row.inquiry_id,
        helpful=row.helpful,
        comment=row.comment,
        updated_at=row.updated_at,
    )


@router.post(
    "/v1/conversations/{conversation_id}/human",
    response_model=HumanOut,
    status_code=201,
    tags=["widget"],
    responses={**ERROR_RESPONSES, 200: {"model": HumanOut, "description": "already with a person"}},
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
    conversation = repository.get_conversation(session, conversation_id)
    _check_conversation_token(principal, conversation, conversation_token)
    notice = processing.notice_for(conversation.language, degraded=False)
    row, created = repository.request_human(
        session, conversation_id, body.comment if body else None, notice
    )
    if created:
        services.metrics.decisions.labels("escalate", "human_requested", row.tag or "").inc()
        services.worker.wake_delivery()
    else:
        response.status_code = 200
    return HumanOut(escalation_id=row.id, status=row.status, created=created, notice=notice)


# ====================================================================== escalations


@router.get(
    "/v1/escalations",
    response_model=EscalationPage,
    tags=["support agent"],
    responses=ERROR_RESPONSES,
)
def list_escalations(
    session: SessionDep,
    principal: AgentDep,
    status: Literal["open", "claimed", "resolved"] | None = None,
    reason: ReasonCode | None = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    language: Language | None = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    min_age_s: Annotated[
        float | None, Query(ge=0, le=10 * 365 * 86400, description="only those waiting this long")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EscalationPage:
    """List the escalation queue, oldest first."""
    where = repository.EscalationFilter(
        status=status,
        reason=reason.value if reason else None,
        tag=tag,
        language=language,
        min_age_s=min_age_s,
        account_id=account_id,
    )
    rows, total = repository.list_escalations(session, where, limit=limit, offset=offset)
    return EscalationPage(
        items=[_escalation_out(r) for r in rows], total=total, limit=limit, offset=offset
    )


EscalationId = Annotated[str, Path(max_length=40)]


@router.get(
    "/v1/escalations/{escalation_id}",
    response_model=EscalationDetailOut,
    tags=["support agent"],
    responses=ERROR_RESPONSES,
)
def read_escalation(
    escalation_id: EscalationId, session: SessionDep, principal: AgentDep
) -> EscalationDetailOut:
    """Read one escalation with its conversation, sources and draft."""
    row = repository.get_escalation(session, escalation_id)
    decision: Decision | None = None
    question: str | None = None
    if row.inquiry_id is not None:
        inquiry = repository.get_inquiry(session, row.inquiry_id)
        question = inquiry.text
        if inquiry.decision:
            decision = Decision.model_validate(inquiry.decision)
    conversation = repository.get_conversation(session, row.conversation_id)
    return EscalationDetailOut(
        **_escalation_fields(row),
        question=question,
        draft=row.draft,
        sources=decision.retrieved if decision else [],
        citations=decision.citations if decision else [],
        conversation=_conversation_out(session, conversation),
        decision=decision,
    )


@router.post(
    "/v1/escalations/{escalation_id}/claim",
    response_model=EscalationOut,
    tags=["support agent"],
    responses={
        **ERROR_RESPONSES,
        409: {"model": ErrorOut, "description": "claimed by someone else"},
    },
)
def claim_escalation(
    escalation_id: EscalationId,
    session: SessionDep,
    principal: AgentDep,
    body: ClaimIn | None = None,
) -> EscalationOut:
    """Take an escalation."""
    assignee = body.assignee if body and body.assignee else principal.label
    return _escalation_out(repository.claim_escalation(session, escalation_id, assignee))


@router.post(
    "/v1/escalations/{escalation_id}/resolve",
    response_model=EscalationOut,
    tags=["support agent"],
    responses={**ERROR_RESPONSES, 409: {"model": ErrorOut, "description": "already resolved"}},
)
def resolve_escalation(
    escalation_id: EscalationId,
    body: ResolveIn,
    session: SessionDep,
    services: ServicesDep,
    principal: AgentDep,
) -> EscalationOut:
    """Answer the customer; the answer becomes a past ticket the agent learns from."""
    row = repository.resolve_escalation(
        session, escalation_id, body.answer, body.tag, principal.label
    )
    services.worker.wake_delivery()
    ticket = repository.ticket_for(session, row)
    error = learn_ticket(services.agent.learn, ticket)  # retried in the background if it fails
    repository.mark_learned(session, row.id, error)
    session.refresh(row)
    return _escalation_out(row)


@router.post(
    "/v1/escalations/{escalation_id}/reopen",
    response_model=EscalationOut,
    tags=["support agent"],
    responses={**ERROR_RESPONSES, 409: {"model": ErrorOut, "description": "already open"}},
)
def reopen_escalation(
    escalation_id: EscalationId, session: SessionDep, principal: AgentDep
) -> EscalationOut:
    """Put an escalation back in the queue."""
    return _escalation_out(repository.reopen_escalation(session, escalation_id))


# ====================================================================== signals


def _signal_filter(
    account_id: str | None,
    kind: SignalKind | None,
    since: datetime | None,
    until: datetime | None,
    acked: bool | None,
) -> repository.SignalFilter:
    return repository.SignalFilter(
        account_id=account_id,
        kind=kind.value if kind else None,
        since=_aware(since),
        until=_aware(until),
        acked=acked,
    )


AccountQuery = Annotated[str | None, Query(max_length=200)]
SinceQuery = Annotated[datetime | None, Query(description="from this time (ISO 8601)")]
UntilQuery = Annotated[datetime | None, Query(description="before this time (ISO 8601)")]


@router.get("/v1/signals", response_model=SignalPage, tags=["csm"], responses=ERROR_RESPONSES)
def list_signals(
    session: SessionDep,
    principal: CsmDep,
    account_id: AccountQuery = None,
    kind: SignalKind | None = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    acked: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SignalPage:
    """List expansion and churn-risk signals, newest first."""
    rows, total = repository.list_signals(
        session, _signal_filter(account_id, kind, since, until, acked), limit=limit, offset=offset
    )
    return SignalPage(items=[_signal_out(r) for r in rows], total=total, limit=limit, offset=offset)


CSV_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "account_id",
    "evidence",
    "why",
    "next_step",
    "confidence",
    "inquiry_id",
    "conversation_id",
    "acked_at",
    "acked_by",
)


@router.get(
    "/v1/signals.csv",
    tags=["csm"],
    response_class=StreamingResponse,
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/csv": {}}, "description": "signals, oldest first"},
    },
)
def export_signals(
    services: ServicesDep,
    principal: CsmDep,
    account_id: AccountQuery = None,
    kind: SignalKind | None = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    acked: bool | None = None,
) -> StreamingResponse:
    """Export signals as CSV."""
    where = _signal_filter(account_id, kind, since, until, acked)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with services.db.session() as session:
            for row in repository.iter_signals(session, where):
                writer.writerow([_csv_cell(getattr(row, column)) for column in CSV_COLUMNS])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="signals.csv"'},
    )


@router.post(
    "/v1/signals/{signal_id}/ack", response_model=SignalOut, tags=["csm"], responses=ERROR_RESPONSES
)
def ack_signal(
    signal_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: CsmDep
) -> SignalOut:
    """Mark a signal as seen."""
    return _signal_out(repository.ack_signal(session, signal_id, principal.label))


# ====================================================================== admin


DocumentId = Annotated[str, Path(min_length=1, max_length=300)]


def _knowledge_call(func: Callable[[], T], what: str) -> T:
    try:
        return func()
    except KotaeError:
        raise
    except Exception as exc:  # broad on purpose: the index is external; say so, not 500
        log.exception("could not %s", what)
        raise StoreError(
            f"could not {what}: {exc.__class__.__name__}: {exc}",
            hint="check the knowledge base store and retry",
        ) from exc


@router.put(
    "/v1/kb/documents/{doc_id:path}",
    response_model=DocumentOut,
    tags=["admin"],
    responses=ERROR_RESPONSES,
)
def put_document(
    doc_id: DocumentId, body: DocumentIn, services: ServicesDep, principal: AdminDep
) -> DocumentOut:
    """Add or replace a knowledge-base document; searchable as soon as this returns."""
    document = Document(
        id=doc_id,
        title=body.title,
        text=body.text,
        url=body.url,
        language=body.language,
        metadata=dict(body.metadata),
        origin=f"api:{principal.label}",
    )
    outcome = _knowledge_call(
        partial(services.agent.upsert_document, document), f"index document {doc_id!r}"
    )
    return DocumentOut(id=doc_id, outcome=outcome)


@router.delete(
    "/v1/kb/documents/{doc_id:path}",
    status_code=204,
    tags=["admin"],
    responses={**ERROR_RESPONSES, 404: {"model": ErrorOut}},
)
def delete_document(doc_id: DocumentId, services: ServicesDep, principal: AdminDep) -> Response:
    """Remove a knowledge-base document."""
    deleted = _knowledge_call(
        partial(services.agent.delete_document, doc_id), f"delete document {doc_id!r}"
    )
    if not deleted:
        raise NotFoundError(f"no knowledge-base document {doc_id!r}")
    return Response(status_code=204)


@router.get(
    "/v1/analytics/summary",
    response_model=SummaryOut,
    tags=["admin", "csm"],
    responses=ERROR_RESPONSES,
)
def analytics_summary(
    session: SessionDep, principal: AnalystDep, since: SinceQuery = None, until: UntilQuery = None
) -> SummaryOut:
    """Summarise deflection, reasons, tags, feedback, latency and cost."""
    s = repository.analytics_summary(session, _aware(since), _aware(until))
    return SummaryOut(
        since=s.since,
        until=s.until,
        inquiries=s.inquiries,
        pending=s.pending,
        decided=s.decided,
        answered=s.answered,
        escalated=s.escalated,
        failed=s.failed,
        deflection_rate=s.deflection_rate,
        escalation_reasons=s.reasons,
        tags=s.tags,
        languages=s.languages,
        feedback=s.feedback,
        helpful_rate=s.helpful_rate,
        latency_median_ms=s.latency_median_ms,
        latency_p95_ms=s.latency_p95_ms,
        prompt_tokens=s.prompt_tokens,
        completion_tokens=s.completion_tokens,
        cost_usd=s.cost_usd,
        signals=s.signals,
    )


SearchDep = Annotated[Principal, Depends(require("agent"))]


@router.get(
    "/v1/search",
    response_model=SearchOut,
    tags=["support agent", "admin"],
    responses={**ERROR_RESPONSES, 503: {"model": ErrorOut}},
)
def search(
    services: ServicesDep,
    principal: SearchDep,
    q: Annotated[RequiredText, Query(min_length=1, max_length=2000)],
    source: Literal["kb", "ticket"] = "kb",
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    language: Language | None = None,
) -> SearchOut:
    """Search the knowledge base or past tickets."""
    retriever = cast(Retriever | None, getattr(services.agent, "retriever", None))
    if retriever is None:
        raise ServiceUnavailableError("this agent exposes no retriever to search with")
    hits = _knowledge_call(
        partial(retriever.search, q, source=source, k=k, language=language), "search"
    )
    return SearchOut(
        query=q,
        source=source,
        hits=[
            SearchHitOut(
                id=h.id,
                doc_id=h.doc_id,
                source=h.source,
                title=h.title,
                url=h.url,
                language=h.language,
                heading=h.heading,
                text=h.text,
                score=h.score,
                vector_score=h.vector_score,
                lexical_score=h.lexical_score,
            )
            for h in hits
        ],
    )


# ====================================================================== health


@router.get("/healthz", response_model=HealthOut, tags=["ops"])
def healthz() -> HealthOut:
    """Say the process is alive."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    tags=["ops"],
    responses={503: {"model": HealthOut, "description": "not ready"}},
)
def readyz(request: Request) -> JSONResponse:
    """Say whether the database and the agent are ready."""
    services = cast(Services | None, getattr(request.app.state, "services", None))
    checks: dict[str, str] = {}
    if services is None:
        checks["startup"] = "in progress"
    else:
        try:
            services.db.ping()
            checks["database"] = "ok"
        except StoreError as exc:
            checks["database"] = exc.detail
        ready = getattr(services.agent, "ready", None)
        try:
            ok = bool(ready()) if callable(ready) else True
            checks["agent"] = "ok" if ok else "not ready"
        except Exception as exc:  # broad on purpose: readiness reports, never raises
            checks["agent"] = f"{exc.__class__.__name__}: {exc}"
    healthy = bool(checks) and all(value == "ok" for value in checks.values())
    body = HealthOut(status="ready" if healthy else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Expose Prometheus metrics."""
    registry = cast(Metrics, request.app.state.metrics).registry
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


# ====================================================================== middleware


class _BodyTooLargeError(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class GuardMiddleware:
    """Refuse oversized bodies and NUL-bearing URLs; count and time every request."""

    def __init__(self, app: ASGIApp, *, settings: ApiSettings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    def _limit(self, path: str) -> int:
        if path.startswith("/v1/kb/"):
            return self.settings.max_document_bytes
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._guarded(scope, receive, send_counted)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], label, str(status["code"])).inc()
            self.metrics.latency.labels(scope["method"], label).observe(
                time.perf_counter() - started
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if "\x00" in path or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            await _error(400, "bad_request", "URLs must not contain NUL characters")(
                scope, receive, send
            )
            return
        limit = self._limit(path)
        length = dict(scope["headers"]).get(b"content-length")
        too_large = _error(
            413,
            "payload_too_large",
            f"the request body is larger than {limit} bytes",
            hint="send a smaller body",
        )

        if length is not None and length.isdigit() and int(length) > limit:
            await too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLargeError(limit)
            return message

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive_limited, send_tracked)
        except _BodyTooLargeError:
            if started:
                raise
            await too_large(scope, receive, send)


# ====================================================================== the app


def create_app(
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
    agent: TriageAgent | None = None,
) -> FastAPI:
    """Build the app; the lifespan opens the database (migrating it) and the agent."""
    api = api_settings or load_api_settings()
    metrics_ = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database.open(api.database_url)
        try:
            await _in_thread(db.migrate)
            keys = [(role, repository.sha256_hex(key)) for role, key in api.parsed_keys()]

            def sync_keys() -> None:
                with db.session() as session:
                    repository.sync_env_keys(session, keys)

            await _in_thread(sync_keys)
            keyring = KeyRing(db)
            if not await _in_thread(keyring.load):
                log.warning("no API keys: every /v1 route will answer 401; set KOTAE_API_KEYS")
            the_agent = (
                agent if agent is not None else await _in_thread(partial(load_agent, api, settings))
            )
            if agent is None:
                warm_up = getattr(the_agent, "warm_up", None)
                if callable(warm_up):
                    try:
                        await _in_thread(warm_up)
                    except Exception:  # broad on purpose: a cold index is no reason not to start
                        log.warning("warming the agent up failed; the first inquiries will "
                                    "build its indexes", exc_info=True)
                if api.gc_freeze:
                    # What start-up built (the index, the models, the app) lives as long as
                    # the process: keep the cyclic garbage collector from walking it. A full
                    # collection over the demo agent's 186k objects took ~110 ms (quiet
                    # machine), found nothing to free, and held the worker's requests
                    # meanwhile. (Objects replaced later, such as a retrained tagger, are
                    # still freed by reference counting.)
                    gc.collect()
                    gc.freeze()
            worker = BackgroundWorker(
                db,
                WorkerConfig(
                    lease_s=api.lease_s,
                    max_attempts=api.recovery_max_attempts,
                    maintenance_s=api.maintenance_s,
                    webhook=api.webhook(),
                    delivery_poll_s=api.webhook_poll_s,
                ),
                decide=the_agent.handle,
                learn=the_agent.learn,
                on_outcome=metrics_.outcome,
                on_delivery=metrics_.delivered,
                refresh=getattr(the_agent, "refresh_tagger", None),
            )
            services = Services(
                api=api,
                db=db,
                agent=the_agent,
                keys=keyring,
                metrics=metrics_,
                key_limits=TokenBuckets(api.rate_limit_key_per_s, api.rate_limit_key_burst),
                ip_limits=TokenBuckets(api.rate_limit_ip_per_s, api.rate_limit_ip_burst),
                agent_limiter=anyio.CapacityLimiter(api.agent_concurrency),
                worker=worker,
            )
            worker.in_flight = services.in_flight.keys()
            worker.start()
            app.state.services = services
        except BaseException:
            db.close()
            raise
        try:
            yield
        finally:
            app.state.services = None
            if services.in_flight:  # let answers in progress be recorded
                await asyncio.wait(list(services.in_flight.values()), timeout=api.shutdown_grace_s)
            await worker.stop()
            close = getattr(the_agent, "close", None)
            if callable(close) and agent is None:
                with contextlib.suppress(Exception):
                    await _in_thread(close)
            db.close()

    app = FastAPI(
        title="Kotae",
        summary="Support triage and auto-answer: grounded answers, escalations with reasons, "
        "expansion signals.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.metrics = metrics_
    app.state.services = None
    _install_error_handlers(app)
    app.include_router(router)
    app.add_middleware(GuardMiddleware, settings=api, metrics=metrics_)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Accept",
                "Idempotency-Key",
                "X-Conversation-Token",
            ],
            expose_headers=["Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    mount_web(app, next((key for role, key in api.parsed_keys() if role == "widget"), None))
    return app


# ====================================================================== web (widget, console, demo)


def mount_web(app: FastAPI, widget_key: str | None = None) -> None:
    """Serve web/: the widget at /widget.js, the console at /console/, the demo page at /."""
    import html
    from pathlib import Path as FilePath

    from fastapi.responses import FileResponse, HTMLResponse
    from fastapi.staticfiles import StaticFiles

    web = FilePath(__file__).resolve().parent / "web"

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_js() -> FileResponse:
        return FileResponse(
            web / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_page() -> HTMLResponse:
        # The demo page carries the configured widget key: widget keys are public by design.
        page = (web / "demo" / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(
            page.replace("{{WIDGET_KEY}}", html.escape(widget_key or "")),
            headers={"Cache-Control": "no-cache"},
        )

    app.mount("/console", StaticFiles(directory=web / "console", html=True), name="console")


__all__ = ["ApiSettings", "TriageAgent", "create_app", "load_api_settings", "mount_web"]
