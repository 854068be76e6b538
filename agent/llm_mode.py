"""LLM mode: the model writes the grounded answer and judges tag and action.

The offline pass has already run: its guards are final, and its retrieval supplies the
context. The model's verdict is validated (closed tag set, cited ids must be retrieved ids,
an answer must cite something); invalid output is retried once with the validation error, and
any failure falls back to the offline decision or escalates with `llm_unavailable`, as the
policy says. The answer is validated before a single token reaches the customer: streaming
sends the checked answer, so a hallucinated citation is never shown and then withdrawn.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from agent.grounding import GroundedAgent, Grounding, own_precedent, retrieved_citations
from agent.guards import detect_injection
from agent.llm import ChatMessage, ChatModel, LLMError, LLMTimeout, add_usage
from agent.output_guard import OutputFinding, check_answer
from agent.pii import redact_pii
from agent.types import Decision, Escalation, Inquiry, ReasonCode, Usage
from retrieval.textproc import query_window
from retrieval.tokens import count_tokens, truncate_tokens

log = logging.getLogger("kotae.agent")
#: Prompt budget for the sources (settings.llm_context_tokens overrides it), the most blocks
#: sent, and the most tokens one block may take.
DEFAULT_CONTEXT_TOKENS = 350
MAX_CONTEXT_BLOCKS = 3
#: Seconds the model has for one decision, all its calls together (settings.llm_deadline_s):
#: after it, the offline decision stands or the inquiry escalates, as the policy says.
DEFAULT_DEADLINE_S = 20.0
BLOCK_TOKENS = 160
_LANGUAGE_NAME = {"en": "English", "ja": "Japanese (polite です/ます style)"}


class TriageVerdict(BaseModel):
    """What the model must return."""

    tag: str = Field(description="one of the taxonomy's tags")
    action: Literal["answer", "escalate"]
    reason: Literal["low_confidence", "bug_report"] | None = Field(
        default=None, description="required when action is escalate")
    answer: str = Field(default="", description="the reply to the customer, empty if escalating")
    cited_ids: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("cited_ids", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        # Sources are numbered, so a model may well cite [1] rather than ["1"].
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v
                    for v in value]
        return value


def decide_with_llm(
    agent: GroundedAgent, inquiry: Inquiry, offline: Decision, *,
    groundings: Sequence[Grounding] = (),
    on_token: Callable[[str], None] | None = None,
) -> Decision:
    """Let the chat model decide from the offline pass's groundings; fall back on any failure."""
    llm: ChatModel = agent.deps.llm  # type: ignore[assignment]  # set when this is called
    spent = [Usage(model=llm.name)]  # what the calls so far cost, read if a later one fails

    def consult() -> _Consulted:
        found = groundings
        if inquiry.history and agent.retrieval_query(inquiry) != query_window(inquiry.text):
            rewritten, spent[0] = _rewrite(agent, llm, inquiry, spent[0])
            if rewritten:
                found = [g for g in agent.ground(rewritten)
                         if not own_precedent(g, inquiry.conversation_id)]
        context, ids = _context(agent, found, int(str(agent.deps.extra.get(
            "context_tokens", DEFAULT_CONTEXT_TOKENS))))
        system = agent.prompts.render(
            "triage_system", company=agent.deps.signature,
            language_name=_LANGUAGE_NAME[offline.language],
            tags=json.dumps(list(agent.deps.tagger.taxonomy.names)))
        conversation = _conversation(agent, inquiry)
        user = agent.prompts.render(
            "triage_user", context=context or "(no source was found)",
            tag_hint=f"{offline.tag} ({offline.tag_confidence:.2f})",
            conversation=f"<conversation>\n{conversation}\n</conversation>\n" if conversation
            else "", language=offline.language, inquiry=_redacted(agent, inquiry.text))
        names = set(agent.deps.tagger.taxonomy.names)

        def validate(verdict: TriageVerdict) -> None:
            problems = []
            if verdict.tag not in names:
                problems.append(f"tag {verdict.tag!r} is not one of {sorted(names)}")
            unknown = [i for i in verdict.cited_ids if i not in ids]
            if unknown:
                problems.append(f"cited_ids {unknown} are not numbers of the sources sent "
                                f"({sorted(ids)})")
            if verdict.action == "answer" and (not verdict.answer.strip() or not verdict.cited_ids):
                problems.append("an answer needs text and at least one cited id")
            if verdict.action == "escalate" and verdict.reason is None:
                problems.append("an escalation needs a reason")
            if problems:
                raise ValueError("; ".join(problems))

        reply = llm.complete_structured(
            [ChatMessage(role="system", content=system.text),
             ChatMessage(role="user", content=user.text)],
            TriageVerdict, flow="triage", prompt_version=system.tag, validate=validate,
            strict_schema=False)  # the shape is in the prompt: a schema would cost ~240 tokens
        spent[0] = add_usage(spent[0], reply.usage)
        assert reply.parsed is not None
        return _Consulted(reply.parsed, spent[0], system.text, system.tag, context, ids, found)

    deadline_s = float(str(agent.deps.extra.get("llm_deadline_s", DEFAULT_DEADLINE_S)))
    try:
        consulted = _within(consult, deadline_s)
    except LLMError as exc:
        usage = spent[0]
        failed = getattr(exc, "usage", None)
        if isinstance(failed, Usage):
            usage = add_usage(usage, failed)  # failed attempts still cost money
        log.warning("llm failed (%s); policy says %s", exc.code, agent.policy.spec.on_llm_failure)
        return _fallback(agent, offline, inquiry, str(exc.detail), usage)
    verdict, usage, context, ids, groundings = (consulted.verdict, consulted.usage,
                                                consulted.context, consulted.ids,
                                                consulted.groundings)
    retrieved = retrieved_citations(groundings)

    decision = offline.model_copy(deep=True)
    decision.mode = "llm"
    decision.usage = usage
    decision.prompt_version = consulted.prompt_version
    decision.tag = verdict.tag
    by_id = {c.id: c for c in retrieved}
    # Nothing the model wrote leaves the agent unchecked: an answer (or a draft an agent
    # might send) that repeats its instructions or sends the customer somewhere no source
    # mentions is the sign of an injection the input guard missed.
    instructions = [consulted.system, *(agent.prompts.get(name).body
                                   for name in ("triage_user", "rewrite_followup"))]
    sources = [context, *(g.passage.section for g in groundings),
               *(g.hit.url or "" for g in groundings)]
    finding = check_answer(verdict.answer, instructions=instructions, sources=sources)
    if finding is not None:
        log.warning("model answer withheld: %s", finding.kind)
        return _withheld(agent, offline, inquiry, decision, finding)
    if verdict.action == "answer" and verdict.confidence >= agent.policy.thresholds.answer_min_confidence:
        decision.action = "answer"
        decision.answer = verdict.answer.strip()
        decision.citations = [by_id[ids[i]] for i in dict.fromkeys(verdict.cited_ids)]
        decision.candidate = decision.citations[0]
        decision.escalation = None
        decision.confidence = round(verdict.confidence, 4)
        if decision.tag == "bug":
            decision.flags.append("known_bug")
    else:
        reason = ReasonCode(verdict.reason or "low_confidence")
        if verdict.action == "answer":
            reason = ReasonCode.LOW_CONFIDENCE
        notice, draft, _ = agent.escalation_texts(reason, None, offline.language, inquiry)
        if verdict.answer.strip():
            draft = verdict.answer.strip()  # the model's attempt is a useful draft for the agent
        decision.action = "escalate"
        decision.answer = notice
        decision.citations = []
        decision.confidence = round(verdict.confidence, 4)
        decision.escalation = Escalation(reason=reason, detail=f"model: {reason.value}",
                                         draft=draft)
    if on_token is not None and decision.answer:
        for piece in re.findall(r"\S+\s*|\s+", decision.answer):
            on_token(piece)
    return decision


