"""Each topic's figures per UTC day, so that a topics page for any period adds up stored days.

A topics page (`insights.topics.top_topics`) shows per topic: volume, decided, answered,
deflected, escalated after the answer, reopened, 👍/👎, escalation reasons, tags, languages,
the latest inquiries and the articles cited. Counted from the period's inquiries, that costs
what the period holds (a week of 100,000 inquiries: ~20,000 rows joined to their escalations,
feedback and citations). Here they are counted once per topic and UTC day (`topic_days`),
grouping the stored topic of each inquiry (no re-clustering, no embedding), and a page adds up
the whole days of its period and counts only its ragged ends live: from `since` to the next
midnight, and from the last counted midnight to `until`.

Past days change after the fact: an inquiry joins its topic a little later, a customer rates
an answer or writes again the next day, a conversation is escalated. `refresh` finds what
changed since it last ran (topic assignments made, feedback written, escalations opened,
each through an index on its time), counts again the days of the conversations concerned,
and counts the days that ended since; a re-cluster or a merge drops every day
(`forget`) and the next refresh counts them all (a few seconds at 100,000 inquiries).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage.models import (
    AnswerCitationRow,
    EscalationRow,
    FeedbackRow,
    InquiryClusterRow,
    InquiryRow,
    InsightSnapshotRow,
    TopicDayRow,
    utcnow,
)

EXAMPLES = 3  # latest inquiries kept per topic
NOT_EXAMPLES = ("injection_attempt",)  # escalation reasons never quoted as examples
KEY = "topic_days"  # the stamp in insight_snapshots: when counted, and through which day
#: Changes are looked for from this long before the previous refresh: a row written just
#: before it and committed just after is still found.
LAG = timedelta(minutes=2)
#: Changes counted by the last refresh are remembered (in the stamp) up to this many, so the
#: next refresh does not count their days again.
MAX_SEEN = 5000
DAY = timedelta(days=1)
Article = tuple[str, str, str | None, str]  # doc_id, title, url, source


@dataclass
class Figures:
    """One topic's figures over some span (a day, a ragged end, a whole period)."""

    volume: int = 0
    decided: int = 0
    answered: int = 0
    deflected: int = 0
    escalated_after_answer: int = 0
    reopened: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    articles: Counter[Article] = field(default_factory=Counter)
    latest: list[tuple[str, str]] = field(default_factory=list)  # (created, id), newest first

    COUNTS = ("volume", "decided", "answered", "deflected", "escalated_after_answer",
              "reopened", "thumbs_up", "thumbs_down")

    def add(self, other: Figures) -> None:
        """Add another span's figures to these."""
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        self.tags.update(other.tags)
        self.languages.update(other.languages)
        self.articles.update(other.articles)
        self.latest = sorted(set(self.latest) | set(other.latest), reverse=True)[:EXAMPLES]

    def as_json(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data (what a topic_days row stores)."""
        return {"counts": [getattr(self, n) for n in self.COUNTS],
                "reasons": dict(self.reasons), "tags": dict(self.tags),
                "languages": dict(self.languages),
                "articles": [[*a, n] for a, n in self.articles.items()],
                "latest": [list(x) for x in self.latest]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        """Read back what `as_json` returned."""
        out = cls(**dict(zip(cls.COUNTS, data["counts"], strict=True)))
        out.reasons.update(data["reasons"])
        out.tags.update(data["tags"])
        out.languages.update(data["languages"])
        out.articles.update({(d, t, u, s): n for d, t, u, s, n in data["articles"]})
        out.latest = [(at, i) for at, i in data["latest"]]
        return out


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def day_of(value: datetime) -> datetime:
    """Return 00:00 UTC of the day holding `value`."""
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def count(session: Session, start: datetime, end: datetime,
          topics: Sequence[str] | None = None) -> dict[str, Figures]:
    """Count the figures of every topic (or of `topics`) over inquiries created in
    [start, end), in the database: a few GROUP BY statements over the stored assignments."""
    return count_spans(session, [(start, end)], topics)


def count_spans(session: Session, spans: Sequence[tuple[datetime, datetime]],
                topics: Sequence[str] | None = None) -> dict[str, Figures]:
    """Count the figures of every topic (or of `topics`) over inquiries created in the
    spans [start, end) (a period's two ragged ends)."""
    out: dict[str, Figures] = {}
    if topics is not None and not topics:
        return out
    statements = _statements(topics is not None)
    for start, end in spans:  # one range each: an OR of ranges would not use the index
        params: dict[str, Any] = {"start": start, "end": end}
        if topics is not None:
            params["topics"] = list(topics)
        _add(out, session, statements, params)
    for f in out.values():
        f.latest = sorted(f.latest, reverse=True)[:EXAMPLES]
    return out


def _add(out: dict[str, Figures], session: Session, statements: tuple[Any, ...],
         params: dict[str, Any]) -> None:
    tally, members, thumbs, cited, newest = statements
    for row in session.execute(tally, params):
        cid, why, tag, language, n, decided, yes, escalated, back = row
        f = out.setdefault(cid, Figures())
        f.volume += int(n)
        f.decided += int(decided)
        f.answered += int(yes)
        f.escalated_after_answer += int(escalated)
        f.deflected += int(yes) - int(escalated)
        f.reopened += int(back)
        if why:
            f.reasons[why] += int(n)
        if tag:
            f.tags[tag] += int(n)
        f.languages[language or "?"] += int(n)
    # Feedback and citations by the span's inquiry ids (an index lookup each): joined to the
    # assignments, PostgreSQL hashed every citation of the history for a few hundred rows.
    topic_of: dict[str, str] = {iid: cid for iid, cid in session.execute(members, params)}
    ids = list(topic_of)
    for start in range(0, len(ids), 1000):
        chunk = {"ids": ids[start:start + 1000]}
        for iid, helpful in session.execute(thumbs, chunk):
            if helpful:
                out[topic_of[iid]].thumbs_up += 1
            else:
                out[topic_of[iid]].thumbs_down += 1
        for iid, doc, title, url, source in session.execute(cited, chunk):
            out[topic_of[iid]].articles[(doc, title, url, source)] += 1
    for cid, iid, at, _ in session.execute(newest, params):
        out[cid].latest.append((_stamp(at), iid))


@functools.cache
def _statements(some: bool) -> tuple[Any, ...]:
    """Build count_spans' four statements once (bound parameters start, end and, with
    `some`, topics): building them cost more than running them on a day's rows."""
    ic, inquiry = InquiryClusterRow, InquiryRow
    created = ic.inquiry_created_at
    where = [ic.kind == "topic", created >= bindparam("start"), created < bindparam("end")]
    if some:
        where.append(ic.cluster_id.in_(bindparam("topics", expanding=True)))
    answered = inquiry.action == "answer"
    # Escalated after the answer: the conversation was escalated at or after the decision.
    escalated_later = and_(answered, inquiry.decided_at.is_not(None), exists().where(
        EscalationRow.conversation_id == inquiry.conversation_id,
        EscalationRow.created_at >= inquiry.decided_at))
    # Reopened: after the answer the customer wrote again in the same conversation, on the
    # same topic.
    later, later_topic = aliased(InquiryRow), aliased(InquiryClusterRow)
    came_back = and_(answered, exists().where(
        later.conversation_id == inquiry.conversation_id, later.id != inquiry.id,
        or_(later.created_at > inquiry.created_at,
            and_(later.created_at == inquiry.created_at, later.id > inquiry.id)),
        later_topic.inquiry_id == later.id, later_topic.kind == "topic",
        later_topic.cluster_id == ic.cluster_id))

    def flag(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    reason = case((inquiry.action == "escalate", inquiry.reason), else_=None)
    tally = (select(ic.cluster_id, reason, inquiry.tag, inquiry.language, func.count(),
                    flag(inquiry.status != "received"), flag(answered), flag(escalated_later),
                    flag(came_back))
             .join(inquiry, inquiry.id == ic.inquiry_id).where(*where)
             .group_by(ic.cluster_id, reason, inquiry.tag, inquiry.language))
    members = select(ic.inquiry_id, ic.cluster_id).where(*where)
    ids: Any = bindparam("ids", expanding=True)
    thumbs = select(FeedbackRow.inquiry_id, FeedbackRow.helpful).where(
        FeedbackRow.inquiry_id.in_(ids))
    c = AnswerCitationRow
    cited = select(c.inquiry_id, c.doc_id, c.title, c.url, c.source).where(c.inquiry_id.in_(ids))
    rank = func.row_number().over(partition_by=ic.cluster_id,
                                  order_by=(created.desc(), ic.inquiry_id.desc()))
    # An example shows what customers ask: a message escalated as an attempt to instruct the
    # agent is counted in the topic's volume and reasons, but never quoted as an example.
    shown = or_(inquiry.reason.is_(None), inquiry.reason.not_in(NOT_EXAMPLES))
    ranked = (select(ic.cluster_id, ic.inquiry_id, created, rank.label("rank"))
              .join(inquiry, inquiry.id == ic.inquiry_id).where(*where, shown).subquery())
    newest = select(ranked).where(ranked.c.rank <= EXAMPLES)
    return tally, members, thumbs, cited, newest


def stored(session: Session, first: datetime, last: datetime,
           topics: Sequence[str]) -> dict[str, Figures]:
    """Add up the stored days [first, last) of `topics`."""
    out: dict[str, Figures] = {}
    for cid, data in session.execute(
            select(TopicDayRow.topic_id, TopicDayRow.figures)
            .where(TopicDayRow.day >= first, TopicDayRow.day < last,
                   TopicDayRow.topic_id.in_(list(topics)))):
        out.setdefault(cid, Figures()).add(Figures.from_json(data))
    return out


def stored_volumes(session: Session, first: datetime, last: datetime) -> Counter[str]:
    """Return each topic's volume over the stored days [first, last)."""
    return Counter({cid: int(n) for cid, n in session.execute(
        _volumes()[0], {"start": first, "end": last})})


def live_volumes(session: Session, start: datetime, end: datetime) -> Counter[str]:
    """Return each topic's volume over [start, end), from the assignments' index alone."""
    return Counter({cid: int(n) for cid, n in session.execute(
        _volumes()[1], {"start": start, "end": end})})


@functools.cache
def _volumes() -> tuple[Any, Any]:
    day, created = TopicDayRow.day, InquiryClusterRow.inquiry_created_at
    return (select(TopicDayRow.topic_id, func.sum(TopicDayRow.volume))
            .where(day >= bindparam("start"), day < bindparam("end"))
            .group_by(TopicDayRow.topic_id),
            select(InquiryClusterRow.cluster_id, func.count())
            .where(InquiryClusterRow.kind == "topic", created >= bindparam("start"),
                   created < bindparam("end"))
            .group_by(InquiryClusterRow.cluster_id))


def split(start: datetime, end: datetime, through: datetime | None
          ) -> tuple[tuple[datetime, datetime] | None, list[tuple[datetime, datetime]]]:
    """Divide [start, end) into the stored whole days it covers ([first, last), or None) and
    the ragged ends to count live (days from `through` on are not stored yet)."""
    if end <= start:
        return None, []
    first = day_of(start) if day_of(start) == start else day_of(start) + DAY
    last = day_of(end)
    if through is not None:
        last = min(last, through)
    if through is None or first >= last:
        return None, [(start, end)]
    ends = [(start, first)] if start < first else []
    if last < end:
        ends.append((last, end))
    return (first, last), ends


def through(session: Session) -> datetime | None:
    """Return the day from which nothing is stored (None: nothing is)."""
    row = session.get(InsightSnapshotRow, KEY)
    value = row.payload.get("through") if row is not None else None
    return datetime.fromisoformat(value) if value else None


def refresh(session: Session, now: datetime | None = None) -> datetime | None:
    """Bring the stored days up to date (commits); return the day from which nothing is
    stored (today: today is always counted live), or None when another process is counting
    every day for the first time (then pages count live)."""
    now = now or utcnow()
    today = day_of(now)
    row = session.get(InsightSnapshotRow, KEY)
    if row is None:
        return _first_count(session, now, today)
    done = through(session)
    if done is None:
        return None
    last, payload = row.computed_at, dict(row.payload)
    # Changes stamped from a little before the last refresh on (not before the last full
    # count: it counted those), less those the last refresh already counted.
    since = last - LAG
    if payload.get("full"):
        since = max(since, datetime.fromisoformat(payload["full"]))
    changes = _changes(session, since)
    seen = set(payload.get("seen") or ())
    days = _days_of(session, {c for k, c in changes.items() if k not in seen}, done)
    day = done
    while day < today:
        days.add(day)
        day += DAY
    if not days:
        return done
    # Claim the recount: of several processes finding the same changes, the first to move
    # the stamp on from `last` counts; the others read the days as they are.
    claimed = session.execute(
        update(InsightSnapshotRow)
        .where(InsightSnapshotRow.key == KEY, InsightSnapshotRow.computed_at == last)
        .values(computed_at=now, payload={
            "through": today.isoformat(), "full": payload.get("full"),
            "seen": sorted(changes) if len(changes) <= MAX_SEEN else []})
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        session.rollback()
        return through(session)
    _recount(session, sorted(days))
    session.commit()
    session.expire_all()
    return today


def _first_count(session: Session, now: datetime, today: datetime) -> datetime | None:
    session.add(InsightSnapshotRow(key=KEY, payload={"through": None}, computed_at=now))
    try:
        session.flush()
    except IntegrityError:  # another process is counting them
        session.rollback()
        return None
    created = InquiryClusterRow.inquiry_created_at
    days: list[datetime] = []  # the days that hold inquiries, oldest first
    start = session.scalar(select(func.min(created)).where(InquiryClusterRow.kind == "topic"))
    while start is not None and day_of(start) < today:
        days.append(day_of(start))
        start = session.scalar(select(func.min(created)).where(
            InquiryClusterRow.kind == "topic", created >= day_of(start) + DAY))
    _recount(session, days)
    session.execute(update(InsightSnapshotRow).where(InsightSnapshotRow.key == KEY)
                    .values(payload={"through": today.isoformat(), "full": now.isoformat()})
                    .execution_options(synchronize_session=False))
    session.commit()
    session.expire_all()
    return today


def _changes(session: Session, since: datetime) -> dict[str, str]:
    """Return what changed since `since` that a stored day may count (topic assignments made,
    feedback written, escalations opened), each as a key naming the row and its time, with
    the conversation it belongs to."""
    i, ic, fb, esc = InquiryRow, InquiryClusterRow, FeedbackRow, EscalationRow
    out: dict[str, str] = {}
    # (bug clusters' assignments too: a filter on the kind would lead SQLite, without
    # statistics, to read every assignment of the kind instead of the recent ones)
    for iid, kind, at, conversation in session.execute(
            select(ic.inquiry_id, ic.kind, ic.assigned_at, i.conversation_id)
            .join(i, i.id == ic.inquiry_id).where(ic.assigned_at >= since)):
        out[f"a {iid} {kind} {_stamp(at)}"] = conversation
    for fid, at, conversation in session.execute(
            select(fb.id, fb.updated_at, i.conversation_id)
            .join(i, i.id == fb.inquiry_id).where(fb.updated_at >= since)):
        out[f"f {fid} {_stamp(at)}"] = conversation
    for eid, conversation in session.execute(
            select(esc.id, esc.conversation_id).where(esc.created_at >= since)):
        out[f"e {eid}"] = conversation
    return out


def _days_of(session: Session, conversations: set[str], before: datetime) -> set[datetime]:
    """Return the stored days (before `before`) holding a topic-assigned inquiry of one of
    these conversations."""
    i, ic = InquiryRow, InquiryClusterRow
    ordered = sorted(conversations)
    days: set[datetime] = set()
    for start in range(0, len(ordered), 500):
        # Two statements, each with only one index to take (the conversations', then the
        # assignments' primary key; the kind and the time are checked here): otherwise
        # SQLite, without statistics, read every topic assignment before `before` instead.
        inquiries = list(session.scalars(
            select(i.id).where(i.conversation_id.in_(ordered[start:start + 500]))))
        for part in range(0, len(inquiries), 500):
            days.update(day_of(at) for kind, at in session.execute(
                select(ic.kind, ic.inquiry_created_at)
                .where(ic.inquiry_id.in_(inquiries[part:part + 500])))
                if kind == "topic" and at is not None and at < before)
    return days


def _recount(session: Session, days: Sequence[datetime]) -> None:
    for day in days:
        session.execute(delete(TopicDayRow).where(TopicDayRow.day == day))
        rows = [{"topic_id": cid, "day": day, "volume": f.volume, "figures": f.as_json()}
                for cid, f in count(session, day, day + DAY).items()]
        if rows:
            session.execute(insert(TopicDayRow), rows)


def forget(session: Session) -> None:
    """Drop every stored day (the caller commits): the topics' members changed."""
    session.execute(delete(TopicDayRow))
    session.execute(delete(InsightSnapshotRow).where(InsightSnapshotRow.key == KEY))
