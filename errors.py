"""One error hierarchy for Kotae: every error carries a stable code and a hint for the user."""

from __future__ import annotations

import math


class KotaeError(Exception):
    """Base of every error Kotae raises on purpose."""

    code = "kotae_error"
    http_status = 500

    def __init__(self, detail: str, *, hint: str | None = None) -> None:
        super().__init__(detail if hint is None else f"{detail} {hint}")
        self.detail = detail
        self.hint = hint


class ConfigError(KotaeError):
    """A setting is missing, unsafe or contradictory."""

    code = "config_error"


class InputError(KotaeError):
    """Input from a user or a file was malformed."""

    code = "invalid_input"
    http_status = 422


class NotFoundError(KotaeError):
    """A requested object does not exist."""

    code = "not_found"
    http_status = 404


class StoreError(KotaeError):
    """The index or database could not be read or written."""

    code = "store_unavailable"
    http_status = 503


class ModelError(KotaeError):
    """A model (embedding or chat) failed or returned something unusable."""

    code = "model_unavailable"
    http_status = 503


class ConflictError(KotaeError):
    """The request clashes with the object's current state."""

    code = "conflict"
    http_status = 409


class AuthenticationError(KotaeError):
    """No API key, or one that is not known."""

    code = "unauthorized"
    http_status = 401


class PermissionDeniedError(KotaeError):
    """The key's role may not do this, or a conversation token is missing or wrong."""

    code = "forbidden"
    http_status = 403


class RateLimitedError(KotaeError):
    """Too many requests from one key or one address."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, detail: str, retry_after_s: float) -> None:
        super().__init__(detail, hint=f"retry after {math.ceil(retry_after_s)} s")
        self.retry_after_s = retry_after_s


class ServiceUnavailableError(KotaeError):
    """A part of the service is not ready or not configured."""

    code = "unavailable"
    http_status = 503
