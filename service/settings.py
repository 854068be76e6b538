"""The HTTP service's settings (the agent's are in settings.Settings), read from KOTAE_* variables."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from errors import ConfigError
from storage.models import API_KEY_ROLES
from storage.outbox import WebhookConfig

Role = Literal["widget", "agent", "csm", "admin"]


def role_key(*roles: str) -> str:
    """Return "an agent key", "a widget or agent key": the article follows the first role."""
    article = "an" if roles and roles[0][:1] in ("a", "e", "i", "o", "u") else "a"
    return f"{article} {' or '.join(roles)} key"


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
                    f"KOTAE_API_KEYS: {role_key(role)} has {len(key)} characters; use "
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
