"""Account health for customer-success managers, built from visible parts.

Every account that asked something starts at 100. Each part of its recent support history
takes off at most its weight: `contribution = -weight * min(1, value / full_at)`, so a CSM
reads exactly why an account scores what it does. The parts:

- `volume_trend`: growth of inquiries against the previous window (doubling is full; none
  without history in the previous window);
- frustration: `negative_sentiment` (escalations for strong negative words),
  `repeated_contacts` (follow-ups beyond a conversation's first question),
  `reopenings` (a resolved escalation reopened, or the customer writing again after it),
  `unhelpful_answers` (answers rated 👎);
- `bugs_hit` (inquiries tagged bug); `open_escalations` (waiting now, whatever their age);
- `churn_signals` (cancellation intent and strong frustration the agent raised).

Expansion potential is a separate 0-100 figure from expansion signals and inquiries tagged
`success_opportunity`, so a list can be sorted by risk or by who is ready to grow. The bands
(healthy, watch, at risk), the weights and the `full_at` points are settings. The last health
of each account is stored: crossing into another band emits `account.health_changed`.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from errors import ConfigError, NotFoundError
from storage.models import (
    AccountHealthRow,
    ConversationRow,
    EscalationRow,
    FeedbackRow,
    InquiryRow,
    InsightSnapshotRow,
    SignalRow,
    utcnow,
)
from storage.outbox import emit
from storage.repo.base import commit_first

Band = Literal["healthy", "watch", "at_risk"]
BANDS: tuple[Band, ...] = ("healthy", "watch", "at_risk")

#: Parts that take away from health: (weight, full_at). The weights add up to 100.
HEALTH_PARTS: dict[str, tuple[float, float]] = {
    "volume_trend": (10.0, 1.0),
    "negative_sentiment": (15.0, 3.0),
    "repeated_contacts": (10.0, 5.0),
    "reopenings": (10.0, 2.0),
    "unhelpful_answers": (10.0, 3.0),
    "bugs_hit": (15.0, 4.0),
    "open_escalations": (10.0, 3.0),
    "churn_signals": (20.0, 2.0),
}
#: Parts that add to expansion potential: (weight, full_at).
EXPANSION_PARTS: dict[str, tuple[float, float]] = {
    "expansion_signals": (70.0, 3.0),
    "success_questions": (30.0, 5.0),
}
_ALL_PARTS = {**HEALTH_PARTS, **EXPANSION_PARTS}


@dataclass(frozen=True)
class HealthConfig:
    """How health is scored: weights and full points per part, band limits, the window."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {k: w for k, (w, _) in _ALL_PARTS.items()})
    full_at: Mapping[str, float] = field(
        default_factory=lambda: {k: f for k, (_, f) in _ALL_PARTS.items()})
    watch_below: float = 75.0
    risk_below: float = 50.0
    window_days: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.risk_below <= self.watch_below <= 100:
            raise ConfigError(
                f"health bands: need 0 < risk_below ({self.risk_below}) <= watch_below "
                f"({self.watch_below}) <= 100")
        if self.window_days < 1:
            raise ConfigError("the health window must be at least one day")
        for name, value in [*self.weights.items(), *self.full_at.items()]:
            if name not in _ALL_PARTS:
                raise ConfigError(f"unknown health part {name!r}",
                                  hint="parts: " + ", ".join(_ALL_PARTS))
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"health part {name}: {value} is not a number >= 0")
        if any(self.full_at.get(name, 1.0) <= 0 for name in _ALL_PARTS):
            raise ConfigError("a health part's full_at must be above 0")

    @classmethod
    def from_settings(
        cls, weights: str | None = None, full_at: str | None = None, *,
        watch_below: float = 75.0, risk_below: float = 50.0, window_days: int = 30,
    ) -> HealthConfig:
        """Build a config from "part=number,…" overrides of the default weights and full points."""
        base = cls()
        return cls(
            weights={**base.weights, **_pairs(weights, "weights")},
            full_at={**base.full_at, **_pairs(full_at, "full_at")},
            watch_below=watch_below, risk_below=risk_below, window_days=window_days,
        )

    def band(self, score: float) -> Band:
        """Return the band a score falls in."""
        if score < self.risk_below:
            return "at_risk"
        return "watch" if score < self.watch_below else "healthy"


