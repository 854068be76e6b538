"""What the customer is told when an inquiry goes to a person, and the reply drafted for the
agent who takes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.markup import complete_tables, to_plain
from agent.messages import FOUND_IN, REASON_SENTENCE, REQUEST_SENTENCE, draft_body
from agent.reading import _clean_resolution
from agent.types import ReasonCode

if TYPE_CHECKING:
    from agent.grounding import Grounding
    from agent.policy import Policy
    from prompts.loader import PromptLibrary


def escalation_texts(
    prompts: PromptLibrary, policy: Policy, signature: str, reason: ReasonCode,
    best: Grounding | None, language: str, *, topic: str | None = None, request: bool = False,
) -> tuple[str, str, str]:
    """Return the customer notice, the agent's draft, and the template version.

    The draft is a reply the agent can check and send: what the reason (or the policy,
    for a sensitive topic) says, then the passage that may answer the question, as plain
    text. For a sensitive topic, a rule, a request for a person or an upset customer the
    passage is added only when it is grounded (a refund question may well have the refund
    policy to quote; "担当者と話したい" or "you lost my tasks AGAIN" has nothing to quote,
    and an article its words happened to come nearest to reads as a reply to something
    the customer did not ask). `request`: the inquiry asks to buy more (an expansion signal
    was raised), so a low-confidence hand-over tells the customer their request was passed
    on, not that no answer was found ("20席追加したい").
    """
    sentence = (REQUEST_SENTENCE if request and reason == ReasonCode.LOW_CONFIDENCE
                else REASON_SENTENCE[reason])[language]
    notice = prompts.render(f"escalation_notice_{language}", reason_sentence=sentence)
    body = (policy.draft(topic, language) if topic else None) or draft_body(
        reason, language, found=best is not None)
    grounded = best is not None and (
        reason in (ReasonCode.LOW_CONFIDENCE, ReasonCode.BUG_REPORT)
        or (reason in (ReasonCode.SENSITIVE_TOPIC, ReasonCode.POLICY,
                       ReasonCode.HUMAN_REQUESTED, ReasonCode.NEGATIVE_SENTIMENT)
            and best.confidence >= policy.thresholds.answer_min_confidence))
    if best is not None and grounded:
        if best.kind == "precedent":
            quoted = _clean_resolution(best.hit.resolution or best.hit.text, policy)
        else:
            quoted = FOUND_IN[language].format(title=best.hit.title) + "\n\n" + \
                complete_tables(best.passage.text, best.passage.section)
        body = f"{body}\n\n{to_plain(quoted)}"
    draft = prompts.render(f"escalation_draft_{language}", customer_name="",
                           body=body, signature=signature)
    return notice.text.strip(), draft.text.strip(), notice.tag
