"""The one mapping from errors to `{"error_code", "detail", "hint"?, "errors"?}` responses."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from errors import AuthenticationError, KotaeError, RateLimitedError, StoreError

log = logging.getLogger("kotae.api")
T = TypeVar("T")


class ErrorOut(BaseModel):
    """Every error response."""

    error_code: str = Field(description="stable machine-readable code, e.g. not_found")
    detail: str = Field(description="what went wrong")
    hint: str | None = Field(None, description="what to do about it")
    errors: list[dict[str, str]] | None = Field(None, description="each invalid field")


def error_response(
    status: int,
    code: str,
    detail: str,
    *,
    hint: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return an error in the one error shape."""
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


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Return every method some route allows on this path (a path may have several routes,
    e.g. PUT and DELETE on a document; the framework names only the first one's)."""
    routes = request.app.router.routes
    return ", ".join(method for method in _METHODS if any(
        route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes))


def _field_name(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, ours or the framework's, in the one error shape."""

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
        return error_response(
            status, exc.code, exc.detail, hint=exc.hint, headers=headers or None
        )

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
        return error_response(
            422, "invalid_input", detail or "the request is invalid", errors=errors
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
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
        elif exc.status_code == 400 and "integer string conversion" in str(exc.__cause__):
            # Python's JSON reader refuses integers of over 4,300 digits (a denial-of-service
            # guard); FastAPI reports that as a generic parse error.
            detail = "the body holds a number of over 4,300 digits"
            hint = "send numbers within the limits the API documents"
        elif exc.status_code == 413:
            hint = "send a smaller body"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed here"
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
            hint = f"use {headers['Allow']}"
        return error_response(exc.status_code, code, detail, hint=hint, headers=headers or None)

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(
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
    400: {"model": ErrorOut, "description": "a malformed request: NUL in the URL, a body that "
          "is not UTF-8, nested too deeply, or with a number of over 4,300 digits"},
    401: {"model": ErrorOut, "description": "missing or unknown API key"},
    403: {"model": ErrorOut, "description": "the key's role may not do this"},
    422: {"model": ErrorOut, "description": "invalid input, naming the field"},
    429: {"model": ErrorOut, "description": "rate limited; see Retry-After"},
}
#: For routes naming a resource in their path (or body) that may not exist.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such resource (the detail names it)"},
}
#: For routes that take a body: KOTAE_MAX_BODY_BYTES (KOTAE_MAX_DOCUMENT_BYTES for documents).
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "the body is larger than the limit it names"},
}


def knowledge_call(func: Callable[[], T], what: str) -> T:
    """Call the knowledge index, turning its failures into a StoreError (503) saying what failed."""
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