def _pairs(text: str | None, what: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value) if sep else math.nan
        except ValueError:
            out[name.strip()] = math.nan
        if math.isnan(out[name.strip()]):
            raise ConfigError(f"health {what}: {item.strip()!r} is not part=number",
                              hint="for example churn_signals=25,bugs_hit=10")
    return out


@dataclass
class Counts:
    """What one account's support history holds in the window (and the window before)."""

    inquiries: int = 0
    previous_inquiries: int = 0
    conversations: int = 0
    bugs: int = 0
    success_questions: int = 0
    negative_sentiment: int = 0
    reopenings: int = 0
    unhelpful: int = 0
    open_escalations: int = 0
    churn_signals: int = 0
    expansion_signals: int = 0
    last_inquiry_at: datetime | None = None


@dataclass(frozen=True)
class Directory:
    """What is known about accounts beyond their ids (company name, plan, seats)."""

    accounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None) -> Directory:
        """Read a JSON list of {account_id, company?, plan?, seats?, language?} (None: empty)."""
        if not path:
            return cls()
        try:
            items = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the accounts file {path}: {exc}",
                              hint="a JSON list of objects with account_id") from exc
        if not isinstance(items, list):
            raise ConfigError(f"the accounts file {path} must hold a JSON list")
        return cls({str(i["account_id"]): i for i in items
                    if isinstance(i, dict) and i.get("account_id")})

    def name(self, account_id: str) -> str | None:
        """Return the account's company name, if known."""
        value = self.accounts.get(account_id, {}).get("company")
        return str(value) if value else None

    def plan(self, account_id: str) -> str | None:
        """Return the account's plan, if known."""
        value = self.accounts.get(account_id, {}).get("plan")
        return str(value) if value else None


@functools.lru_cache(maxsize=8)
def directory_for(path: str | None) -> Directory:
    """Return the accounts file's directory, read once per path."""
    return Directory.load(path)


def _part(name: str, value: float, config: HealthConfig, sign: int,
          detail: dict[str, Any] | None = None) -> dict[str, Any]:
    weight = float(config.weights.get(name, 0.0))
    full = float(config.full_at.get(name, 1.0))
    share = min(1.0, max(0.0, value) / full)
    return {"name": name, "value": round(value, 3), "weight": weight, "full_at": full,
            "contribution": round(sign * weight * share, 2), **({"detail": detail} if detail else {})}


def score(account_id: str, counts: Counts, config: HealthConfig,
          directory: Directory | None = None) -> dict[str, Any]:
    """Return an account's health: score, band, expansion potential and every part."""
    # Growth against the window before; an account with no history then has no trend yet.
    growth = ((counts.inquiries - counts.previous_inquiries) / max(counts.previous_inquiries, 3)
              if counts.inquiries > counts.previous_inquiries > 0 else 0.0)
    repeated = max(0, counts.inquiries - counts.conversations)
    parts = [
        _part("volume_trend", growth, config, -1,
              {"inquiries": counts.inquiries, "previous": counts.previous_inquiries}),
        _part("negative_sentiment", counts.negative_sentiment, config, -1),
        _part("repeated_contacts", repeated, config, -1,
              {"conversations": counts.conversations}),
        _part("reopenings", counts.reopenings, config, -1),
        _part("unhelpful_answers", counts.unhelpful, config, -1),
        _part("bugs_hit", counts.bugs, config, -1),
        _part("open_escalations", counts.open_escalations, config, -1),
        _part("churn_signals", counts.churn_signals, config, -1),
    ]
    expansion_parts = [
        _part("expansion_signals", counts.expansion_signals, config, 1),
        _part("success_questions", counts.success_questions, config, 1),
    ]
    value = round(max(0.0, 100.0 + sum(p["contribution"] for p in parts)), 1)
    expansion = round(min(100.0, sum(p["contribution"] for p in expansion_parts)), 1)
    directory = directory or Directory()
    return {
        "account_id": account_id,
        "name": directory.name(account_id),
        "plan": directory.plan(account_id),
        "score": value,
        "band": config.band(value),
        "expansion": expansion,
        "inquiries": counts.inquiries,
        "previous_inquiries": counts.previous_inquiries,
        "last_inquiry_at": counts.last_inquiry_at.isoformat() if counts.last_inquiry_at else None,
        "parts": parts,
        "expansion_parts": expansion_parts,
        "window_days": config.window_days,
    }


