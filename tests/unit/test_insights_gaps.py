"""Knowledge gaps on a real database: found where people answer by hand, drafted from the
agents' cleaned answers (extractively, or by the chat model when it stays within them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.llm import ChatMessage, LLMTimeout, ModelReply
from agent.policy import Policy
from agent.types import Usage
from insights import gaps, topics
from insights.cluster import ClusterConfig
from prompts.loader import PromptLibrary
from storage.db import Database
from storage.models import EscalationRow, InquiryRow, new_id
from tests.unit.test_insights_topics import NOW, PASSWORDS, add

POSTER = ["Can I print our Kanban board as an A0 poster?",
          "How do I print the board as a big wall poster?",
          "Is there a way to print the project board on A0 paper?",
          "We want to hang a printed poster of our board, how?"]
ANSWER = ("Hi {name},\n\nThanks for reaching out!\nOpen the board, choose Export > PDF and pick "
          "A0 as the page size. Print the PDF at a print shop.\n\nBest regards,\nAlex\n"
          "Tsunagu Support")


@dataclass
class ScriptedModel:
    """A chat model that returns (or raises) queued outcomes and records what it was sent."""

    outcomes: list[str | Exception]
    name: str = "scripted"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def complete(self, messages: Sequence[ChatMessage], *, flow: str, prompt_version: str,
                 on_token: Callable[[str], None] | None = None) -> ModelReply[None]:
        self.calls.append({"messages": list(messages), "flow": flow, "prompt": prompt_version})
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return ModelReply(text=outcome, parsed=None, usage=Usage())


def _escalated_and_resolved(db: Database) -> None:
    for n, question in enumerate(POSTER):
        inquiry = add(db, question, action="escalate", reason="low_confidence")
        with db.session() as session:
            row = session.get(InquiryRow, inquiry)
            session.add(EscalationRow(
                id=new_id("esc"), conversation_id=row.conversation_id, inquiry_id=inquiry,
                status="resolved", reason="low_confidence", language="en",
                resolution=ANSWER.format(name=["Ken", "Maria", "Tom", "Aiko"][n]),
                created_at=NOW, updated_at=NOW, resolved_at=NOW))
            session.commit()
    for question in PASSWORDS:
        add(db, question)


def _topics(db: Database, embedder: Any) -> None:
    with db.session() as session:
        topics.compute_topics(session, embedder, ClusterConfig(min_cluster_size=3))


def test_a_gap_gets_an_extractive_draft_without_names_or_repeats(
        db: Database, e5_embedder: Any) -> None:
    _escalated_and_resolved(db)
    _topics(db, e5_embedder)
    with db.session() as session:
        found = gaps.compute_gaps(session, Policy.load(None), embedder=e5_embedder)
    assert len(found) == 1
    gap = found[0]
    assert gap.language == "en" and gap.title in POSTER
    assert gap.evidence["signals"] == 4 and gap.evidence["resolutions"] == 4
    assert gap.draft.count("Export > PDF") == 1
    for personal in ("Ken", "Maria", "Alex", "Best regards", "Thanks for reaching out"):
        assert personal not in gap.draft


def test_in_llm_mode_the_model_writes_the_draft_within_the_agents_answers(
        db: Database, e5_embedder: Any) -> None:
    _escalated_and_resolved(db)
    _topics(db, e5_embedder)
    model = ScriptedModel(["Export the board as a PDF with page size A0, then have a print "
                           "shop print it.\n\n1. Open the board.\n2. Export > PDF, page size A0."])
    with db.session() as session:
        gap = gaps.compute_gaps(session, Policy.load(None), embedder=e5_embedder, llm=model,
                                prompts=PromptLibrary())[0]
    assert gap.draft.startswith("Export the board as a PDF with page size A0")
    sent = model.calls[0]["messages"][0].content
    assert "Export > PDF" in sent and "Ken" not in sent and "Alex" not in sent
    assert model.calls[0]["flow"] == "insights_gap_draft"
    assert model.calls[0]["prompt"] == "gap_article_en@1"
    # Nothing new: the model is not asked again.
    with db.session() as session:
        gaps.compute_gaps(session, Policy.load(None), embedder=e5_embedder, llm=model,
                          prompts=PromptLibrary())
    assert len(model.calls) == 1


def test_a_model_draft_with_a_number_no_agent_gave_or_a_failure_keeps_the_extractive_one(
        db: Database, e5_embedder: Any) -> None:
    _escalated_and_resolved(db)
    _topics(db, e5_embedder)
    model = ScriptedModel(["Posters up to A0 are printed for you within 5 business days."])
    with db.session() as session:
        gap = gaps.compute_gaps(session, Policy.load(None), embedder=e5_embedder, llm=model,
                                prompts=PromptLibrary())[0]
    assert "5 business days" not in gap.draft and "Export > PDF" in gap.draft
    assert gaps.model_draft(ScriptedModel([LLMTimeout("slow")]), PromptLibrary(), "ja",
                            "質問", ["回答"], "extractive") == "extractive"
