"""Scorers on hand-computed examples: a wrong scorer is worse than none."""

from __future__ import annotations

import math
from typing import Any

import pytest

from agent.types import Citation, Decision, Escalation, ReasonCode
from eval.cases import EvalCase
from eval.scorers import (
    CaseResult,
    aggregate,
    dedupe,
    escalation_metrics,
    flatten,
    percentile,
    retrieval_scores,
    score_case,
    tag_metrics,
    token_f1,
)
from retrieval.textproc import Analyzer


def cite(doc_id: str) -> Citation:
    return Citation(id=doc_id, title=doc_id, source="kb", score=0.9)


def decision(action: str = "answer", *, tag: str = "usage_question", cited: tuple[str, ...] = (),
             retrieved: tuple[str, ...] = (), reason: ReasonCode | None = None,
             answer: str = "an answer", language: str = "en", latency: float = 10.0,
             tokens: tuple[int, int, float] = (0, 0, 0.0)) -> Decision:
    data: dict[str, Any] = {
        "action": action, "answer": answer, "tag": tag, "tag_confidence": 0.9,
        "confidence": 0.8, "language": language, "latency_ms": latency,
        "citations": [cite(c) for c in cited], "retrieved": [cite(r) for r in retrieved],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1],
                  "cost_usd": tokens[2]},
    }
    if reason is not None:
        data["escalation"] = Escalation(reason=reason, detail="test")
    return Decision.model_validate(data)


def case(case_id: str = "c", **fields: Any) -> EvalCase:
    return EvalCase(id=case_id, inquiry=fields.pop("inquiry", "How do I invite people?"),
                    **fields)


def result(c: EvalCase, d: Decision) -> CaseResult:
    return CaseResult(c, d, checks=score_case(c, d, Analyzer().terms))


# --------------------------------------------------------------------------- tags


