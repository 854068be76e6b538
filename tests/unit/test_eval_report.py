"""Reports: self-contained HTML with inline SVG charts, Markdown, failing cases first."""

from __future__ import annotations

import re

from agent.types import Decision, Escalation, ReasonCode
from eval.cases import EvalCase
from eval.report import (
    bars_svg,
    confusion_svg,
    histogram_svg,
    ordered_results,
    render_html,
    render_markdown,
)
from eval.results import RunResult
from eval.scorers import (
    CaseResult,
    aggregate,
    metrics_by_language,
    score_case,
    tag_metrics_by_language,
)
from retrieval.textproc import Analyzer


def _decision(action: str, tag: str, latency: float) -> Decision:
    escalation = (Escalation(reason=ReasonCode.LOW_CONFIDENCE, detail="d")
                  if action == "escalate" else None)
    return Decision.model_validate({
        "action": action, "answer": "Go to <b>Settings</b>.", "tag": tag,
        "tag_confidence": 0.7, "confidence": 0.6, "language": "en", "latency_ms": latency,
        "escalation": escalation})


def _run() -> RunResult:
    cases = [
        EvalCase(id="ok", inquiry="How do I invite?", expected_tag="usage_question",
                 expected_action="answer"),
        EvalCase(id="bad", inquiry="<script>alert(1)</script> export broken",
                 expected_tag="bug", expected_action="escalate",
                 expected_reason="bug_report"),
        EvalCase(id="boom", inquiry="x", expected_action="answer"),
    ]
    decisions = [_decision("answer", "usage_question", 12.0),
                 _decision("answer", "usage_question", 30.0), None]
    results = []
    for c, d in zip(cases, decisions, strict=True):
        if d is None:
            results.append(CaseResult(c, None, error="RuntimeError: store closed"))
        else:
            results.append(CaseResult(c, d, checks=score_case(c, d, Analyzer().terms)))
    metrics = aggregate(results, ["bug", "usage_question", "success_opportunity"])
    metrics["by_language"] = metrics_by_language(results)
    metrics["tag_by_language"] = tag_metrics_by_language(
        results, ["bug", "usage_question", "success_opportunity"])
    meta = {"started_at": "2026-01-01T00:00:00+00:00", "mode": "offline",
            "sources": {"cases": "c.jsonl"}, "seconds": {"total_s": 1.5},
            "problems": ["c.jsonl:4: error: malformed JSON"]}
    return RunResult(results, metrics, meta)


def test_failing_cases_come_first_errors_before_failures() -> None:
    assert [r.case.id for r in ordered_results(_run().results)] == ["boom", "bad", "ok"]


def test_html_report_is_self_contained_with_charts_and_escaped_text() -> None:
    page = render_html(_run())
    assert page.count("<svg") >= 3  # confusion heat map, per-class bars, latency histogram
    assert "aria-label=\"confusion matrix\"" in page
    assert "aria-label=\"latency histogram\"" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=", page)
    # The failing cases section lists the error and the failure before any passing case.
    failing = page.index("Failing cases (2)")
    assert failing < page.index("RuntimeError: store closed") < page.index("Passing cases (1)")
    assert "action: expected escalate, got answer" in page
    assert "c.jsonl:4: error: malformed JSON" in page


def test_markdown_report_has_headline_language_tags_and_failures() -> None:
    text = render_markdown(_run())
    assert "| Tag accuracy | 0.500 |" in text
    assert "## By language" in text and "## Failing cases (2)" in text
    assert "| bad | en | escalate (bug_report); tag bug |" in text


def test_charts_handle_edge_cases() -> None:
    assert histogram_svg([]) == "<p>No latencies recorded.</p>"
    assert "<svg" in histogram_svg([5.0, 5.0, 5.0])
    svg = confusion_svg(["a", "b"], {"a": {"a": 3, "b": 1}})
    assert ">3<" in svg and "a → b: 1" in svg
    assert "a precision: 0.500" in bars_svg([("a", [0.5])], ["precision"])


def test_reports_show_each_languages_tag_confusion() -> None:
    page = render_html(_run())
    assert "<h3>Tags: en</h3>" in page
    assert page.count('aria-label="confusion matrix"') == 2  # all cases, then English
    text = render_markdown(_run())
    assert "Tags, en (2 cases, accuracy 0.500, macro-F1 0.333)" in text
    assert "| bug | 0 | 1 | 0.000 | 1 |" in text  # the bug report tagged usage_question


def _fact_run() -> RunResult:
    cases = [
        EvalCase(id="en-hit", inquiry="How long is the trial?", language="en",
                 expected_action="answer", facts=["30 days"]),
        EvalCase(id="en-miss", inquiry="Which cards?", language="en",
                 expected_action="answer", facts=["JCB"]),
        EvalCase(id="ja-esc", inquiry="何件まで読み取れますか", language="ja",
                 expected_action="answer", facts=["20件"]),
    ]
    decisions = [
        Decision.model_validate({"action": "answer", "answer": "A **30 days** trial.",
                                 "tag": "usage_question", "tag_confidence": 0.9,
                                 "confidence": 0.8, "language": "en", "latency_ms": 5.0}),
        Decision.model_validate({"action": "answer", "answer": "Visa only.",
                                 "tag": "usage_question", "tag_confidence": 0.9,
                                 "confidence": 0.8, "language": "en", "latency_ms": 5.0}),
        _decision("escalate", "usage_question", 5.0),
    ]
    results = [CaseResult(c, d, checks=score_case(c, d, Analyzer().terms))
               for c, d in zip(cases, decisions, strict=True)]
    metrics = aggregate(results)
    metrics["by_language"] = metrics_by_language(results)
    return RunResult(results, metrics, {"sources": {}, "seconds": {}})


def test_reports_show_fact_figures_overall_and_per_language_and_what_was_missing() -> None:
    run = _fact_run()
    text = render_markdown(run)
    assert "| Fact hit rate | 0.333 |" in text
    assert "## Facts" in text
    assert "| fact hit rate | 0.333 | 0.500 | 0.000 |" in text
    assert "| escalated (no answer) | 1 | 0 | 1 |" in text
    assert "| answered, a fact missing (wrong or partial quote) | 1 | 1 | 0 |" in text
    assert "| fact_hit_rate | 0.500 | 0.000 |" in text  # the by-language table
    assert "answer lacks 'JCB'" in text
    page = render_html(run)
    assert 'id="facts"' in page and "answer lacks &#x27;JCB&#x27;" in page
    assert "facts 20件" in page  # the expectation column names the facts


def test_a_run_without_facts_shows_no_fact_figures() -> None:
    text = render_markdown(_run())
    assert "Fact hit rate" not in text and "## Facts" not in text and "fact_" not in text
    assert "Fact hit rate" not in render_html(_run())
