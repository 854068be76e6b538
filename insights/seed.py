"""Seed realistic traffic: replay past tickets and eval cases through the real agent.

Each item becomes an inquiry from its account, decided by the agent and stored exactly as
the API stores it (storage.processing), then moved back in time to a moment spread over the
past weeks, so the analytics, Insights and Accounts pages show something real on first run.
Some answers get a 👍 or 👎 (👎 where the case says the agent should have escalated) and some
escalations are resolved with the ticket's own resolution. A second run adds nothing: each
item is received under an idempotency key of its own. Webhook events of seeded decisions
are dropped: they report nothing that happened now.

    python -m insights seed --tickets data/demo/tickets.jsonl --cases data/demo/eval/cases.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.types import Decision
from errors import ConfigError
from storage import processing
from storage.db import Database
from storage.models import utcnow
from storage.repo import escalations, history, inquiries

SEED_KEY = "seed"  # the api_key_id seeded inquiries are received under
Decide = Callable[..., Decision]


@dataclass(frozen=True)
class Item:
    """One inquiry to replay: its words, who asked, and what a person later answered."""

    key: str
    turns: tuple[str, ...]
    account_id: str | None
    language: str | None
    plan: str | None = None
    resolution: str | None = None
    expected_action: str | None = None


def load_items(tickets: Path | None, cases: Path | None) -> list[Item]:
    """Read tickets (JSONL: subject, body, resolution, account_id…) and eval cases."""
    items: list[Item] = []
    for path, kind in ((tickets, "ticket"), (cases, "case")):
        if path is None:
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"{path}:{number} is not JSON: {exc}") from exc
            turns = _turns(record)
            if not turns or not record.get("id"):
                continue
            items.append(Item(
                key=f"demo-seed:{kind}:{record['id']}",
                turns=turns,
                account_id=record.get("account_id"),
                language=record.get("language"),
                plan=record.get("plan"),
                resolution=record.get("resolution") if kind == "ticket" else None,
                expected_action=record.get("expected_action"),
            ))
    return items


def _turns(record: dict[str, Any]) -> tuple[str, ...]:
    if record.get("messages"):
        said = [m.get("text") or m.get("content") for m in record["messages"]
                if m.get("role") in ("customer", "user")]
        return tuple(s for s in said if s)
    text = record.get("inquiry") or record.get("body")
    if not text:
        return ()
    subject = record.get("subject")
    return (f"{subject}\n\n{text}" if subject and record.get("body") else text,)


def _fraction(key: str, salt: str) -> float:
    """Return a stable number in [0, 1) for a key: the same item gets the same fate each run."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def when(item: Item, now: datetime, days: float) -> datetime:
    """Return the item's moment: spread over the past `days`, a little denser lately."""
    share = _fraction(item.key, "when") ** 1.3  # more of them recently: a rising trend
    return now - timedelta(days=days * share, minutes=5)


@dataclass
class Seeded:
    """What a run added."""

    inquiries: int = 0
    skipped: int = 0
    feedback: int = 0
    resolved: int = 0


def seed(db: Database, decide: Decide, items: Iterable[Item], *, days: float = 45.0,
         now: datetime | None = None, feedback_share: float = 0.3,
         resolve_share: float = 0.5, workers: int = 2,
         progress: Callable[[int], None] | None = None) -> Seeded:
    """Replay items through `decide` into db (idempotent); return what was added.

    Items are replayed `workers` at a time (the agent answers requests in parallel threads
    in the API as well); the turns of one conversation stay in order.
    """
    now = now or utcnow()
    result = Seeded()
    lock = threading.Lock()
    done = 0

    def one(item: Item) -> None:
        nonlocal done
        added = _replay_item(db, decide, item, now, days, feedback_share, resolve_share)
        with lock:
            result.inquiries += added.inquiries
            result.skipped += added.skipped
            result.feedback += added.feedback
            result.resolved += added.resolved
            done += 1
            if progress is not None:
                progress(done)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for future in [pool.submit(one, item) for item in items]:
            future.result()
    return result


