"""The optional LLM judge, driven by a scripted model: prompt, verdicts, failures, agreement."""

from __future__ import annotations

from agent.llm import ScriptedModel
from agent.types import Citation, Decision
from eval.cases import EvalCase
from eval.judge import Judge, document_text
from eval.runner import add_judgement
from eval.scorers import CaseResult, aggregate, score_case
from prompts import PromptLibrary
from retrieval.textproc import Analyzer

CASE = EvalCase(id="j1", inquiry="How do I invite people?", expected_action="answer",
                relevant_ids=["kb-invite"],
                reference_answer="Workspace settings > Members > Invite members.")


def answered(cited: str = "kb-invite") -> Decision:
    return Decision(action="answer", answer="Open Workspace settings > Members > Invite.",
                    tag="usage_question", tag_confidence=0.9, confidence=0.8, language="en",
                    citations=[Citation(id=cited, title="Invite", source="kb", score=0.9)])


def lookup(source: str, doc_id: str) -> str | None:
    return {("kb", "kb-invite"): "Invite members from Workspace settings > Members."}.get(
        (source, doc_id))


def test_the_judge_template_renders_strictly() -> None:
    template = PromptLibrary().get("judge")
    assert template.version == "1"
    assert template.variables == {"question", "reference", "context", "answer"}


def test_judge_sends_question_reference_sources_and_answer_and_parses_the_verdict() -> None:
    model = ScriptedModel({"correct": True, "faithful": True, "reason": "same steps"})
    judge = Judge(model, lookup)
    verdict = judge.grade(CASE, answered())
    assert (verdict.correct, verdict.faithful) == (True, True)
    assert model.calls == [("eval_judge", "judge@1")]
    prompt = model.history[0][0].content
    assert "How do I invite people?" in prompt
    assert "Workspace settings > Members > Invite members." in prompt
    assert '<source id="kb-invite" title="Invite">' in prompt
    assert "Open Workspace settings > Members > Invite." in prompt
    assert judge.usage.prompt_tokens > 0


def test_an_answer_without_cited_sources_shows_none() -> None:
    model = ScriptedModel({"correct": False, "faithful": False})
    Judge(model, lookup).grade(CASE, answered(cited="kb-unknown"))
    assert "<cited_sources>\n(none)\n</cited_sources>" in model.history[0][0].content


def test_invalid_output_twice_is_a_judge_error_not_a_verdict() -> None:
    model = ScriptedModel("not json", '{"correct": "perhaps"}')
    outcome = Judge(model, lookup).try_grade(CASE, answered())
    assert isinstance(outcome, str) and outcome.startswith("judge failed:")


def test_judge_rates_and_agreement_with_the_deterministic_checks() -> None:
    terms = Analyzer().terms
    results = [CaseResult(CASE.model_copy(update={"id": f"c{i}"}), d,
                          checks=score_case(CASE, d, terms))
               for i, d in enumerate([answered(), answered(), answered(cited="kb-other")])]
    # Deterministic: right, right, wrong. Judge: correct, wrong, wrong -> agrees on 2 of 3.
    model = ScriptedModel({"correct": True, "faithful": True},
                          {"correct": False, "faithful": True},
                          {"correct": False, "faithful": False})
    add_judgement(results, Judge(model, lookup))
    answer = aggregate(results)["answer"]
    assert answer["judge_cases"] == 3
    assert answer["judge_correct_rate"] == 1 / 3
    assert answer["judge_faithful_rate"] == 2 / 3
    assert answer["judge_agreement"] == 2 / 3


def test_document_text_reads_kb_and_ticket_records() -> None:
    assert document_text({"title": "T", "text": "body"}) == "T\nbody"
    assert document_text({"subject": "S", "body": "q", "resolution": "a"}) == "S\nq\na"
    assert document_text(None) is None
