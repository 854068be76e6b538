"""The hand-over rules every channel shares (channels.handoff): loops, office hours in English
and Japanese, e-mail requests, teams, and what the agent is spared or asked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.policy import Handoff, OfficeHours, Policy
from agent.types import Customer, Decision, Escalation, Inquiry, Message, ReasonCode
from channels.handoff import (
    HandoffRules,
    escalation_message,
    hours_for,
    next_opening,
    repeating,
    similarity,
)
from errors import ConfigError

# Wednesday 2026-12-09 12:00 UTC is 21:00 in Tokyo (closed) and 12:00 in London (open).
WEDNESDAY_NOON_UTC = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 12, 3, 0, tzinfo=UTC)

TOKYO = OfficeHours(team="support", language="ja", timezone="Asia/Tokyo", open="09:00",
                    close="18:00")
LONDON = OfficeHours(team="support", language="en", timezone="Europe/London", open="09:00",
                     close="17:30")
BILLING_EN = OfficeHours(team="billing", language="en", timezone="America/New_York",
                         open="10:00", close="16:00")
SPEC = Handoff(office_hours=[TOKYO, LONDON, BILLING_EN], teams={"billing": "billing"})


def turns(*pairs: tuple[str, str]) -> list[Message]:
    return [Message(role=role, text=text) for role, text in pairs]


def test_similar_messages_in_either_language_score_high_and_different_ones_low() -> None:
    assert similarity("How do I reset my password?", "how do i reset my password") > 0.8
    assert similarity("パスワードを再設定したい", "パスワードを再設定したいです") > 0.6
    assert similarity("How do I reset my password?", "Where is my invoice?") < 0.4
    assert similarity("", "anything") == 0.0


def test_a_third_repetition_after_two_answers_is_a_loop() -> None:
    history = turns(("customer", "How do I export my data?"), ("assistant", "Open Settings."),
                    ("customer", "how do I export my data??"), ("assistant", "Open Settings."))
    assert repeating(history, "How do I export my data", turns=3, threshold=0.6)
    assert not repeating(history[:2], "How do I export my data", turns=3, threshold=0.6)
    assert not repeating(history, "Where is my invoice?", turns=3, threshold=0.6)


def test_a_japanese_loop_is_a_loop_too() -> None:
    history = turns(("customer", "請求書はどこでダウンロードできますか"), ("assistant", "設定を開いてください。"),
                    ("customer", "請求書はどこでダウンロードできますか？"), ("assistant", "設定を開いてください。"))
    assert repeating(history, "請求書はどこでダウンロードできますか。", turns=3, threshold=0.6)


def test_a_repetition_a_person_answered_is_not_the_bots_loop() -> None:
    history = turns(("customer", "How do I export my data?"), ("agent", "Let me check."),
                    ("customer", "How do I export my data?"), ("assistant", "Open Settings."))
    assert not repeating(history, "How do I export my data?", turns=3, threshold=0.6)


def test_office_hours_pick_the_team_and_language_and_fall_back() -> None:
    assert hours_for(SPEC, "support", "ja") is TOKYO
    assert hours_for(SPEC, "support", "en") is LONDON
    assert hours_for(SPEC, "billing", "en") is BILLING_EN
    assert hours_for(SPEC, "billing", "ja") is BILLING_EN  # the team's own hours first
    assert hours_for(SPEC, "unknown", "ja") is TOKYO  # the default team's
    assert hours_for(Handoff(), "support", "en") is None  # none set: always staffed


def test_next_opening_is_none_while_open_and_the_next_workday_when_closed() -> None:
    assert next_opening(LONDON, WEDNESDAY_NOON_UTC) is None
    opening = next_opening(TOKYO, WEDNESDAY_NOON_UTC)
    assert opening is not None and (opening.day, opening.hour) == (10, 9)  # Thursday 09:00
    weekend = next_opening(LONDON, SATURDAY)
    assert weekend is not None and (weekend.weekday(), weekend.day) == (0, 14)  # Monday


def test_outside_hours_the_japanese_message_says_when_and_asks_for_an_email() -> None:
    message = escalation_message("担当者に引き継ぎました。", spec=SPEC, tag=None, language="ja",
                                 now=WEDNESDAY_NOON_UTC, has_email=False)
    assert message.startswith("担当者に引き継ぎました。ただいま営業時間外です。")
    assert "12月10日（木）09:00（Asia/Tokyo）以降に担当者よりご返信いたします" in message
    assert message.endswith("メールアドレスをご記入ください。")


def test_outside_hours_the_english_message_says_when_and_skips_the_email_it_has() -> None:
    message = escalation_message("We passed this on.", spec=SPEC, tag="billing",
                                 language="en", now=SATURDAY, has_email=True)
    assert message == ("We passed this on. Our team is away right now; a person will reply "
                       "from Monday 10:00 (America/New_York).")


def test_inside_hours_the_message_is_unchanged() -> None:
    assert escalation_message("We passed this on.", spec=SPEC, tag=None, language="en",
                              now=WEDNESDAY_NOON_UTC, has_email=False) == "We passed this on."


def test_an_unknown_time_zone_is_a_config_error_saying_what_to_use() -> None:
    bad = Handoff(office_hours=[OfficeHours(language="en", timezone="Mars/Olympus")])
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        escalation_message("x", spec=bad, tag=None, language="en", now=SATURDAY,
                           has_email=True)


# ---------------------------------------------------------------- the agent, guarded


class Recorder:
    """A decide that records its inquiries and answers, or hands over when told to."""

    def __init__(self, escalate: bool = False) -> None:
        self.calls: list[Inquiry] = []
        self.escalate = escalate

    def __call__(self, inquiry: Inquiry, *, on_token: Any = None) -> Decision:
        self.calls.append(inquiry)
        if self.escalate:
            return Decision(action="escalate", tag="billing", tag_confidence=0.9,
                            confidence=0.2, language="ja",
                            escalation=Escalation(reason=ReasonCode.SENSITIVE_TOPIC, detail="x"))
        return Decision(action="answer", answer="Open Settings.", tag="usage", language="en",
                        tag_confidence=0.9, confidence=0.9)


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "extends: default\n"
        "handoff:\n"
        "  office_hours:\n"
        "    - {team: support, language: ja, timezone: Asia/Tokyo, open: '09:00', close: '18:00'}\n"
        "    - {team: support, language: en, timezone: Europe/London}\n",
        encoding="utf-8")
    return Policy.load(path)


def test_the_shipped_policy_has_no_office_hours_and_a_three_turn_loop() -> None:
    spec = Policy.load().spec.handoff
    assert (spec.office_hours, spec.loop_turns, spec.default_team) == ([], 3, "support")


def test_a_loop_is_handed_over_without_asking_the_agent(policy: Policy) -> None:
    decide = Recorder()
    guarded = HandoffRules(policy=lambda: policy, clock=lambda: WEDNESDAY_NOON_UTC
                           ).guard(decide)
    history = turns(("customer", "How do I export my data?"), ("assistant", "Open Settings."),
                    ("customer", "How do I export my data?"), ("assistant", "Open Settings."))
    decision = guarded(Inquiry(text="How do I export my data?", history=history))
    assert decide.calls == []
    assert decision.action == "escalate"
    assert decision.escalation is not None
    assert decision.escalation.reason is ReasonCode.REPEATED_QUESTION
    assert decision.escalation.draft == "Open Settings."  # the answer that did not help
    assert decision.answer is not None and "person on our team" in decision.answer


def test_asking_for_a_person_at_any_point_goes_to_the_agent_not_the_loop(policy: Policy) -> None:
    decide = Recorder()
    guarded = HandoffRules(policy=lambda: policy).guard(decide)
    history = turns(("customer", "担当者と話したい、請求書について"), ("assistant", "設定を開いてください。"),
                    ("customer", "担当者と話したい、請求書について"), ("assistant", "設定を開いてください。"))
    assert policy.human_requested("担当者と話したい、請求書について") is not None
    assert policy.human_requested("I want to talk to a human") is not None
    guarded(Inquiry(text="担当者と話したい、請求書について", history=history))
    assert len(decide.calls) == 1  # the agent's own guard hands it over, with a draft


def test_a_japanese_hand_over_outside_hours_says_when_and_asks_for_an_email(
        policy: Policy) -> None:
    guarded = HandoffRules(policy=lambda: policy, clock=lambda: WEDNESDAY_NOON_UTC
                           ).guard(Recorder(escalate=True))
    decision = guarded(Inquiry(text="返金してほしい", language="ja"))
    assert decision.answer is not None
    assert decision.answer.startswith("お問い合わせありがとうございます。")
    assert "以降に担当者よりご返信いたします" in decision.answer
    assert "メールアドレス" in decision.answer


def test_a_hand_over_with_an_email_on_file_does_not_ask_for_one(policy: Policy) -> None:
    guarded = HandoffRules(policy=lambda: policy, clock=lambda: SATURDAY
                           ).guard(Recorder(escalate=True))
    decision = guarded(Inquiry(text="返金してほしい", language="ja",
                               customer=Customer(email="mei@example.jp")))
    assert decision.answer is not None and "メールアドレス" not in decision.answer
    assert "12月14日（月）09:00" in decision.answer


def test_answers_pass_through_untouched(policy: Policy) -> None:
    guarded = HandoffRules(policy=lambda: policy, clock=lambda: SATURDAY).guard(Recorder())
    assert guarded(Inquiry(text="How do I invite people?")).answer == "Open Settings."