def count_accounts(
    session: Session, config: HealthConfig, now: datetime, account_id: str | None = None
) -> dict[str, Counts]:
    """Count each account's history in the window ending now (one account, if given)."""
    start = now - timedelta(days=config.window_days)
    previous = start - timedelta(days=config.window_days)
    counts: dict[str, Counts] = {}

    def of(account: str | None) -> Counts:
        return counts.setdefault(account or "", Counts())

    account = ConversationRow.account_id
    current = InquiryRow.created_at >= start
    # No "account_id IS NOT NULL" here: SQLite would then drive the join from that index
    # (every conversation) instead of the inquiries' time range; rows without one are dropped.
    only = [account == account_id] if account_id else []
    in_window = [InquiryRow.created_at >= previous, InquiryRow.created_at < now]
    rows = session.execute(
        select(
            account,
            func.sum(case((current, 1), else_=0)),
            func.sum(case((current, 0), else_=1)),
            func.count(func.distinct(case((current, InquiryRow.conversation_id)))),
            func.sum(case((and_(current, InquiryRow.tag == "bug"), 1), else_=0)),
            func.sum(case((and_(current, InquiryRow.tag == "success_opportunity"), 1), else_=0)),
            func.max(InquiryRow.created_at),
        )
        .select_from(InquiryRow)
        .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
        .where(*only, *in_window)
        .group_by(account)
    ).all()
    for acct, cur, prev, convs, bugs, success, last in rows:
        c = of(acct)
        c.inquiries, c.previous_inquiries, c.conversations = int(cur or 0), int(prev or 0), convs
        c.bugs, c.success_questions = int(bugs or 0), int(success or 0)
        c.last_inquiry_at = _aware(last)
    # The customer wrote again after a person resolved the conversation: read from the
    # resolved escalations (far fewer than inquiries) to the inquiries that followed.
    for acct, n in session.execute(
        select(account, func.count())
        .select_from(EscalationRow)
        .join(InquiryRow, and_(InquiryRow.conversation_id == EscalationRow.conversation_id,
                               InquiryRow.created_at > EscalationRow.resolved_at))
        .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
        .where(*only, EscalationRow.resolved_at.is_not(None), current,
               InquiryRow.created_at < now)
        .group_by(account)
    ):
        of(acct).reopenings += n
    esc_account = EscalationRow.account_id
    esc_only = [esc_account == account_id] if account_id else [esc_account.is_not(None)]
    recent = and_(EscalationRow.created_at >= start, EscalationRow.created_at < now)
    waiting = EscalationRow.status.in_(("open", "claimed"))
    for acct, negative, open_, reopened in session.execute(
        select(
            esc_account,
            func.sum(case((and_(recent, EscalationRow.reason == "negative_sentiment"), 1),
                          else_=0)),
            func.sum(case((waiting, 1), else_=0)),
            # reopen_escalation puts a resolved one back in the queue with its resolution.
            func.sum(case((and_(waiting, EscalationRow.resolution.is_not(None)), 1), else_=0)),
        ).where(*esc_only).group_by(esc_account)
    ):
        c = of(acct)
        c.negative_sentiment, c.open_escalations = int(negative or 0), int(open_ or 0)
        c.reopenings += int(reopened or 0)
    for acct, n in session.execute(
        select(account, func.count())
        .select_from(FeedbackRow)
        .join(InquiryRow, InquiryRow.id == FeedbackRow.inquiry_id)
        .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
        .where(*only, current, InquiryRow.created_at < now, FeedbackRow.helpful.is_(False))
        .group_by(account)
    ):
        of(acct).unhelpful = n
    sig_only = [SignalRow.account_id == account_id] if account_id else [
        SignalRow.account_id.is_not(None)]
    for acct, kind, n in session.execute(
        select(SignalRow.account_id, SignalRow.kind, func.count())
        .where(*sig_only, SignalRow.created_at >= start, SignalRow.created_at < now)
        .group_by(SignalRow.account_id, SignalRow.kind)
    ):
        if kind == "churn_risk":
            of(acct).churn_signals = n
        elif kind == "expansion":
            of(acct).expansion_signals = n
    counts.pop("", None)
    return counts


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back max() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def compute(session: Session, config: HealthConfig, directory: Directory | None = None,
            now: datetime | None = None) -> list[dict[str, Any]]:
    """Return every account's health, without storing it."""
    now = now or utcnow()
    return [score(a, c, config, directory) for a, c in
            sorted(count_accounts(session, config, now).items())]


