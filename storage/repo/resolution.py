"""Honest resolution metrics, per channel: what a bot's "resolution rate" should mean.

Counted per conversation started in [since, until) that Kotae decided at least one inquiry
in (the widget's conversations are channel "widget"):

- contained: Kotae answered, and no person was involved (no escalation, no agent message,
  no help-desk agent holding the thread);
- confirmed: contained, and the customer said so (a 👍 on an answer, or a later message
  saying it helped, by the policy's `handoff.helped` phrases);
- durable: contained, not reopened, and no new inquiry on the same topic (tag) from the
  same customer within 7 days of the last answer; only conversations whose 7 days have
  passed are judged (`durable_judged`);
- handoff rate: conversations handed to a person / conversations handled;
- reopen rate: conversations the customer reopened after a person resolved them /
  conversations a person resolved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    ChannelThreadRow,
    ConversationRow,
    EscalationRow,
    FeedbackRow,
    InquiryRow,
    MessageRow,
)

DURABLE_DAYS = 7
WIDGET = "widget"


@dataclass
class Resolution:
    """Resolution counts for one channel (or all of them)."""

    conversations: int = 0  # with at least one decided inquiry
    answered: int = 0  # Kotae answered at least once
    contained: int = 0
    confirmed: int = 0
    durable: int = 0
    durable_judged: int = 0  # contained conversations whose 7 days have passed
    handed_off: int = 0
    resolved_by_person: int = 0
    reopened: int = 0

    def rates(self) -> dict[str, float | None]:
        """Return the rates the counts make (None where nothing was there to count)."""

        def ratio(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {
            "containment_rate": ratio(self.contained, self.conversations),
            "confirmed_rate": ratio(self.confirmed, self.conversations),
            "durable_rate": ratio(self.durable, self.durable_judged),
            "handoff_rate": ratio(self.handed_off, self.conversations),
            "reopen_rate": ratio(self.reopened, self.resolved_by_person),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return the counts and rates."""
        return {**asdict(self), **self.rates()}


def _who(customer: dict[str, Any] | None, account_id: str | None) -> str | None:
    customer = customer or {}
    key = customer.get("id") or customer.get("email") or account_id
    return str(key) if key else None


def resolution_by_channel(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    *,
    now: datetime,
    said_it_helped: Callable[[str], bool],
) -> dict[str, Resolution]:
    """Return resolution counts per channel, and under "all" for every channel together."""
    conditions = []
    if since is not None:
        conditions.append(ConversationRow.created_at >= since)
    if until is not None:
        conditions.append(ConversationRow.created_at < until)
    conversations = {
        row.id: row for row in session.scalars(select(ConversationRow).where(*conditions))
    }
    if not conversations:
        return {"all": Resolution()}
    ids = list(conversations)
    asked: dict[str, list[InquiryRow]] = defaultdict(list)
    for inquiry in session.scalars(
        select(InquiryRow).where(InquiryRow.conversation_id.in_(ids))
        .order_by(InquiryRow.created_at)
    ):
        asked[inquiry.conversation_id].append(inquiry)
    escalated: dict[str, list[EscalationRow]] = defaultdict(list)
    for escalation in session.scalars(
        select(EscalationRow).where(EscalationRow.conversation_id.in_(ids))
    ):
        escalated[escalation.conversation_id].append(escalation)
    agent_wrote = set(session.scalars(
        select(MessageRow.conversation_id)
        .where(MessageRow.conversation_id.in_(ids), MessageRow.role == "agent").distinct()))
    threads = {t.conversation_id: t for t in session.scalars(
        select(ChannelThreadRow).where(ChannelThreadRow.conversation_id.in_(ids)))}
    liked = set(session.scalars(
        select(FeedbackRow.inquiry_id)
        .join(InquiryRow, FeedbackRow.inquiry_id == InquiryRow.id)
        .where(InquiryRow.conversation_id.in_(ids), FeedbackRow.helpful.is_(True))))
    # Same topic, same customer, later: any inquiry (in any conversation) within the window.
    horizon = (until or now) + timedelta(days=DURABLE_DAYS)
    later: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for conversation_id, tag, created, customer, account in session.execute(
        select(InquiryRow.conversation_id, InquiryRow.tag, InquiryRow.created_at,
               ConversationRow.customer, ConversationRow.account_id)
        .join(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
        .where(InquiryRow.created_at < horizon, InquiryRow.tag.is_not(None))
    ):
        who = _who(customer, account)
        if who:
            later[(who, tag)].append((created, conversation_id))

    result: dict[str, Resolution] = defaultdict(Resolution)
    for conversation_id, conversation in conversations.items():
        decided = [i for i in asked[conversation_id] if i.status != "received"]
        if not decided:
            continue
        channel = conversation.channel or WIDGET
        stats = [result[channel], result["all"]]
        answers = [i for i in decided if i.action == "answer"]
        thread = threads.get(conversation_id)
        person = bool(escalated[conversation_id]) or conversation_id in agent_wrote or (
            thread is not None and thread.human_since is not None)
        resolved = any(e.resolved_at is not None or e.status == "resolved"
                       for e in escalated[conversation_id]) or (
            thread is not None and thread.human_resolved)
        reopened = conversation.reopened_at is not None
        resolved = resolved or reopened  # reopening puts a person's resolution back in play
        contained = bool(answers) and not person
        confirmed = durable = judged = False
        if contained:
            first = answers[0].created_at
            confirmed = any(i.id in liked for i in answers) or any(
                said_it_helped(i.text) for i in asked[conversation_id] if i.created_at > first)
            last = max(i.decided_at or i.created_at for i in answers)
            judged = now - last >= timedelta(days=DURABLE_DAYS)
            if judged:
                who = _who(conversation.customer, conversation.account_id)
                topics = {i.tag for i in answers if i.tag}
                again = any(
                    last < created <= last + timedelta(days=DURABLE_DAYS)
                    and not (other == conversation_id and said_it_helped_text(asked, other,
                                                                              created,
                                                                              said_it_helped))
                    for topic in topics if who
                    for created, other in later[(who, topic)]
                )
                durable = not reopened and not again
        for stat in stats:
            stat.conversations += 1
            stat.answered += bool(answers)
            stat.contained += contained
            stat.confirmed += confirmed
            stat.durable_judged += judged
            stat.durable += durable
            stat.handed_off += person
            stat.resolved_by_person += resolved
            stat.reopened += reopened and resolved
    result.setdefault("all", Resolution())
    return dict(result)


def said_it_helped_text(asked: dict[str, list[InquiryRow]], conversation_id: str,
                        created: datetime, said_it_helped: Callable[[str], bool]) -> bool:
    """Return whether the conversation's inquiry at `created` only said thanks (not a new
    inquiry on the topic)."""
    return any(i.created_at == created and said_it_helped(i.text)
               for i in asked.get(conversation_id, []))
