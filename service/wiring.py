"""The service's wiring: the agent it serves, and the stores and worker the lifespan opens once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

import anyio
from fastapi import FastAPI

from agent.policy import Policy
from agent.policy_reload import PolicyHolder, PolicyReloader
from agent.types import Decision, Inquiry
from channels.handoff import HandoffRules
from channels.runner import ChannelRunner
from errors import ConfigError
from retrieval.types import Document, Ticket
from service.access import KeyRing, Network, TokenBuckets
from service.metrics import Metrics
from service.settings import ApiSettings
from settings import DATABASE_FILE
from storage import processing
from storage.db import Database
from storage.repo import keys as key_store
from storage.repo.base import sha256_hex
from storage.worker import BackgroundWorker, WorkerConfig

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger("kotae.api")
# Where the database lived by default, relative to the working directory, before it moved
# into the store folder (settings.default_database_url).
LEGACY_DATABASE = "var/kotae.sqlite3"
T = TypeVar("T")


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


def database_url(api: ApiSettings, settings: Settings | None) -> str:
    """Return the operational database's URL: DATABASE_URL, else the file in the agent's store."""
    if api.database_url:
        return api.database_url
    from settings import load_settings

    store_dir = (settings or load_settings()).store_dir
    url = api.database_for(store_dir)
    legacy = Path(LEGACY_DATABASE)
    if legacy.exists() and not (store_dir / DATABASE_FILE).exists():
        log.warning(
            "%s (the database's default location before it moved into the store folder) is "
            "not used: this server starts a new database at %s/%s. To keep the old one, set "
            "DATABASE_URL=sqlite:///%s or move the file (with its -wal and -shm files, server "
            "stopped) into %s", legacy, store_dir, DATABASE_FILE, legacy, store_dir)
    log.info("operational database: %s", url)
    return url


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
    conversation_limits: TokenBuckets
    proxies: tuple[Network, ...]
    agent_limiter: anyio.CapacityLimiter
    worker: BackgroundWorker
    in_flight: dict[str, asyncio.Task[processing.Outcome]] = field(default_factory=dict)
    # Watches the agent's policy file (None for an agent without one, e.g. a custom factory's).
    policy: PolicyReloader | None = None
    # The hand-over rules (channels.handoff) every channel's inquiries go through.
    rules: HandoffRules | None = None
    # Works channel events (help desks, e-mail) off the outbox; None when none is configured.
    channels: ChannelRunner | None = None

    def deciding(self) -> processing.Decide:
        """Return the agent as every channel asks it: behind the hand-over rules."""
        return self.rules.guard(self.agent.handle) if self.rules else self.agent.handle

    def decide(
        self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
    ) -> Decision:
        """Ask the current agent behind the hand-over rules (for the background loops)."""
        return self.deciding()(inquiry, on_token=on_token)


async def in_thread(func: Callable[[], T]) -> T:
    """Run blocking work (the database, the agent) off the event loop."""
    return await anyio.to_thread.run_sync(func)


async def open_services(
    api: ApiSettings, settings: Settings | None, agent: TriageAgent | None, metrics: Metrics
) -> Services:
    """Migrate the database, sync the keys, build and warm the agent, start the worker."""
    db = Database.open(database_url(api, settings))
    try:
        await in_thread(db.migrate)
        keys = [(role, sha256_hex(key)) for role, key in api.parsed_keys()]

        def sync_keys() -> None:
            with db.session() as session:
                key_store.sync_env_keys(session, keys)

        await in_thread(sync_keys)
        keyring = KeyRing(db)
        if not await in_thread(keyring.load):
            log.warning("no API keys: every /v1 route will answer 401; set KOTAE_API_KEYS")
        the_agent = (
            agent if agent is not None else await in_thread(partial(load_agent, api, settings))
        )
        if agent is None:
            warm_up = getattr(the_agent, "warm_up", None)
            if callable(warm_up):
                try:
                    await in_thread(warm_up)
                except Exception:  # broad on purpose: a cold index is no reason not to start
                    log.warning("warming the agent up failed; the first inquiries will "
                                "build its indexes", exc_info=True)
            follow = getattr(the_agent, "follow_index", None)
            if callable(follow):  # a shared catalog: keep the caches current with it
                await in_thread(follow)
            if api.gc_freeze:
                # What start-up built (the index, the models, the app) lives as long as
                # the process: keep the cyclic garbage collector from walking it. A full
                # collection over the demo agent's 186k objects took ~110 ms (quiet
                # machine), found nothing to free, and held the worker's requests
                # meanwhile. (Objects replaced later, such as a retrained tagger, are
                # still freed by reference counting.)
                gc.collect()
                gc.freeze()
        reloader = policy_reloader(the_agent)
        rules = HandoffRules(policy=partial(agent_policy, the_agent))
        worker = BackgroundWorker(
            db,
            WorkerConfig(
                lease_s=api.lease_s,
                max_attempts=api.recovery_max_attempts,
                maintenance_s=api.maintenance_s,
                webhook=api.webhook(),
                delivery_poll_s=api.webhook_poll_s,
                learn_retry_s=api.learn_claim_s,
            ),
            decide=the_agent.handle,  # replaced below by the one behind the hand-over rules
            learn=the_agent.learn,
            on_outcome=metrics.outcome,
            on_delivery=metrics.delivered,
            refresh=with_topics(with_insights(
                maintenance(reloader, getattr(the_agent, "refresh_tagger", None)), db, api),
                db, the_agent),
            duties=recluster_duty(api, db, the_agent),
        )
        services = Services(
            api=api,
            db=db,
            agent=the_agent,
            keys=keyring,
            metrics=metrics,
            key_limits=TokenBuckets(api.rate_limit_key_per_s, api.rate_limit_key_burst),
            ip_limits=TokenBuckets(api.rate_limit_ip_per_s, api.rate_limit_ip_burst),
            conversation_limits=TokenBuckets(api.rate_limit_conversation_per_s,
                                             api.rate_limit_conversation_burst),
            proxies=api.proxy_networks(),
            agent_limiter=anyio.CapacityLimiter(api.agent_concurrency),
            worker=worker,
            policy=reloader,
            rules=rules,
        )
        worker.decide = services.decide
        worker.in_flight = services.in_flight.keys()
        worker.start()
        services.channels = start_channels(api, db, services.decide)
    except BaseException:
        db.close()
        raise
    return services


def agent_policy(agent: object) -> Policy | None:
    """Return the agent's current policy (it may be reloaded), or None when it has none."""
    policy = getattr(agent, "policy", None)
    return policy if isinstance(policy, Policy) else None


