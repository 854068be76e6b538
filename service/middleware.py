"""Guards every request passes before a route: body limits, NUL-free URLs, metrics, CORS.

Rate limits are applied with authentication (service.deps.authenticate), where the key is known.
"""

from __future__ import annotations

import time
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_response
from service.metrics import Metrics
from service.settings import ApiSettings


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
        if path.startswith(("/v1/kb/", "/v1/channels/")):  # documents; mail with attachments
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
            await error_response(400, "bad_request", "URLs must not contain NUL characters")(
                scope, receive, send
            )
            return
        limit = self._limit(path)
        length = dict(scope["headers"]).get(b"content-length")
        too_large = error_response(
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


def install_middleware(app: FastAPI, api: ApiSettings, metrics: Metrics) -> None:
    """Add the guard and, when origins are configured, CORS (outermost)."""
    app.add_middleware(GuardMiddleware, settings=api, metrics=metrics)
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