_refreshing = threading.Lock()


def refresh(session: Session, config: HealthConfig, directory: Directory | None = None,
            now: datetime | None = None) -> list[dict[str, Any]]:
    """Recompute and store every account's health; emit account.health_changed for each
    account whose band changed (or that appears outside the healthy band); return those."""
    now = now or utcnow()
    healths = {h["account_id"]: h for h in compute(session, config, directory, now)}
    stored = {row.account_id: row for row in session.scalars(select(AccountHealthRow))}
    for account_id in stored.keys() - healths.keys():  # nothing left in the window
        healths[account_id] = score(account_id, Counts(), config, directory)
    changed = []
    for account_id, health in healths.items():
        row = stored.get(account_id)
        before = row.band if row is not None else None
        if before != health["band"] and (before is not None or health["band"] != "healthy"):
            changed.append(health)
            emit(session, "account.health_changed", change_event(health, before, now))
        if quiet(health):
            # Nothing to show: not stored (an account missing from the table is healthy).
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = AccountHealthRow(account_id=account_id, band_since=now)
            session.add(row)
        if before != health["band"]:
            row.band_since = now
        row.score, row.band, row.expansion = health["score"], health["band"], health["expansion"]
        row.health, row.computed_at = health, now
    session.execute(delete(InsightSnapshotRow).where(InsightSnapshotRow.key == _COMPUTED))
    session.add(InsightSnapshotRow(key=_COMPUTED, payload={"accounts": len(healths)},
                                   computed_at=now))
    if not commit_first(session):  # another process stored the same accounts first
        return []
    return changed


_COMPUTED = "accounts:computed"


def quiet(health: Mapping[str, Any]) -> bool:
    """Return whether an account's window holds nothing at all (no inquiries, no parts)."""
    return not (health["inquiries"] or health["previous_inquiries"] or any(
        p["value"] for p in [*health["parts"], *health["expansion_parts"]]))


def computed_at(session: Session) -> datetime | None:
    """Return when account health was last computed (None: never)."""
    return _aware(session.scalar(select(InsightSnapshotRow.computed_at)
                                 .where(InsightSnapshotRow.key == _COMPUTED)))


def change_event(health: Mapping[str, Any], before: str | None, now: datetime) -> dict[str, Any]:
    """Return the data of an account.health_changed event."""
    worst = sorted(health["parts"], key=lambda p: p["contribution"])[:3]
    return {
        "account_id": health["account_id"],
        "name": health.get("name"),
        "previous_band": before,
        "band": health["band"],
        "score": health["score"],
        "expansion": health["expansion"],
        "main_parts": [{"name": p["name"], "value": p["value"],
                        "contribution": p["contribution"]} for p in worst if p["contribution"]],
        "computed_at": now.isoformat(),
    }


def ensure_fresh(session: Session, config: HealthConfig, directory: Directory | None,
                 max_age_s: float, now: datetime | None = None) -> datetime | None:
    """Refresh the stored health when it is older than max_age_s; return when it was computed."""
    now = now or utcnow()
    last = computed_at(session)
    if last is not None and (now - last).total_seconds() <= max_age_s:
        return last
    if not _refreshing.acquire(timeout=30):
        return last
    try:
        last = computed_at(session)
        if last is None or (now - last).total_seconds() > max_age_s:
            if last is not None and not _claim_refresh(session, last, now):
                return computed_at(session)  # another process (another host) is refreshing
            refresh(session, config, directory, now)
            last = now
        return last
    finally:
        _refreshing.release()