def start_channels(api: ApiSettings, db: Database, decide: processing.Decide
                   ) -> ChannelRunner | None:
    """Start working the configured channels' events, or return None when none is set."""
    configured = api.channels()
    if not configured:
        return None
    runner = ChannelRunner(db, configured, decide, api.channel_runner())
    runner.start()
    return runner


def policy_reloader(agent: object) -> PolicyReloader | None:
    """Return a watcher of the agent's policy file, or None when it has none to watch."""
    policy = getattr(agent, "policy", None)
    deps = getattr(agent, "deps", None)
    if not isinstance(policy, Policy) or policy.path is None or deps is None:
        return None
    embedder = getattr(getattr(deps, "embedder", None), "name", None)
    reloader = PolicyReloader(cast(PolicyHolder, agent), embedder=embedder)
    status = reloader.status()
    log.info("policy %s from %s (sha256 %s); answer decision: %s; a change to the file is "
             "picked up by the maintenance pass", status.version, policy.path,
             status.sha256[:12], status.answer_decision)
    return reloader


def maintenance(reloader: PolicyReloader | None,
                refresh_tagger: Callable[[], object] | None) -> Callable[[], None] | None:
    """Return what each maintenance pass does for the agent: reload a changed policy file,
    then retrain the tagger if another process taught the store."""
    if reloader is None and refresh_tagger is None:
        return None

    def refresh() -> None:
        if reloader is not None:
            reloader.check()  # first: cheap, and a new policy should not wait for a retrain
        if refresh_tagger is not None:
            refresh_tagger()

    return refresh