def _replay_item(db: Database, decide: Decide, item: Item, now: datetime, days: float,
                 feedback_share: float, resolve_share: float) -> Seeded:
    result = Seeded()
    at = when(item, now, days)
    conversation_id: str | None = None
    for turn, text in enumerate(item.turns):
        key = item.key if turn == 0 else f"{item.key}#{turn}"
        customer = {"id": f"user-{item.account_id or 'anon'}", "account_id": item.account_id,
                    **({"plan": item.plan} if item.plan else {})}
        with db.session() as session:
            received = inquiries.receive_inquiry(
                session, text=text, conversation_id=conversation_id, customer=customer,
                language=item.language, api_key_id=SEED_KEY, idempotency_key=key,
                request_hash=None, lease_s=60.0)
        conversation_id = received.conversation.id
        if received.replay:
            result.skipped += 1
            continue
        outcome = processing.answer(db, received.inquiry.id, decide, received=received)
        moment = at + timedelta(minutes=3 * turn)
        with db.session() as session:
            history.record_inquiry_at(session, received.inquiry.id, moment,
                                      moment + timedelta(seconds=2))
            result.feedback += _rate(session, item, outcome.decision, received.inquiry.id,
                                     moment, feedback_share)
            result.resolved += _resolve(session, item, outcome.escalation_id, moment,
                                        resolve_share)
        result.inquiries += 1
    return result


def seeded(session: Session, item: Item) -> bool:
    """Return whether every turn of an item was received already."""
    return all(
        inquiries.find_by_idempotency_key(session, SEED_KEY,
                                          item.key if turn == 0 else f"{item.key}#{turn}")
        for turn in range(len(item.turns)))


def _rate(session: Session, item: Item, decision: Decision, inquiry_id: str, at: datetime,
          share: float) -> int:
    if decision.action != "answer" or _fraction(item.key, "rate") >= share:
        return 0
    # A case that should have been escalated was answered: that customer is unhappy.
    helpful = item.expected_action != "escalate" and _fraction(item.key, "helpful") < 0.8
    row = inquiries.record_feedback(session, inquiry_id, helpful, None)
    history.record_feedback_at(session, row.id, at + timedelta(minutes=1))
    return 1


def _resolve(session: Session, item: Item, escalation_id: str | None, at: datetime,
             share: float) -> int:
    if escalation_id is None or not item.resolution or _fraction(item.key, "resolve") >= share:
        return 0
    # precedent="": the ticket is in the index already; nothing new to reuse or review.
    escalations.resolve_escalation(session, escalation_id, item.resolution, None,
                                   "demo-seed", precedent="")
    done = at + timedelta(hours=2 + 20 * _fraction(item.key, "hours"))
    history.record_resolution_at(session, escalation_id, done)
    return 1


def main(argv: Sequence[str]) -> int:
    """Seed the configured database through the configured agent."""
    parser = argparse.ArgumentParser(
        prog="python -m insights seed",
        description="Replay past tickets and eval cases through the agent, spread over the "
                    "past weeks, with some feedback and resolutions (a second run adds nothing).",
        epilog="example: python -m insights seed --tickets data/demo/tickets.jsonl "
               "--cases data/demo/eval/cases.jsonl --days 28")
    parser.add_argument("--tickets", type=Path, help="past tickets (JSONL)")
    parser.add_argument("--cases", type=Path, help="eval cases (JSONL)")
    parser.add_argument("--days", type=float, default=45.0, help="spread over this many days")
    parser.add_argument("--workers", type=int, default=2, help="inquiries answered at once")
    args = parser.parse_args(list(argv))
    if args.tickets is None and args.cases is None:
        parser.error("give --tickets and/or --cases")
    if args.days <= 0:
        parser.error("--days must be above 0")
    from service.settings import load_api_settings
    from service.wiring import load_agent
    from settings import load_settings

    settings = load_settings()
    api = load_api_settings()
    db = Database.open(api.database_for(settings.store_dir))
    db.migrate()
    items = load_items(args.tickets, args.cases)
    started = time.perf_counter()
    with db.session() as session:
        done = sum(len(i.turns) for i in items if seeded(session, i))
    if done == sum(len(i.turns) for i in items):  # nothing to add: no need for the agent
        db.close()
        print(f"seed: 0 inquiries added ({done} already there)")
        return 0
    agent = load_agent(api, settings)
    result = seed(db, agent.handle, items, days=args.days, workers=args.workers)
    db.close()
    print(f"seed: {result.inquiries} inquiries added ({result.skipped} already there), "
          f"{result.feedback} rated, {result.resolved} resolved, "
          f"in {time.perf_counter() - started:.1f} s")
    return 0