@dataclass(frozen=True)
class _Consulted:
    """What the model decided, what it cost, and what it was shown."""

    verdict: TriageVerdict
    usage: Usage
    system: str  # the system prompt sent
    prompt_version: str
    context: str
    ids: dict[str, str]
    groundings: Sequence[Grounding]


#: The model calls of one decision (rewrite, triage, its retry) run here, so that a hung
#: endpoint can be given up on at the deadline. A call given up on runs on until its own
#: HTTP timeout; the pool's size bounds how many such calls there are.
_MODEL_CALLS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="kotae-llm")


def _within(consult: Callable[[], _Consulted], deadline_s: float) -> _Consulted:
    """Return what consult returns, or raise LLMTimeout when it takes over deadline_s."""
    future = _MODEL_CALLS.submit(consult)
    try:
        return future.result(timeout=deadline_s)
    except FuturesTimeoutError:
        future.cancel()  # still queued behind other calls: never sent
        raise LLMTimeout(f"the model did not decide within {deadline_s:g} s (the LLM deadline)",
                         hint="raise KOTAE_LLM_DEADLINE_S, or check the endpoint") from None


def _withheld(agent: GroundedAgent, offline: Decision, inquiry: Inquiry, decision: Decision,
              finding: OutputFinding) -> Decision:
    """Escalate instead of sending an answer that failed agent.output_guard."""
    reason = (ReasonCode.INJECTION_ATTEMPT if finding.kind == "prompt_leak"
              else ReasonCode.POLICY)
    notice, draft, _ = agent.escalation_texts(reason, None, offline.language, inquiry)
    decision.action = "escalate"
    decision.answer = notice
    decision.citations = []
    decision.flags.append("answer_withheld")
    # The offline draft, never the model's text: that is what was refused.
    offline_draft = offline.escalation.draft if offline.escalation else None
    decision.escalation = Escalation(
        reason=reason, detail=f"model answer withheld ({finding.kind}): {finding.evidence!r}",
        draft=offline_draft or draft)
    return decision