def with_insights(refresh: Callable[[], None] | None, db: Database,
                  api: ApiSettings) -> Callable[[], None]:
    """Return the maintenance pass plus keeping account health fresh, so a band change
    reaches the account.health_changed webhook even when nobody opens the page."""
    from insights.accounts import directory_for, ensure_fresh
    from insights.content import DEFAULT_DAYS, cached_content
    from insights.topics import cached_top_topics

    config, directory = api.health_config(), directory_for(api.accounts_path)

    def run() -> None:
        if refresh is not None:
            refresh()
        with db.session() as session:
            ensure_fresh(session, config, directory, api.insights_max_age_s)
            cached_content(session, DEFAULT_DAYS, api.insights_max_age_s)
            if api.insights_max_age_s > 0:  # else every page computes its own anyway
                for days in (7, 30):  # the topics page's default and the console's
                    cached_top_topics(session, days, 20, api.insights_max_age_s)

    return run


def embedder_of(agent: object) -> object | None:
    """Return the agent's embedding model (insights group inquiries with it), or None."""
    deps = getattr(agent, "deps", None)
    return getattr(deps, "embedder", None) or getattr(agent, "embedder", None)


def policy_for(agent: object) -> Callable[[], Policy]:
    """Return what reads the agent's current policy (else the default one, read once)."""
    default: list[Policy] = []

    def current() -> Policy:
        policy = agent_policy(agent)
        if policy is not None:
            return policy
        if not default:
            default.append(Policy.load(None))
        return default[0]

    return current


def with_topics(refresh: Callable[[], None], db: Database,
                agent: object) -> Callable[[], None]:
    """Return the maintenance pass plus joining new inquiries to their topics (and bug
    reports to their clusters), when the agent has an embedding model to read them with."""
    from insights.duty import Assigner
    from retrieval.embeddings import Embedder

    embedder = embedder_of(agent)
    if not isinstance(embedder, Embedder):
        return refresh
    assigner = Assigner(db, embedder, policy_for(agent))

    def run() -> None:
        assigner.run_once()  # first: the stored topic pages then count what just arrived
        refresh()

    return run


def recluster_duty(api: ApiSettings, db: Database, agent: object
                   ) -> list[tuple[str, Callable[[], object], float]]:
    """Return the loop that re-clusters topics every KOTAE_TOPICS_RECLUSTER_HOURS (none when
    that is 0 or the agent has no embedding model)."""
    from insights.duty import Reclusterer
    from retrieval.embeddings import Embedder

    embedder = embedder_of(agent)
    if api.topics_recluster_hours <= 0 or not isinstance(embedder, Embedder):
        return []

    def model() -> dict[str, object]:
        deps = getattr(agent, "deps", None)
        llm, prompts = getattr(deps, "llm", None), getattr(deps, "prompts", None)
        return {"llm": llm, "prompts": prompts} if llm is not None and prompts is not None else {}

    duty = Reclusterer(db, embedder, policy_for(agent), api.topics_recluster_hours * 3600,
                       model=model)
    return [("topics re-cluster", duty.run_once, api.maintenance_s)]


async def close_services(services: Services, *, close_agent: bool) -> None:
    """Let answers in progress be recorded, stop the worker, close the agent and the database."""
    if services.in_flight:
        await asyncio.wait(list(services.in_flight.values()), timeout=services.api.shutdown_grace_s)
    if services.channels is not None:
        await services.channels.stop()
    await services.worker.stop()
    close = getattr(services.agent, "close", None)
    if callable(close) and close_agent:
        with contextlib.suppress(Exception):
            await in_thread(close)
    services.db.close()


def lifespan_for(
    api: ApiSettings, settings: Settings | None, agent: TriageAgent | None, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Return the app's lifespan: services open before the first request, closed after the last."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await open_services(api, settings, agent, metrics)
        app.state.services = services
        try:
            yield
        finally:
            app.state.services = None
            # An agent handed in belongs to the caller, who closes it.
            await close_services(services, close_agent=agent is None)

    return lifespan
