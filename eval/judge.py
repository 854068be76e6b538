"""Optional LLM judge: grades answered cases for correctness and faithfulness to the sources.

Used only when asked for (`--judge`) and a model is configured. The prompt is the versioned
template `prompts/templates/judge.md`; the verdict is structured output with a closed shape.
A verdict the model cannot produce is recorded as a judge error for that case, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from agent.llm import ChatMessage, ChatModel, LLMError, add_usage
from agent.types import Decision, Usage
from eval.cases import EvalCase
from prompts import PromptLibrary

JUDGE_TEMPLATE = "judge"
FLOW = "eval_judge"
ContextLookup = Callable[[str, str], str | None]  # (source, id) -> text


class JudgeVerdict(BaseModel):
    """The judge's structured verdict on one answer."""

    model_config = ConfigDict(extra="forbid")

    correct: bool
    faithful: bool
    reason: str = Field(default="", max_length=1000)


@dataclass
class Judge:
    """Grade answers with a chat model and a versioned prompt."""

    model: ChatModel
    context: ContextLookup
    prompts: PromptLibrary = field(default_factory=PromptLibrary)
    max_context_chars: int = 4000
    usage: Usage = field(default_factory=Usage)

    @property
    def prompt_version(self) -> str:
        """Return name@version of the judge prompt."""
        template = self.prompts.get(JUDGE_TEMPLATE)
        return f"{template.name}@{template.version}"

    def sources(self, decision: Decision) -> str:
        """Return the cited sources' text, id-tagged and cut to the context budget."""
        blocks: list[str] = []
        budget = self.max_context_chars
        for citation in decision.citations:
            text = self.context(citation.source, citation.id)
            if not text or budget <= 0:
                continue
            text = text[:budget]
            budget -= len(text)
            blocks.append(f'<source id="{citation.id}" title="{citation.title}">\n{text}\n'
                          "</source>")
        return "\n".join(blocks) or "(none)"

    def grade(self, case: EvalCase, decision: Decision) -> JudgeVerdict:
        """Return the verdict on one answered case (raises LLMError when the model fails)."""
        rendered = self.prompts.render(
            JUDGE_TEMPLATE, question=case.text, reference=case.reference_answer or "(none)",
            context=self.sources(decision), answer=decision.answer or "")
        reply = self.model.complete_structured(
            [ChatMessage(role="user", content=rendered.text)], JudgeVerdict, flow=FLOW,
            prompt_version=rendered.tag)
        self.usage = add_usage(self.usage, reply.usage)
        if reply.parsed is None:
            raise LLMError("the judge returned no verdict")
        return reply.parsed

    def try_grade(self, case: EvalCase, decision: Decision) -> JudgeVerdict | str:
        """Return the verdict, or the reason there is none."""
        try:
            return self.grade(case, decision)
        except LLMError as exc:
            return f"judge failed: {exc.detail}"


def document_text(record: dict[str, object] | None) -> str | None:
    """Return the text a stored kb document or ticket record offers as evidence."""
    if record is None:
        return None
    parts = [str(record.get(k) or "") for k in ("title", "subject", "text", "body", "resolution")]
    return "\n".join(p for p in parts if p.strip()) or None
