"""Work channel events off the durable outbox: a webhook is stored, acknowledged, then worked.

A channel's route verifies a webhook and writes it to the outbox (`enqueue`) before it
answers, so the provider gets its 200 within its time limit (Chatwoot waits 5 s) and nothing
is lost to a crash: the runner claims due events (storage.outbox.claim_due), asks the agent
behind the hand-over rules, and carries out the replies through the channel's API. A step
that fails (the help desk is down) is retried with backoff; steps already done are
remembered on the event, so a retry never sends a reply twice. The agent is asked once per
message: the inquiry is keyed by the channel's message id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from agent.types import Decision
from channels.model import Action, Channel, ChannelEvent, Handover, Reply
from storage import outbox, processing
from storage.db import Database
from storage.models import ChannelThreadRow, OutboxRow, utcnow
from storage.repo import channels as threads
from storage.repo import escalations, inquiries
from storage.repo.base import commit_first

log = logging.getLogger("kotae.channels")

EVENT_PREFIX = "channel."


@dataclass(frozen=True)
class RunnerConfig:
    """How often and how persistently channel events are worked."""

    poll_s: float = 1.0
    claim_s: float = 120.0  # an event being worked is retried by anyone after this
    backoff_s: float = 2.0  # first retry after this; doubles each time
    max_backoff_s: float = 300.0
    max_attempts: int = 50
    timeout_s: float = 10.0  # per call to a channel's API
    batch: int = 20
    lease_s: float = 15.0  # an inquiry's answering lease (as the API's)


def event_name(channel: str) -> str:
    """Return the outbox event type of a channel's webhooks."""
    return f"{EVENT_PREFIX}{channel}"


def enqueue(session: Session, channel: str, delivery_id: str, body: dict[str, Any]) -> bool:
    """Store a verified webhook for the runner; return False for a delivery already stored."""
    digest = hashlib.sha256(f"{channel}\0{delivery_id}".encode()).hexdigest()[:32]
    now = utcnow()
    session.add(OutboxRow(
        id=f"ch_{digest}", event=event_name(channel), status="pending", attempts=0,
        created_at=now, next_attempt_at=now,
        payload={"body": body, "delivery_id": delivery_id[:200], "done": []},
    ))
    return commit_first(session)


def sources_of(decision: Decision) -> list[str]:
    """Return the sources an answer or draft rests on, one line each."""
    cited = decision.citations or decision.retrieved
    lines = []
    for citation in cited[:5]:
        where = f" {citation.url}" if citation.url else ""
        lines.append(f"- {citation.title} ({citation.source} {citation.id}){where}")
    return lines


def team_note(decision: Decision, detail_extra: str = "") -> str:
    """Return the private note left for the team on a hand-over: reason, sources, draft."""
    escalation = decision.escalation
    reason = escalation.reason.value if escalation else "low_confidence"
    lines = [f"Kotae handed this conversation over. Reason: {reason}"]
    if escalation and escalation.detail:
        lines.append(f"Detail: {escalation.detail}")
    if detail_extra:
        lines.append(detail_extra)
    lines.append(f"Tag: {decision.tag} · language: {decision.language}")
    sources = sources_of(decision)
    lines += (["Sources:", *sources] if sources else ["Sources: none found"])
    if escalation and escalation.draft:
        lines += ["Draft reply (check before sending):", escalation.draft]
    return "\n".join(lines)


def action_for(outcome: processing.Outcome, event: ChannelEvent) -> Action | None:
    """Return what the customer and the team are told about an outcome in a channel."""
    decision = outcome.decision
    if "held" in decision.flags:
        if event.status != "pending":
            return None  # people already have it in their queue: stay silent
        kind = "reopened by the customer after a person resolved it" if (
            "reopened" in decision.flags) else "the customer wrote while a person holds it"
        return Handover(notice=None, note=f"Kotae stayed silent: {kind}.",
                        reason="held", tag=decision.tag)
    if decision.action == "answer" and decision.answer:
        sources = [line for line in sources_of(decision) if "http" in line]
        text = decision.answer + ("\n\n" + "\n".join(sources) if sources else "")
        return Reply(text, tag=decision.tag)
    reason = decision.escalation.reason.value if decision.escalation else "low_confidence"
    return Handover(notice=outcome.notice, note=team_note(decision), reason=reason,
                    tag=decision.tag)