def _claim_refresh(session: Session, last: datetime, now: datetime) -> bool:
    """Claim the refresh of stale account health for this process: the first of several API
    hosts to move the computed time on from `last` refreshes, the others find it fresh. (The
    very first refresh has no row to claim: two at once are settled by its primary key.)"""
    claimed = session.execute(
        update(InsightSnapshotRow)
        .where(InsightSnapshotRow.key == _COMPUTED, InsightSnapshotRow.computed_at == last)
        .values(computed_at=now)
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


Sort = Literal["risk", "expansion", "name"]


def stored_healths(session: Session, *, band: str | None = None, sort: Sort = "risk",
                   limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Return the stored health of accounts with some history, sorted, one page of them."""
    query = select(AccountHealthRow.health)
    if band:
        query = query.where(AccountHealthRow.band == band)
    if sort == "name":  # names live in the health document: sort here
        items = sorted((dict(h) for h in session.scalars(query)), key=lambda h: (
            (h.get("name") or h["account_id"]).casefold(), h["account_id"]))
        return items[offset:None if limit is None else offset + limit]
    order = ((AccountHealthRow.expansion.desc(), AccountHealthRow.score)
             if sort == "expansion" else (AccountHealthRow.score, AccountHealthRow.expansion.desc()))
    query = query.order_by(*order, AccountHealthRow.account_id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(h) for h in session.scalars(query)]


def band_counts(session: Session) -> dict[str, int]:
    """Return how many stored accounts each band holds."""
    counts: dict[str, int] = dict.fromkeys(BANDS, 0)
    for band, n in session.execute(select(AccountHealthRow.band, func.count())
                                   .group_by(AccountHealthRow.band)):
        counts[band] = n
    return counts


def account_detail(session: Session, account_id: str, config: HealthConfig,
                   directory: Directory | None = None, now: datetime | None = None,
                   examples: int = 8) -> dict[str, Any]:
    """Return one account's health computed now, with recent inquiries and signals (masked)."""
    now = now or utcnow()
    counts = count_accounts(session, config, now, account_id)
    known = session.get(AccountHealthRow, account_id)
    if account_id not in counts and known is None:
        raise NotFoundError(f"no account {account_id!r} has asked anything",
                            hint="GET /v1/accounts lists the accounts with a history")
    health = score(account_id, counts.get(account_id, Counts()), config, directory)
    health["band_since"] = known.band_since.isoformat() if known else None
    recent = session.execute(
        select(InquiryRow.id, InquiryRow.created_at, InquiryRow.text, InquiryRow.action,
               InquiryRow.reason, InquiryRow.tag, InquiryRow.language)
        .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
        .where(ConversationRow.account_id == account_id)
        .order_by(InquiryRow.created_at.desc()).limit(examples)
    ).all()
    health["recent_inquiries"] = [
        {"inquiry_id": i, "created_at": _iso(at), "text": mask_pii(text[:500]),
         "action": action, "reason": reason, "tag": tag, "language": language}
        for i, at, text, action, reason, tag, language in recent
    ]
    signals = session.execute(
        select(SignalRow.id, SignalRow.kind, SignalRow.created_at, SignalRow.evidence,
               SignalRow.why, SignalRow.localized)
        .where(SignalRow.account_id == account_id)
        .order_by(SignalRow.created_at.desc()).limit(examples)
    ).all()
    health["recent_signals"] = [
        {"signal_id": i, "kind": kind, "created_at": _iso(at),
         "evidence": mask_pii(evidence[:500]), "why": why, "localized": localized}
        for i, kind, at, evidence, why, localized in signals
    ]
    return health


def _iso(value: datetime | None) -> str | None:
    aware = _aware(value)
    return aware.isoformat() if aware else None


CSV_COLUMNS = ("account_id", "name", "plan", "band", "score", "expansion", "inquiries",
               "previous_inquiries", *HEALTH_PARTS, *EXPANSION_PARTS, "last_inquiry_at")


def csv_rows(healths: Iterable[Mapping[str, Any]]) -> Iterable[list[Any]]:
    """Yield one CSV row per account: identity, score, band, and each part as value (contribution)."""
    for h in healths:
        parts = {p["name"]: p for p in [*h["parts"], *h["expansion_parts"]]}
        yield [
            h["account_id"], h.get("name") or "", h.get("plan") or "", h["band"], h["score"],
            h["expansion"], h["inquiries"], h["previous_inquiries"],
            *(f"{parts[n]['value']:g} ({parts[n]['contribution']:+g})" for n in
              [*HEALTH_PARTS, *EXPANSION_PARTS]),
            h.get("last_inquiry_at") or "",
        ]
