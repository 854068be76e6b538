"""Background work that keeps promises made in requests: recovery, learning, webhooks.

Two loops run beside the API, each doing its blocking work in a thread:
- maintenance: finish inquiries interrupted by a crash, teach the agent resolutions
  whose learning failed when they were resolved, and let it catch up: a policy file that
  changed is reloaded (agent.policy_reload), resolutions another process taught the shared
  store retrain its tagger;
- delivery: post due webhook events from the outbox, with retries and backoff.
Everything they act on lives in the database, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta

import anyio
import httpx

from retrieval.types import Ticket
from storage import outbox, processing
from storage.db import Database
from storage.models import EscalationRow, utcnow
from storage.repo import escalations, inquiries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How often and how persistently the loops work."""

    lease_s: float = 15.0  # renewed every third of this while answering; then retried
    max_attempts: int = 2  # answer attempts before an interrupted inquiry is escalated
    maintenance_s: float = 5.0
    # A resolution is claimed for this long while it is learned; after a failure, it is
    # tried again (by any process) once the claim has run out.
    learn_retry_s: float = 60.0
    webhook: outbox.WebhookConfig | None = None
    delivery_poll_s: float = 1.0


class BackgroundWorker:
    """Run the maintenance and delivery loops until stopped."""

    def __init__(
        self,
        db: Database,
        config: WorkerConfig,
        *,
        decide: processing.Decide,
        learn: Callable[[Ticket], None],
        in_flight: Collection[str] = (),
        on_outcome: Callable[[processing.Outcome], None] | None = None,
        on_delivery: Callable[[dict[str, int]], None] | None = None,
        refresh: Callable[[], object] | None = None,
        duties: Sequence[tuple[str, Callable[[], object], float]] = (),
    ) -> None:
        self.db = db
        self.refresh = refresh
        # Further loops (name, job, every seconds), e.g. the periodic re-cluster of topics,
        # which takes a while and should not hold recovery up.
        self.duties = list(duties)
        self.config = config
        self.decide = decide
        self.learn = learn
        self.in_flight = in_flight
        self.on_outcome = on_outcome
        self.on_delivery = on_delivery
        self._recovering: set[str] = set()  # inquiries the maintenance pass is answering
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver_now: asyncio.Event | None = None
        self._maintain_now: asyncio.Event | None = None
        self._renew_now: asyncio.Event | None = None
        self._duty_wakes: list[asyncio.Event] = []
        self._client: httpx.Client | None = None

    # ------------------------------------------------------------ one pass of each job

    def recover_once(self) -> list[processing.Outcome]:
        """Finish inquiries whose lease ran out; return their outcomes."""
        outcomes = processing.recover(
            self.db,
            self.decide,
            lease_s=self.config.lease_s,
            max_attempts=self.config.max_attempts,
            skip=self.in_flight,
            answering=self._recovering,
        )
        if self.on_outcome is not None:
            for outcome in outcomes:
                self.on_outcome(outcome)
        return outcomes

    def renew_once(self) -> int:
        """Extend the leases of the inquiries being answered here; return how many."""
        ids = [*self.in_flight, *self._recovering]
        if not ids:
            return 0
        with self.db.session() as session:
            return inquiries.renew_leases(session, ids, utcnow(), self.config.lease_s)

    def learn_once(self, *, settle_s: float = 5.0) -> int:
        """Teach the agent resolutions it has not learned; return how many it learned.

        Each is claimed in the database first, so that with several hosts (or workers) one
        learns it; the others' tagger follows through the shared index (refresh).
        """
        learned = 0
        with self.db.session() as session:
            rows = escalations.escalations_to_learn(session)
            # The resolve request teaches the agent itself; leave it a moment to do so.
            cutoff = utcnow() - timedelta(seconds=settle_s)
            due = [row.id for row in rows
                   if row.resolved_at is not None and row.resolved_at <= cutoff]
        for escalation_id in due:
            if self._stopping:
                break
            with self.db.session() as session:
                if not escalations.claim_learning(session, escalation_id,
                                                  self.config.learn_retry_s):
                    continue  # learned meanwhile, or another process is learning it
                row = session.get(EscalationRow, escalation_id)
                if row is None:
                    continue
                ticket = escalations.ticket_for(session, row)
            error = learn_ticket(self.learn, ticket)
            with self.db.session() as session:
                escalations.mark_learned(session, ticket.id, error)
            learned += error is None
        return learned

    def deliver_once(self) -> dict[str, int]:
        """Post due webhook events; return counts by outcome."""
        if self.config.webhook is None:
            return {}
        if self._client is None:
            self._client = httpx.Client(follow_redirects=False)
        counts = outbox.deliver_due(self.db, self.config.webhook, self._client)
        if self.on_delivery is not None and any(counts.values()):
            self.on_delivery(counts)
        return counts

    # ------------------------------------------------------------ the loops

    def start(self) -> None:
        """Start the loops on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._deliver_now = asyncio.Event()
        self._maintain_now = asyncio.Event()
        self._renew_now = asyncio.Event()
        self._tasks = [
            asyncio.create_task(
                self._run(
                    "maintenance", self._maintain, self.config.maintenance_s, self._maintain_now
                )
            ),
            asyncio.create_task(
                self._run(
                    "lease renewal", self.renew_once, self.config.lease_s / 3, self._renew_now
                )
            ),
        ]
        self._duty_wakes = [asyncio.Event() for _ in self.duties]
        for (name, job, every_s), wake in zip(self.duties, self._duty_wakes, strict=True):
            self._tasks.append(asyncio.create_task(self._run(name, job, every_s, wake)))
        if self.config.webhook is not None:
            self._tasks.append(
                asyncio.create_task(
                    self._run(
                        "delivery",
                        self.deliver_once,
                        self.config.delivery_poll_s,
                        self._deliver_now,
                    )
                )
            )

    def _maintain(self) -> None:
        self.recover_once()
        if not self._stopping:
            self.learn_once()
        if not self._stopping and self.refresh is not None:
            # Catch up with what other processes taught the shared store (their resolutions).
            self.refresh()

    def wake_delivery(self) -> None:
        """Ask the delivery loop to run now (safe to call from any thread)."""
        if self._loop is not None and self._deliver_now is not None and not self._stopping:
            with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
                self._loop.call_soon_threadsafe(self._deliver_now.set)

    async def _run(
        self, name: str, job: Callable[[], object], every_s: float, wake: asyncio.Event
    ) -> None:
        while not self._stopping:
            try:
                await anyio.to_thread.run_sync(job, abandon_on_cancel=True)
            except Exception:  # broad on purpose: a failing pass must not end the loop
                log.exception("background %s pass failed; retrying in %.1fs", name, every_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), every_s)
            wake.clear()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop the loops, letting a pass in progress finish for up to grace_s."""
        self._stopping = True
        for event in (self._deliver_now, self._maintain_now, self._renew_now,
                      *self._duty_wakes):
            if event is not None:
                event.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            self._client.close()
            self._client = None


def learn_ticket(learn: Callable[[Ticket], None], ticket: Ticket) -> str | None:
    """Teach the agent one resolution; return the error, or None when it learned."""
    try:
        learn(ticket)
    except Exception as exc:  # broad on purpose: recorded and retried by the worker
        log.warning("could not learn resolution %s: %s", ticket.id, exc)
        return f"{exc.__class__.__name__}: {exc}"
    return None