class ChannelRunner:
    """Claim channel events from the outbox and work them, in a background loop."""

    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        decide: processing.Decide,
        config: RunnerConfig,
    ) -> None:
        self.db = db
        self.channels = dict(channels)
        self.decide = decide
        self.config = config
        self._client: httpx.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    # ------------------------------------------------------------ one pass

    def run_once(self) -> dict[str, int]:
        """Work every due channel event once; return counts of done, retried and dead."""
        counts = {"done": 0, "retry": 0, "dead": 0}
        if self._client is None:
            self._client = httpx.Client(follow_redirects=False, timeout=self.config.timeout_s)
        rows = outbox.claim_due(
            self.db, utcnow(), events=[event_name(name) for name in self.channels],
            batch=self.config.batch, claim_s=self.config.claim_s)
        for row in rows:
            if self._stopping:
                break
            counts[self._work(row)] += 1
        return counts

    def _work(self, row: OutboxRow) -> str:
        channel = self.channels[row.event.removeprefix(EVENT_PREFIX)]
        done: list[str] = list(row.payload.get("done") or [])
        attempts = row.attempts + 1  # the claim counted this attempt in the database
        try:
            events = channel.parse(row.payload["body"])
            for event in events:
                self.handle(channel, event, done, row.id)
        except (ValueError, KeyError, TypeError) as exc:
            # Unreadable: retrying cannot help. Kept as dead, with why, for an operator.
            log.error("channel event %s is unreadable; dropped: %s", row.id, exc)
            self._settle(row.id, {"status": "dead", "last_error": f"unreadable: {exc}"[:500]})
            return "dead"
        except Exception as exc:  # broad on purpose: any failure is retried with backoff
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            if attempts >= self.config.max_attempts:
                log.error("channel event %s given up after %d attempts: %s", row.id, attempts,
                          error)
                self._settle(row.id, {"status": "dead", "last_error": error})
                return "dead"
            wait = min(self.config.backoff_s * 2 ** (attempts - 1), self.config.max_backoff_s)
            log.warning("channel event %s failed (attempt %d, next in %.1fs): %s", row.id,
                        attempts, wait, error)
            self._settle(row.id, {"next_attempt_at": utcnow() + timedelta(seconds=wait),
                                  "last_error": error})
            return "retry"
        self._settle(row.id, {"status": "delivered", "delivered_at": utcnow(),
                              "last_error": None})
        return "done"

    def _settle(self, row_id: str, values: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))
            session.commit()

    def _remember(self, row_id: str, done: list[str]) -> None:
        # Written as soon as a step succeeds: a crash after a reply never sends it again.
        with self.db.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is not None:
                row.payload = {**row.payload, "done": list(done)}
                session.commit()

    # ------------------------------------------------------------ one event

    def handle(self, channel: Channel, event: ChannelEvent, done: list[str], row_id: str) -> None:
        """Work one event: update who holds the thread, answer or hand over (idempotent)."""
        if event.kind == "ignored":
            log.debug("channel %s: ignored (%s)", channel.name, event.why)
            return
        customer = event.customer.model_dump(exclude_none=True) if event.customer else None
        with self.db.session() as session:
            thread = threads.ensure_thread(session, channel.name, event.thread_id,
                                           customer=customer, language=event.language,
                                           address=dict(event.address))
            if event.kind == "customer_message":
                pass
            elif event.kind == "agent_message":
                self._agent_replied(session, thread, event)
                return
            elif event.kind == "claimed":
                threads.set_thread_state(session, thread, "human", status=event.status)
                return
            elif event.kind == "released":
                # Back to the bot's queue, unless a person resolved it before: then it stays
                # with people (the next message hands it straight back).
                state = "human" if thread.human_resolved else "bot"
                threads.set_thread_state(session, thread, state, status=event.status)
                return
            elif event.kind == "resolved":
                self._resolved(session, thread, event)
                return
            elif event.kind == "opened":
                threads.set_thread_state(session, thread, thread.state, status=event.status)
                return
            conversation_id, address = thread.conversation_id, dict(thread.address or {})
        self._customer_wrote(channel, event, conversation_id, address, done, row_id)

    def _agent_replied(self, session: Session, thread: ChannelThreadRow,
                       event: ChannelEvent) -> None:
        threads.add_message(session, thread.conversation_id, "agent", event.text,
                            author=event.author)
        threads.set_thread_state(session, thread, "human", status=event.status)
        waiting = escalations.open_escalation_of(session, thread.conversation_id)
        if waiting is not None and waiting.status == "open":
            escalations.claim_escalation(session, waiting.id, event.author or thread.channel)

    def _resolved(self, session: Session, thread: ChannelThreadRow, event: ChannelEvent) -> None:
        threads.set_thread_state(session, thread, "resolved", status=event.status)
        threads.close_escalation(session, thread.conversation_id, actor=thread.channel)

    def _customer_wrote(self, channel: Channel, event: ChannelEvent, conversation_id: str,
                        address: dict[str, Any], done: list[str], row_id: str) -> None:
        key = event.message_id or hashlib.sha256(event.text.encode()).hexdigest()[:24]
        if not event.bot_may_answer:
            # Not the bot's to answer (the help desk has it with people): keep the turn.
            if f"{key}:recorded" not in done:
                with self.db.session() as session:
                    threads.add_message(session, conversation_id, "customer", event.text)
                done.append(f"{key}:recorded")
                self._remember(row_id, done)
            return
        with self.db.session() as session:
            received = inquiries.receive_inquiry(
                session, text=event.text, conversation_id=conversation_id,
                customer=event.customer.model_dump(exclude_none=True) if event.customer else None,
                language=event.language, api_key_id=f"channel:{channel.name}"[:40],
                idempotency_key=f"{event.thread_id}:{key}", request_hash=None,
                lease_s=self.config.lease_s)
        outcome = processing.answer(self.db, received.inquiry.id, self.decide,
                                    received=received)
        action = action_for(outcome, event)
        if action is None:
            return
        for step in channel.steps(action):
            marker = f"{key}:{step}"
            if marker in done:
                continue
            channel.perform(self._http(), address, action, step)
            done.append(marker)
            self._remember(row_id, done)
        if isinstance(action, Handover):
            with self.db.session() as session:
                thread = threads.thread_of(session, channel.name, event.thread_id)
                if thread is not None:
                    threads.set_thread_state(session, thread, "human", status="open")

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(follow_redirects=False, timeout=self.config.timeout_s)
        return self._client

    # ------------------------------------------------------------ the loop

    def start(self) -> None:
        """Start the loop on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        """Ask the loop to run now (safe from any thread)."""
        if self._loop is not None and self._wake is not None and not self._stopping:
            with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
                self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:
                await anyio.to_thread.run_sync(self.run_once, abandon_on_cancel=True)
            except Exception:  # broad on purpose: a failing pass must not end the loop
                log.exception("channel pass failed; retrying in %.1fs", self.config.poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_s)
            self._wake.clear()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop the loop, letting a pass in progress finish for up to grace_s."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            _, pending = await asyncio.wait([self._task], timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            self._client.close()
            self._client = None
