"""What routes depend on, as `Annotated[..., Depends()]` aliases: services, a session, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
)
from service.access import Principal
from service.settings import Role, role_key
from service.wiring import Services
from storage.models import ConversationRow
from storage.repo import conversations


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
    """Return a dependency admitting only the given roles (admin is always admitted too)."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.may(roles):
            raise PermissionDeniedError(
                f"{role_key(principal.role)} may not do this; it needs {role_key(*roles)}"
            )
        return principal

    return check


CallerDep = Annotated[Principal, Depends(authenticate)]  # any known key, whatever its role
WidgetDep = Annotated[Principal, Depends(require("widget"))]
ReaderDep = Annotated[Principal, Depends(require("widget", "agent"))]
AgentDep = Annotated[Principal, Depends(require("agent"))]
CsmDep = Annotated[Principal, Depends(require("csm"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
ConversationToken = Annotated[
    str | None,
    Header(
        alias="X-Conversation-Token",
        max_length=200,
        description="the token returned with the conversation (widget keys must send it)",
    ),
]


def held_conversation(
    session: Session, principal: Principal, conversation_id: str, token: str | None
) -> ConversationRow:
    """Return a conversation the caller may use; a widget caller must hold its token."""
    conversation = conversations.get_conversation(session, conversation_id)
    # The widget key is public: only the conversation token proves who holds a conversation.
    if principal.role == "widget" and not conversations.token_matches(conversation, token):
        raise PermissionDeniedError(
            f"conversation {conversation.id} needs its token",
            hint="send the conversation_token you were given as X-Conversation-Token",
        )
    return conversation


AccountQuery = Annotated[str | None, Query(max_length=200)]
SinceQuery = Annotated[datetime | None, Query(description="from this time (ISO 8601)")]
UntilQuery = Annotated[datetime | None, Query(description="before this time (ISO 8601)")]


def aware(value: datetime | None) -> datetime | None:
    """Return a query's time in UTC (a time without a zone is taken as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