def test_tag_accuracy_macro_f1_and_confusion_match_hand_computation() -> None:
    expected = [("a",), ("a",), ("b",), ("b",), ("c",)]
    predicted = ["a", "b", "b", "b", "a"]
    m = tag_metrics(expected, predicted, labels=["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    # a: tp 1 of 2 predicted, 2 true -> P .5 R .5 F1 .5; b: tp 2 of 3 predicted, 2 true ->
    # P 2/3 R 1 F1 .8; c: never predicted -> 0. Macro-F1 = (.5 + .8 + 0) / 3.
    assert m["per_class"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.8)
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx(1.3 / 3)
    assert m["confusion"] == {"a": {"a": 1, "b": 1}, "b": {"b": 2}, "c": {"a": 1}}


def test_a_prediction_matching_any_of_several_expected_tags_is_right() -> None:
    m = tag_metrics([("bug", "success_opportunity"), ("bug", "success_opportunity")],
                    ["success_opportunity", "usage_question"])
    assert m["accuracy"] == 0.5
    # The right one counts under the tag it matched, the wrong one under the first tag.
    assert m["confusion"] == {"success_opportunity": {"success_opportunity": 1},
                              "bug": {"usage_question": 1}}
    assert m["labels"] == ["bug", "success_opportunity", "usage_question"]


def test_labels_keep_taxonomy_order_and_unknown_labels_follow_alphabetically() -> None:
    m = tag_metrics([("z",), ("b",)], ["b", "q"], labels=["b", "a"])
    assert m["labels"] == ["b", "q", "z"]


# --------------------------------------------------------------------------- actions


def test_escalation_precision_recall_treat_escalation_as_positive() -> None:
    m = escalation_metrics([True, True, False, False, True], [True, False, True, False, True])
    # TP 2; escalated 3; should escalate 3; right actions 3 of 5.
    assert m["escalation_precision"] == pytest.approx(2 / 3)
    assert m["escalation_recall"] == pytest.approx(2 / 3)
    assert m["accuracy"] == pytest.approx(3 / 5)


def test_escalation_precision_is_undefined_when_nothing_escalated() -> None:
    m = escalation_metrics([True, False], [False, False])
    assert m["escalation_precision"] is None and m["escalation_recall"] == 0.0


def test_answering_a_case_that_should_escalate_is_a_wrong_answer() -> None:
    checks = score_case(case(expected_action="escalate", expected_reason="sensitive_topic"),
                        decision("answer"), Analyzer().terms)
    assert checks.action is False and checks.wrong_answer is True and checks.reason is None


def test_answering_without_citing_a_relevant_id_is_a_wrong_answer() -> None:
    c = case(expected_action="answer", relevant_ids=["kb-a", "kb-b"])
    miss = score_case(c, decision("answer", cited=("kb-x",)), Analyzer().terms)
    hit = score_case(c, decision("answer", cited=("kb-x", "kb-b")), Analyzer().terms)
    assert (miss.citation_hit, miss.wrong_answer, miss.action) == (False, True, True)
    assert (hit.citation_hit, hit.wrong_answer) == (True, False)


def test_escalating_is_never_a_wrong_answer_and_has_no_citation_check() -> None:
    c = case(expected_action="answer", relevant_ids=["kb-a"])
    checks = score_case(c, decision("escalate", reason=ReasonCode.LOW_CONFIDENCE),
                        Analyzer().terms)
    assert checks.wrong_answer is None and checks.citation_hit is None
    assert checks.action is False


def test_run_level_action_figures_match_hand_computation() -> None:
    results = [
        # 1: should answer, answered citing the relevant doc: right.
        result(case("1", expected_action="answer", relevant_ids=["kb-a"]),
               decision("answer", cited=("kb-a",))),
        # 2: should answer, answered citing the wrong doc: wrong answer.
        result(case("2", expected_action="answer", relevant_ids=["kb-a"]),
               decision("answer", cited=("kb-b",))),
        # 3: should escalate (refund), answered: wrong answer.
        result(case("3", expected_action="escalate", expected_reason="sensitive_topic"),
               decision("answer")),
        # 4: should escalate as sensitive, escalated as sensitive: reason right.
        result(case("4", expected_action="escalate", expected_reason="sensitive_topic"),
               decision("escalate", reason=ReasonCode.SENSITIVE_TOPIC)),
        # 5: should escalate as human_requested, escalated as low_confidence: reason wrong.
        result(case("5", expected_action="escalate", expected_reason="human_requested"),
               decision("escalate", reason=ReasonCode.LOW_CONFIDENCE)),
        # 6: should answer, escalated.
        result(case("6", expected_action="answer"),
               decision("escalate", reason=ReasonCode.LOW_CONFIDENCE)),
        # 7: no expectation at all, answered: counts for deflection only.
        result(case("7"), decision("answer")),
    ]
    m = aggregate(results)
    action = m["action"]
    assert action["deflection_rate"] == pytest.approx(4 / 7)
    # Judgeable answers: 1, 2, 3 (7 has no expectation); wrong: 2 and 3.
    assert action["wrong_answer_rate"] == pytest.approx(2 / 3)
    assert action["wrong_answers"] == 2
    # Escalated among cases expecting a reason: 4 (right) and 5 (wrong).
    assert action["reason_accuracy"] == pytest.approx(1 / 2)
    # Should escalate: 3, 4, 5; escalated: 4, 5, 6.
    assert action["escalation_precision"] == pytest.approx(2 / 3)
    assert action["escalation_recall"] == pytest.approx(2 / 3)
    assert action["reasons"] == {"low_confidence": 2, "sensitive_topic": 1}
    assert m["answer"]["citation_hit_rate"] == pytest.approx(1 / 2)
    assert m["cases"]["passed"] == 3 and m["cases"]["failed"] == 4
    assert [r.outcome for r in results] == ["pass", "fail", "fail", "pass", "fail", "fail",
                                            "pass"]


def test_a_case_that_raised_counts_as_an_error_and_nowhere_else() -> None:
    good = result(case("1", expected_action="answer"), decision("answer"))
    broken = CaseResult(case("2", expected_action="answer"), None, error="ValueError: boom")
    m = aggregate([good, broken])
    assert m["cases"] == {"total": 2, "passed": 1, "failed": 0, "errors": 1, "error_rate": 0.5,
                          "pass_rate": 0.5, "skipped_lines": 0}
    assert m["action"]["deflection_rate"] == 1.0 and m["action"]["cases"] == 1
    assert broken.failures == ["error: ValueError: boom"]


# --------------------------------------------------------------------------- answers


def test_token_f1_on_token_lists() -> None:
    assert token_f1(["a", "b", "b", "c"], ["b", "c", "d"]) == pytest.approx(2 * (2 / 4) * (2 / 3)
                                                                          / (2 / 4 + 2 / 3))
    assert token_f1([], []) == 1.0
    assert token_f1(["a"], []) == 0.0
    assert token_f1(["a"], ["b"]) == 0.0


def test_token_f1_in_english_uses_stemmed_terms_without_stopwords() -> None:
    terms = Analyzer().terms
    answer = terms("Go to Settings and click Invite members.")
    reference = terms("Click Invite members in Settings to invite people.")
    assert answer == ["go", "set", "click", "invit", "member"]
    assert reference == ["click", "invit", "member", "set", "invit", "peopl"]
    # Overlap 4 (click, invit once, member, set): P 4/5, R 4/6.
    assert token_f1(answer, reference) == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))


