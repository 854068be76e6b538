"""The HTTP service's settings (the agent's are in settings.Settings), read from KOTAE_* variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from channels.chatwoot import Chatwoot
from channels.email import Email
from channels.model import Channel
from channels.runner import RunnerConfig
from channels.zendesk import Zendesk
from errors import ConfigError
from settings import default_database_url
from storage.models import API_KEY_ROLES
from storage.outbox import WebhookConfig

if TYPE_CHECKING:
    from insights.accounts import HealthConfig

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

    # Unset: sqlite:///<KOTAE_STORE_DIR>/kotae.sqlite3, the database beside its store
    # (database_for). Any SQLite file or postgresql+psycopg://… URL overrides it.
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    api_keys: SecretStr | None = Field(
        None, description='"role:key,…" with roles widget, agent, csm, admin'
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call the API from a browser"
    )
    # Token buckets (0 per second turns one off). One address gets a small one; a key, shared
    # by every customer of a widget, one far larger, so that a few addresses spending their
    # whole allowance cannot use up everyone's. A conversation gets its own: rotating
    # addresses does not buy one conversation more. A read (GET) costs read_cost of a token.
    rate_limit_key_per_s: float = 300.0
    rate_limit_key_burst: int = 3000
    rate_limit_ip_per_s: float = 10.0
    rate_limit_ip_burst: int = 60
    rate_limit_conversation_per_s: float = 1.0
    rate_limit_conversation_burst: int = 20
    rate_limit_read_cost: float = 0.25
    # Proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated): the
    # client is the last address such a proxy was sent from. From anyone else the header is
    # ignored, so a client cannot name itself a fresh address per request.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 64 * 1024
    max_document_bytes: int = 4 * 1024 * 1024  # PUT /v1/kb/documents/… bodies
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Webhooks carry customers' words with personal data masked; true sends them as written,
    # for a receiver trusted with them (your own help desk, not a chat channel).
    webhook_raw_text: bool = False
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
    # With the index catalog in the database (KOTAE_CATALOG=database), /readyz answers 503
    # while this host's search caches have been behind the shared index for longer.
    ready_max_lag_s: float = Field(30.0, gt=0)
    # A resolution being learned is claimed by one host for this long (then, if it failed,
    # retried by any host).
    learn_claim_s: float = Field(60.0, gt=0)
    # Channels (docs/CHANNELS.md): Chatwoot as an Agent Bot. Set all three to turn it on.
    chatwoot_url: str | None = None  # the Chatwoot installation, e.g. https://chat.example.com
    chatwoot_bot_token: SecretStr | None = None  # the agent bot's access token
    chatwoot_webhook_secret: SecretStr | None = None  # the agent bot's secret (signs webhooks)
    # The contact custom attribute that names Kotae's account id (else the contact's company).
    chatwoot_account_attribute: str = "account_id"
    # E-mail (docs/CHANNELS.md): inbound webhook (Postmark's JSON) in, SMTP out. Set
    # KOTAE_EMAIL_FROM, KOTAE_EMAIL_WEBHOOK_SECRET and KOTAE_SMTP_HOST to turn it on.
    email_from: str | None = None  # e.g. "Support <support@example.com>"
    email_webhook_secret: SecretStr | None = None  # the Basic-auth password of the webhook URL
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # Zendesk (docs/CHANNELS.md): a trigger's webhook in, ticket comments out.
    zendesk_url: str | None = None  # https://<subdomain>.zendesk.com
    zendesk_email: str | None = None  # the agent Kotae comments as
    zendesk_api_token: SecretStr | None = None
    zendesk_webhook_secret: SecretStr | None = None  # the webhook's signing secret
    # Tags whose answers are left as internal drafts instead of public comments.
    zendesk_draft_only: Annotated[list[str], NoDecode] = Field(default_factory=list)
    channel_poll_s: float = 1.0
    channel_claim_s: float = 120.0  # an event being worked is retried by anyone after this
    channel_backoff_s: float = 2.0
    channel_max_backoff_s: float = 300.0
    channel_max_attempts: int = 50
    channel_timeout_s: float = 10.0
    agent_factory: str | None = Field(
        None, description='"module:callable" returning an agent (stubs for benchmarks, tests)'
    )
    # Insights: account health (insights.accounts) and content performance. Weights and
    # full points override the defaults part by part ("churn_signals=25,bugs_hit=10").
    health_weights: str | None = None
    health_full_at: str | None = None
    health_watch_below: float = 75.0
    health_risk_below: float = 50.0
    insights_window_days: int = 30
    # Pages read computed insights (account health, the 30-day content table) at most this
    # old; the maintenance pass recomputes them, so a band change is reported within it.
    insights_max_age_s: float = 300.0
    # A JSON list of {account_id, company, plan, seats}: names accounts on the pages.
    accounts_path: str | None = None
    # Topics and bug clusters are re-clustered this often (hours; 0: only by hand), by one
    # of the API hosts (insights.duty); new inquiries join their topics on every pass.
    topics_recluster_hours: float = 24.0

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("zendesk_draft_only", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"KOTAE_TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR block "
                    "(e.g. 10.0.0.5 or 10.0.0.0/8)") from None
        return value

    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Return the trusted proxies as networks."""
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

    def health_config(self) -> HealthConfig:
        """Return how account health is scored (raises ConfigError on bad weights or bands)."""
        from insights.accounts import HealthConfig

        return HealthConfig.from_settings(
            self.health_weights, self.health_full_at, watch_below=self.health_watch_below,
            risk_below=self.health_risk_below, window_days=self.insights_window_days)

    @model_validator(mode="after")
    def _check(self) -> ApiSettings:
        self.parsed_keys()  # raises on a malformed KOTAE_API_KEYS
        try:
            self.health_config()
        except ConfigError as exc:
            raise ValueError(f"KOTAE_HEALTH_*: {exc}") from exc
        if self.insights_max_age_s < 0:
            raise ValueError("KOTAE_INSIGHTS_MAX_AGE_S must not be negative")
        if self.topics_recluster_hours < 0:
            raise ValueError("KOTAE_TOPICS_RECLUSTER_HOURS must not be negative (0: only by hand)")
        if self.webhook_url:
            if not self.webhook_url.startswith(("http://", "https://")):
                raise ValueError("KOTAE_WEBHOOK_URL must be an http:// or https:// URL")
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if len(secret) < 16:
                raise ValueError(
                    "KOTAE_WEBHOOK_URL needs KOTAE_WEBHOOK_SECRET of at least 16 "
                    "characters, shared with the receiver to check signatures"
                )
        chatwoot = (self.chatwoot_url, self.chatwoot_bot_token, self.chatwoot_webhook_secret)
        if any(chatwoot) and not all(chatwoot):
            raise ValueError("Chatwoot needs KOTAE_CHATWOOT_URL, KOTAE_CHATWOOT_BOT_TOKEN and "
                             "KOTAE_CHATWOOT_WEBHOOK_SECRET (the agent bot's secret) together")
        zendesk = (self.zendesk_url, self.zendesk_email, self.zendesk_api_token,
                   self.zendesk_webhook_secret)
        if any(zendesk) and not all(zendesk):
            raise ValueError("Zendesk needs KOTAE_ZENDESK_URL, KOTAE_ZENDESK_EMAIL, "
                             "KOTAE_ZENDESK_API_TOKEN and KOTAE_ZENDESK_WEBHOOK_SECRET together")
        email = (self.email_from, self.email_webhook_secret, self.smtp_host)
        if any(email) and not all(email):
            raise ValueError("e-mail needs KOTAE_EMAIL_FROM, KOTAE_EMAIL_WEBHOOK_SECRET and "
                             "KOTAE_SMTP_HOST together")
        if self.chatwoot_url and not self.chatwoot_url.startswith(("http://", "https://")):
            raise ValueError("KOTAE_CHATWOOT_URL must be an http:// or https:// URL")
        for name in (
            "channel_poll_s",
            "channel_timeout_s",
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
        for name in ("key_per_s", "key_burst", "ip_per_s", "ip_burst", "conversation_per_s",
                     "conversation_burst", "read_cost"):
            if getattr(self, f"rate_limit_{name}") < 0:
                raise ValueError(f"KOTAE_RATE_LIMIT_{name.upper()} must not be negative")
        if not 0 < self.rate_limit_read_cost <= 1:
            raise ValueError("KOTAE_RATE_LIMIT_READ_COST is a fraction of a token: above 0, "
                             "at most 1")
        if self.rate_limit_key_per_s and self.rate_limit_ip_per_s and (
                self.rate_limit_key_burst < 10 * self.rate_limit_ip_burst
                or self.rate_limit_key_per_s < 10 * self.rate_limit_ip_per_s):
            raise ValueError(
                f"the per-key rate limit ({self.rate_limit_key_per_s:g}/s, burst "
                f"{self.rate_limit_key_burst}) must be at least ten times the per-address one "
                f"({self.rate_limit_ip_per_s:g}/s, burst {self.rate_limit_ip_burst}): every "
                "customer shares the widget key, and a few addresses within their own limit "
                "would use it up; raise KOTAE_RATE_LIMIT_KEY_PER_S and _BURST")
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

    def database_for(self, store_dir: Path) -> str:
        """Return DATABASE_URL, else the SQLite file in the store folder (settings.DATABASE_FILE)."""
        return self.database_url or default_database_url(store_dir)

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
            raw_text=self.webhook_raw_text,
        )


    def channels(self) -> dict[str, Channel]:
        """Return the configured channels by name (empty: none)."""
        found: dict[str, Channel] = {}
        if self.chatwoot_url and self.chatwoot_bot_token and self.chatwoot_webhook_secret:
            found["chatwoot"] = Chatwoot(
                base_url=self.chatwoot_url,
                bot_token=self.chatwoot_bot_token.get_secret_value(),
                secret=self.chatwoot_webhook_secret.get_secret_value(),
                account_attribute=self.chatwoot_account_attribute,
            )
        if self.email_from and self.email_webhook_secret and self.smtp_host:
            found["email"] = Email(
                smtp_host=self.smtp_host,
                smtp_port=self.smtp_port,
                sender=self.email_from,
                secret=self.email_webhook_secret.get_secret_value(),
                smtp_username=self.smtp_username,
                smtp_password=self.smtp_password.get_secret_value() if self.smtp_password
                else None,
                smtp_starttls=self.smtp_starttls,
            )
        if (self.zendesk_url and self.zendesk_email and self.zendesk_api_token
                and self.zendesk_webhook_secret):
            found["zendesk"] = Zendesk(
                base_url=self.zendesk_url, email=self.zendesk_email,
                api_token=self.zendesk_api_token.get_secret_value(),
                secret=self.zendesk_webhook_secret.get_secret_value(),
                draft_only=tuple(self.zendesk_draft_only))
        return found

    def channel_runner(self) -> RunnerConfig:
        """Return how channel events are worked."""
        return RunnerConfig(
            poll_s=self.channel_poll_s, claim_s=self.channel_claim_s,
            backoff_s=self.channel_backoff_s, max_backoff_s=self.channel_max_backoff_s,
            max_attempts=self.channel_max_attempts, timeout_s=self.channel_timeout_s,
            lease_s=self.inquiry_lease_s)


def load_api_settings(**overrides: Any) -> ApiSettings:
    """Read ApiSettings, turning validation errors into a ConfigError saying what to change."""
    try:
        return ApiSettings(**overrides)
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid API settings: " + "; ".join(lines)) from exc