def _fallback(agent: GroundedAgent, offline: Decision, inquiry: Inquiry, detail: str,
              usage: Usage) -> Decision:
    decision = offline.model_copy(deep=True)
    decision.usage = usage
    if agent.policy.spec.on_llm_failure == "offline":
        decision.flags.append("llm_fallback")
        return decision
    notice, _draft, version = agent.escalation_texts(ReasonCode.LLM_UNAVAILABLE, None,
                                                    offline.language, inquiry)
    decision.action = "escalate"
    decision.answer = notice
    decision.citations = []
    decision.prompt_version = version
    decision.escalation = Escalation(reason=ReasonCode.LLM_UNAVAILABLE, detail=detail,
                                     draft=offline.escalation.draft if offline.escalation
                                     else offline.answer)
    return decision


def _rewrite(agent: GroundedAgent, llm: ChatModel, inquiry: Inquiry, usage: Usage) -> tuple[str, Usage]:
    prompt = agent.prompts.render("rewrite_followup", conversation=_conversation(agent, inquiry),
                                  inquiry=_redacted(agent, inquiry.text))
    reply = llm.complete([ChatMessage(role="user", content=prompt.text)], flow="rewrite",
                         prompt_version=prompt.tag)
    return reply.text.strip().splitlines()[0] if reply.text.strip() else "", add_usage(
        usage, reply.usage)


def _context(agent: GroundedAgent, groundings: Sequence[Grounding],
             budget: int) -> tuple[str, dict[str, str]]:
    """Render the best passages as numbered blocks, best first, within a token budget.

    A block is the passage an offline answer would quote (the section of the article that
    answers the question, retrieval.passages), cut to BLOCK_TOKENS; a past ticket is its
    question and resolution, unless they hold an injection attempt. Whole articles would
    mostly be text the question does not need, and every token is paid for. Blocks are numbered 1, 2, 3 rather than tagged with
    document ids, which cost up to six tokens more a block and mean nothing to the model;
    the returned map takes a number the model cites back to its document id.
    """
    blocks: list[str] = []
    ids: dict[str, str] = {}
    used = 0
    for grounding in groundings[:MAX_CONTEXT_BLOCKS]:
        hit = grounding.hit
        if hit.doc_id in ids.values():
            continue
        remaining = budget - used
        if remaining < 60:
            break
        if grounding.kind == "precedent":
            body = f"Q: {hit.text}\nA: {hit.resolution or ''}"
            # A past ticket's question is a customer's text: an attempt in it (learned from a
            # resolved escalation) would reach the model here, so such a ticket is not sent.
            if detect_injection(body, agent.policy) is not None:
                continue
        else:
            # The passage the offline answer would quote (retrieval.passages), under its heading.
            body = compact_markdown(grounding.passage.text)
        body = truncate_tokens(_redacted(agent, body), min(remaining - 20, BLOCK_TOKENS))
        label = str(len(blocks) + 1)
        block = f'<source id="{label}">\n{body}\n</source>'
        used += count_tokens(block)
        blocks.append(block)
        ids[label] = hit.doc_id
    return "\n".join(blocks), ids


_TABLE_RULE = re.compile(r"[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?)?[ \t]*\r?")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_CODE_SPAN = re.compile(r"(`+).+?\1")
#: `**bold**`, not `x**2`, `f(**kwargs)` or `src/**/*.py`: the marks may not touch a Latin
#: letter, a digit or a path on their outer side (Japanese puts no space around bold:
#: `**太字**です`).
_BOLD = re.compile(r"(?<![A-Za-z0-9_*/\\])\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?![A-Za-z0-9_*/\\])")


def compact_markdown(text: str) -> str:
    """Drop Markdown that costs tokens and tells a model nothing: table rules and bold marks.

    A table without its `|---|---|` rule still reads as rows of cells, and `**7 days**` says
    no more than `7 days`. Headings, lists and links are kept: they carry structure and URLs
    a reply may give. A rule is dropped only under a table row, and code (fenced blocks and
    `inline spans`) is left exactly as it is.
    """
    out: list[str] = []
    fence = ""  # the open code fence (its character, at least as many times), if any
    for line in text.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence:
            closing = opening and opening.group(1).startswith(fence) and not opening.group(2).strip()
            if closing:
                fence = ""
        elif opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = opening.group(1)
        elif out and "|" in out[-1] and _TABLE_RULE.fullmatch(line.rstrip("\n")):
            continue
        else:
            line = _unbold(line)
        out.append(line)
    return "".join(out)


def _unbold(line: str) -> str:
    """Drop bold marks from a line, except inside inline code spans."""
    parts, start = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts += [_BOLD.sub(r"\1", line[start:span.start()]), span.group()]
        start = span.end()
    return "".join([*parts, _BOLD.sub(r"\1", line[start:])])


#: Earlier turns the model reads (agent.pipeline guards every customer turn of a conversation).
HISTORY_TURNS = 6


def _conversation(agent: GroundedAgent, inquiry: Inquiry) -> str:
    """Render the turns the model reads, each redacted as the current one is."""
    return "\n".join(f"{m.role}: {_redacted(agent, m.text)}"
                     for m in inquiry.history[-HISTORY_TURNS:])


def _redacted(agent: GroundedAgent, text: str) -> str:
    return redact_pii(text).text if agent.policy.spec.redact_pii else text