def test_token_f1_in_japanese_uses_words_not_characters() -> None:
    terms = Analyzer().terms
    answer = terms("請求書はワークスペース設定の請求からダウンロードできます。")
    reference = terms("請求書のダウンロードは請求画面から行えます。")
    assert answer == ["請求書", "ワークス", "ペース", "設定", "請求", "ダウンロード"]
    assert reference == ["請求書", "ダウンロード", "請求", "画面", "行う"]
    # Overlap 3 (請求書, 請求, ダウンロード): P 3/6, R 3/5.
    assert token_f1(answer, reference) == pytest.approx(2 * 0.5 * 0.6 / 1.1)


def test_reference_f1_is_scored_only_for_answered_cases_with_a_reference() -> None:
    c = case(reference_answer="Click Invite members in Settings to invite people.")
    answered = score_case(c, decision("answer", answer="Go to Settings and click Invite members."),
                          Analyzer().terms)
    escalated = score_case(c, decision("escalate", reason=ReasonCode.LOW_CONFIDENCE),
                           Analyzer().terms)
    assert answered.reference_f1 == pytest.approx(0.72727, abs=1e-4)
    assert escalated.reference_f1 is None


# --------------------------------------------------------------------------- retrieval


def test_retrieval_scores_match_hand_computation() -> None:
    s = retrieval_scores(["x", "a", "y", "b"], ["a", "b"])
    assert s["recall@1"] == 0.0 and s["recall@5"] == 1.0 and s["recall@10"] == 1.0
    assert s["mrr"] == 0.5
    assert s["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    ideal = 1 + 1 / math.log2(3)
    assert s["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_retrieved_ids_are_deduplicated_in_order_before_ranking() -> None:
    assert dedupe(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]
    checks = score_case(case(relevant_ids=["b"]),
                        decision("answer", retrieved=("a", "a", "b")), Analyzer().terms)
    assert checks.retrieval is not None and checks.retrieval["mrr"] == 0.5


def test_retrieval_is_averaged_only_over_cases_that_list_relevant_ids() -> None:
    results = [result(case("1", relevant_ids=["a"]), decision(retrieved=("a",))),
               result(case("2"), decision(retrieved=("z",)))]
    m = aggregate(results)
    assert m["retrieval"]["cases"] == 1 and m["retrieval"]["recall@1"] == 1.0


# --------------------------------------------------------------------------- latency, usage


def test_latency_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([40.0, 10.0, 30.0, 20.0], 50) == 25.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_latency_and_usage_are_aggregated_over_decisions() -> None:
    results = [result(case(str(i)), decision(latency=float(v), tokens=(10, 5, 0.25)))
               for i, v in enumerate([10, 20, 30, 40])]
    m = aggregate(results)
    assert m["latency_ms"]["p50"] == 25.0 and m["latency_ms"]["p95"] == pytest.approx(38.5)
    assert m["usage"] == {"prompt_tokens": 40, "completion_tokens": 20, "cost_usd": 1.0}


def test_language_breakdown_and_flatten() -> None:
    from eval.scorers import metrics_by_language

    results = [result(case("1", language="en", expected_tag="bug"), decision(tag="bug")),
               result(case("2", inquiry="請求書を再発行できますか", expected_tag="bug"),
                      decision(tag="usage_question", language="ja"))]
    by = metrics_by_language(results)
    assert by["en"]["tag_accuracy"] == 1.0 and by["ja"]["tag_accuracy"] == 0.0
    assert by["ja"]["cases"] == 1
    flat = flatten({"tag": {"accuracy": 0.5, "labels": ["a"]}, "by": {"ja": {"n": 2}},
                    "skip": None})
    assert flat == {"tag.accuracy": 0.5, "by.ja.n": 2.0}


def test_tag_figures_per_language_have_their_own_confusion_matrix() -> None:
    from eval.scorers import tag_metrics_by_language

    results = [result(case("1", language="en", expected_tag="bug"), decision(tag="bug")),
               result(case("2", language="ja", expected_tag="bug"),
                      decision(tag="usage_question", language="ja")),
               result(case("3", language="ja", expected_tag="usage_question"),
                      decision(tag="usage_question", language="ja")),
               result(case("4", language="ja"), decision(tag="bug", language="ja"))]
    by = tag_metrics_by_language(results, ["bug", "usage_question"])
    assert by["en"]["confusion"] == {"bug": {"bug": 1}}
    assert by["ja"]["cases"] == 2  # case 4 has no expected tag
    assert by["ja"]["confusion"] == {"bug": {"usage_question": 1},
                                     "usage_question": {"usage_question": 1}}
    assert by["ja"]["per_class"]["bug"]["f1"] == 0.0
    assert by["ja"]["per_class"]["usage_question"]["f1"] == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- facts


def test_an_answer_hits_its_facts_only_when_it_states_every_one() -> None:
    c = case(expected_action="answer", relevant_ids=("kb-pay",),
             facts=("¥30,000", "last day of the month|月末"))
    hit = result(c, decision(cited=("kb-pay",), answer="Bank transfer from **¥30,000**; pay "
                                                       "by the last day of the month."))
    assert hit.checks.fact_hit is True and hit.checks.missing_facts == []
    assert hit.outcome == "pass"
    partial = result(c, decision(cited=("kb-pay",), answer="Bank transfer from ¥30,000."))
    assert partial.checks.fact_hit is False
    assert partial.checks.missing_facts == ["last day of the month|月末"]
    assert partial.failures == ["answer lacks 'last day of the month|月末'"]
    escalated = result(c, decision("escalate", answer="", reason=ReasonCode.LOW_CONFIDENCE))
    assert escalated.checks.fact_hit is False and escalated.checks.missing_facts == []
    assert escalated.failures == ["action: expected answer, got escalate (low_confidence)"]
    no_facts = result(case(expected_action="answer"), decision())
    assert no_facts.checks.fact_hit is None


def test_fact_figures_tell_escalations_from_wrong_quotes_per_language() -> None:
    from eval.scorers import metrics_by_language

    def fact_case(n: int, lang: str) -> EvalCase:
        return case(f"c{n}", language=lang, expected_action="answer",
                    relevant_ids=("kb-a",), facts=("20件",) if lang == "ja" else ("20 items",))

    results = [
        result(fact_case(1, "en"), decision(cited=("kb-a",), answer="up to 20 items")),  # hit
        result(fact_case(2, "en"), decision(cited=("kb-a",), answer="up to 200 items")),  # miss
        result(fact_case(3, "en"), decision(cited=("kb-b",), answer="20 items")),  # hit, wrong cite
        result(fact_case(4, "en"), decision("escalate", reason=ReasonCode.LOW_CONFIDENCE)),
        result(fact_case(5, "ja"), decision(cited=("kb-a",), answer="直近２０件まで", language="ja")),
        result(fact_case(6, "ja"), decision("escalate", reason=ReasonCode.LOW_CONFIDENCE,
                                            language="ja")),
        result(case("c7", expected_action="answer"), decision()),  # no facts: not counted
    ]
    answer = aggregate(results)["answer"]
    assert answer["fact_cases"] == 6 and answer["fact_hits"] == 3
    assert answer["fact_hit_rate"] == 0.5
    assert answer["fact_escalated"] == 2 and answer["fact_answered_missing"] == 1
    assert answer["fact_wrong_answer_rate"] == 0.25  # 1 of 4 answered cites no relevant id
    by = metrics_by_language(results)
    assert by["en"]["fact_hit_rate"] == 0.5 and by["en"]["fact_cases"] == 4
    assert by["ja"]["fact_hit_rate"] == 0.5 and by["ja"]["fact_escalated"] == 1
    assert flatten({"by_language": by})["by_language.ja.fact_hit_rate"] == 0.5


def test_a_run_without_facts_reports_no_fact_rate() -> None:
    answer = aggregate([result(case(expected_action="answer"), decision())])["answer"]
    assert answer["fact_hit_rate"] is None and answer["fact_cases"] == 0
