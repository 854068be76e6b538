"""Hand-over rules shared by every channel, the widget included.

- No talk-over: once a person claimed or replied in a conversation, Kotae stays silent in it
  until it is resolved (`storage.repo.channels.hold_of` finds the hold; `storage.processing`
  records the customer's turn for the person instead of calling the agent).
- Reopened stays human: a conversation a person resolved goes back to people, not to the
  bot, when the customer writes again.
- A customer can ask for a person at any point: the policy's `human_request` phrases (EN and
  JA, e.g. "talk to a human", 担当者と話したい) hand over before the agent runs.
- A loop hands over: the customer asking the same thing `loop_turns` times in a row (3),
  each time answered, goes to a person.
- Office hours per team and language (policy `handoff.office_hours`): outside them the
  hand-over message says when a person will reply, and asks for an e-mail address when the
  channel has none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.messages import REASON_SENTENCE
from agent.policy import Handoff, OfficeHours, Policy
from agent.types import Decision, Escalation, Inquiry, Message, ReasonCode
from errors import ConfigError
from retrieval.textproc import detect_language
from storage.processing import Decide, notice_for

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
}
_SPACE = re.compile(r"\s+")

AWAY = {
    "en": "Our team is away right now; a person will reply from {when}.",
    "ja": "ただいま営業時間外です。{when}以降に担当者よりご返信いたします。",
}
ASK_EMAIL = {
    "en": "So that we can reach you, please leave your e-mail address here.",
    "ja": "ご返信のため、こちらにメールアドレスをご記入ください。",
}

def _lang(language: str | None) -> str:
    return "ja" if language == "ja" else "en"


# ---------------------------------------------------------------- loops


def _bigrams(text: str) -> set[str]:
    folded = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()
    folded = re.sub(r"[\s\W_]+", "", folded) if detect_language(folded) == "ja" else folded
    return {folded[i : i + 2] for i in range(max(len(folded) - 1, 1))}


def similarity(a: str, b: str) -> float:
    """Return how alike two messages are (Jaccard of character bigrams, 0..1)."""
    left, right = _bigrams(a), _bigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def repeating(history: Sequence[Message], text: str, *, turns: int, threshold: float) -> bool:
    """Return whether `text` is the `turns`-th time in a row the customer asks the same
    thing, each earlier time answered by the bot."""
    needed = turns - 1
    found = 0
    i = len(history) - 1
    while found < needed:
        # Walk back: the bot's answer, then the customer's message it answered.
        if i < 1 or history[i].role != "assistant" or history[i - 1].role != "customer":
            return False
        if similarity(history[i - 1].text, text) < threshold:
            return False
        found += 1
        i -= 2
    return True


# ---------------------------------------------------------------- office hours


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"office hours: unknown time zone {name!r}",
                          hint='use an IANA name such as "Asia/Tokyo"') from exc


def _clock(value: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    return time(23, 59, 59) if hours == 24 else time(hours, minutes)


def hours_for(spec: Handoff, team: str, language: str | None) -> OfficeHours | None:
    """Return the office hours of a team in a language (else the team's first, else the
    default team's in that language), or None when no hours are set: always staffed."""
    lang = _lang(language)
    for wanted_team, wanted_lang in ((team, lang), (team, None), (spec.default_team, lang),
                                     (spec.default_team, None)):
        for hours in spec.office_hours:
            if hours.team == wanted_team and (wanted_lang is None or hours.language == wanted_lang):
                return hours
    return None


def next_opening(hours: OfficeHours, now: datetime) -> datetime | None:
    """Return when the team next opens (local time), or None while it is open."""
    zone = _zone(hours.timezone)
    local = now.astimezone(zone)
    start, end = _clock(hours.open), _clock(hours.close)
    days = {DAYS.index(day) for day in hours.days}
    if not days:
        raise ConfigError("office hours list no days", hint="list days such as [mon, tue]")
    if local.weekday() in days and start <= local.time() < end:
        return None
    for ahead in range(0, 8):
        day = (local + timedelta(days=ahead)).date()
        opening = datetime.combine(day, start, tzinfo=zone)
        if day.weekday() in days and opening > local:
            return opening
    raise AssertionError("a week always has an opening day")  # days is not empty


def describe_opening(opening: datetime, language: str | None, zone: str) -> str:
    """Return when a person will reply, as a customer reads it."""
    if _lang(language) == "ja":
        day = _DAY_NAMES["ja"][opening.weekday()]
        return f"{opening.month}月{opening.day}日（{day}）{opening:%H:%M}（{zone}）"
    return f"{_DAY_NAMES['en'][opening.weekday()]} {opening:%H:%M} ({zone})"


def team_for(spec: Handoff, tag: str | None) -> str:
    """Return the team that takes an escalation of this tag."""
    return spec.teams.get(tag or "", spec.default_team)


def escalation_message(
    notice: str, *, spec: Handoff, tag: str | None, language: str | None, now: datetime,
    has_email: bool,
) -> str:
    """Return the hand-over message: the notice, and outside office hours when a person will
    reply (and a request for an e-mail address when the channel has none)."""
    hours = hours_for(spec, team_for(spec, tag), language)
    if hours is None:
        return notice
    opening = next_opening(hours, now)
    if opening is None:
        return notice
    lang = _lang(language)
    away = AWAY[lang].format(when=describe_opening(opening, lang, hours.timezone))
    parts = [notice.strip(), away] if notice.strip() else [away]
    if not has_email:
        parts.append(ASK_EMAIL[lang])
    return ("" if lang == "ja" else " ").join(parts)


# ---------------------------------------------------------------- the agent, guarded


@dataclass
class HandoffRules:
    """The rules above, around an agent: what every channel's inquiries go through."""

    policy: Callable[[], Policy | None]  # read per call: the policy file may be reloaded
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def spec(self) -> Handoff:
        """Return the policy's hand-over section (the defaults when there is no policy)."""
        policy = self.policy()
        return policy.spec.handoff if policy is not None else Handoff()

    def guard(self, decide: Decide) -> Decide:
        """Return `decide` with the hand-over rules applied before and after it."""

        def guarded(inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
                    ) -> Decision:
            early = self.before(inquiry)
            decision = early if early is not None else decide(inquiry, on_token=on_token)
            return self.after(inquiry, decision)

        return guarded

    def before(self, inquiry: Inquiry) -> Decision | None:
        """Return a hand-over decided without the agent (a loop), or None to ask the agent.

        A request for a person (the policy's `human_request` phrases) is left to the agent,
        whose guard hands it over with a tag and a draft at any point of a conversation; it
        is never counted as one more turn of a loop.
        """
        spec = self.spec()
        policy = self.policy()
        if policy is not None and policy.human_requested(inquiry.text) is not None:
            return None
        if repeating(inquiry.history, inquiry.text, turns=spec.loop_turns,
                     threshold=spec.loop_similarity):
            return self._handover(
                inquiry, ReasonCode.REPEATED_QUESTION,
                f"the customer asked the same thing {spec.loop_turns} times in a row after "
                "Kotae's answers")
        return None

    def after(self, inquiry: Inquiry, decision: Decision) -> Decision:
        """Add office hours (and an e-mail request) to a hand-over message."""
        if decision.action != "escalate":
            return decision
        language = decision.language or inquiry.language
        notice = decision.answer or notice_for(language, degraded=False)
        has_email = bool(inquiry.customer and inquiry.customer.email)
        message = escalation_message(notice, spec=self.spec(), tag=decision.tag,
                                     language=language, now=self.clock(), has_email=has_email)
        if message == notice:
            return decision
        return decision.model_copy(update={"answer": message})

    def _handover(self, inquiry: Inquiry, reason: ReasonCode, detail: str) -> Decision:
        language = _lang(inquiry.language or detect_language(inquiry.text))
        last_answer = next((m.text for m in reversed(inquiry.history) if m.role == "assistant"),
                           None)
        return Decision(
            inquiry_id=inquiry.id,
            conversation_id=inquiry.conversation_id,
            action="escalate",
            answer=REASON_SENTENCE[reason][language],
            tag="untagged",
            tag_confidence=0.0,
            confidence=0.0,
            escalation=Escalation(reason=reason, detail=detail, draft=last_answer),
            language=language,
            mode="offline",
            flags=["handoff_rule"],
        )
