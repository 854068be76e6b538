"""Risk against coverage: the curve, the threshold choice, and what the report draws of it."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest

from agent.types import Citation, Decision, Escalation, ReasonCode
from eval.cases import EvalCase
from eval.compare import Comparison
from eval.report import render_html, render_markdown
from eval.results import RunResult
from eval.riskcoverage import (
    Point,
    Row,
    at,
    at_deflection,
    choose,
    curve,
    points_from,
    rows_from_results,
    summary,
    thin,
)
from eval.riskplot import chart_svg, level_rows, series_of
from eval.scorers import CaseResult


def row(score: float, correct: bool, *, language: str = "en", source: str = "kb",
        case_id: str = "") -> Row:
    return Row(case_id or f"c{score}-{correct}", language, source, score, correct,
               {"confidence": score})


# A hand-computed set: 4 rows the threshold decides, out of 10 cases in the run.
ROWS = [row(0.9, True), row(0.8, False), row(0.7, True), row(0.6, True)]


def test_the_curve_runs_from_answering_nothing_to_answering_every_row() -> None:
    points = curve(ROWS, 10)
    assert [(p.threshold, p.answered, p.wrong) for p in points][1:] == [
        (0.9, 1, 0), (0.8, 2, 1), (0.7, 3, 1), (0.6, 4, 1)]
    assert points[0].answered == 0 and points[0].threshold > 1.0  # nothing clears it
    assert [p.deflection for p in points] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert [round(p.wrong_rate, 4) for p in points] == [0.0, 0.0, 0.5, 0.3333, 0.25]


def test_rows_with_the_same_score_are_one_threshold() -> None:
    points = curve([row(0.8, True, case_id="a"), row(0.8, False, case_id="b"),
                    row(0.5, True, case_id="c")], 3)
    assert [(p.threshold, p.answered, p.wrong) for p in points][1:] == [(0.8, 2, 1),
                                                                        (0.5, 3, 1)]


def test_the_curve_can_rank_by_another_score() -> None:
    points = curve(ROWS, 4, score=lambda r: 1.0 - r.score)  # the worst first
    assert [p.answered for p in points] == [0, 1, 2, 3, 4]
    assert points[1].threshold == pytest.approx(0.4)


def test_choose_answers_the_most_within_the_target() -> None:
    points = curve(ROWS, 10)
    # 0.8 alone is over a 0.3 target (0.5), but answering down to 0.6 is within it (0.25).
    assert choose(points, 0.3).threshold == 0.6
    assert choose(points, 0.4).answered == 4
    assert choose(points, 0.0).threshold == 0.9


def test_choose_answers_nothing_when_even_the_surest_answer_misses_the_target() -> None:
    points = curve([row(0.9, False), row(0.8, True)], 2)
    chosen = choose(points, 0.05)
    assert chosen.answered == 0 and chosen.threshold > 1.0


def test_at_returns_the_outcome_of_a_threshold() -> None:
    points = curve(ROWS, 10)
    assert at(points, 0.75).threshold == 0.8  # the lowest listed threshold at or above it
    assert at(points, 0.8).answered == 2
    assert at(points, 0.0).answered == 4
    assert at(points, 0.95).answered == 0


def test_at_deflection_answers_the_most_without_passing_the_level() -> None:
    points = curve(ROWS, 10)
    assert at_deflection(points, 0.25).answered == 2
    assert at_deflection(points, 0.3).answered == 3
    assert at_deflection(points, 0.05).answered == 0
    assert at_deflection(points, 1.0).answered == 4


def test_thin_keeps_both_ends_in_order() -> None:
    points = [Point(1 - i / 100, i, 0, i / 100, 0.0) for i in range(101)]
    kept = thin(points, 10)
    assert len(kept) == 10
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert [p.answered for p in kept] == sorted(p.answered for p in kept)
    assert thin(points[:5], 10) == points[:5]


def _result(case_id: str, *, expected: str, action: str, source_id: str,
            reason: ReasonCode | None = None, relevant: list[str] | None = None,
            language: str = "en", confidence: float = 0.7) -> CaseResult:
    candidate = Citation(id=source_id, title=source_id, source="kb", score=confidence)
    decision = Decision(
        action=action, answer="x", tag="usage_question", tag_confidence=0.9,
        confidence=confidence, language=language, candidate=candidate,
        escalation=Escalation(reason=reason, detail="d") if reason else None,
        evidence={"confidence": confidence})
    case = EvalCase(id=case_id, inquiry="q", expected_action=expected,
                    relevant_ids=relevant or [], language=language)
    return CaseResult(case, decision)


def test_rows_are_the_cases_the_threshold_decides_labelled_by_what_answering_would_mean(
) -> None:
    results = [
        _result("right", expected="answer", action="answer", source_id="kb-a",
                relevant=["kb-a"], confidence=0.9),
        _result("other-source", expected="answer", action="answer", source_id="kb-b",
                relevant=["kb-a"], confidence=0.8),
        _result("should-escalate", expected="escalate", action="escalate", source_id="kb-a",
                reason=ReasonCode.LOW_CONFIDENCE, confidence=0.3),
        _result("guarded", expected="escalate", action="escalate", source_id="kb-a",
                reason=ReasonCode.SENSITIVE_TOPIC, confidence=0.9),
        _result("ja", expected="answer", action="escalate", source_id="kb-j",
                reason=ReasonCode.LOW_CONFIDENCE, language="ja", confidence=0.4),
    ]
    rows = {r.case_id: r for r in rows_from_results(results)}
    assert set(rows) == {"right", "other-source", "should-escalate", "ja"}  # no guard
    assert rows["right"].correct and rows["ja"].correct
    assert not rows["other-source"].correct and not rows["should-escalate"].correct

    risk = summary(results, threshold=0.5)
    assert risk["cases"] == 5 and risk["rows"] == 4 and risk["answerable"] == 2
    assert risk["operating_point"]["answered"] == 2 and risk["operating_point"]["wrong"] == 1
    # Per language, deflection counts the language's own cases.
    ja = risk["by_language"]["ja"]
    assert ja["rows"] == 1 and ja["points"][-1]["deflection"] == 1.0
    assert risk["by_language"]["en"]["points"][-1]["deflection"] == pytest.approx(3 / 4)


def _risk() -> dict[str, Any]:
    results = [
        _result(f"en{i}", expected="answer" if i % 4 else "escalate", action="answer",
                source_id="kb-a", relevant=["kb-a"], confidence=0.5 + i / 40)
        for i in range(12)] + [
        _result(f"ja{i}", expected="answer" if i % 3 else "escalate", action="answer",
                source_id="kb-a", relevant=["kb-a"], language="ja", confidence=0.45 + i / 30)
        for i in range(9)]
    return summary(results, threshold=0.6)


def test_the_report_draws_a_line_per_language_and_source_and_rings_the_operating_point(
) -> None:
    risk = _risk()
    run = RunResult([], {"action": {"risk_coverage": risk}},
                    {"answer_threshold": {"threshold": 0.6, "by": "grounding score"}})
    page = render_html(run)
    section = page[page.index('id="risk-coverage"'):]
    charts = re.findall(r"<svg.*?</svg>", section, flags=re.S)
    assert len(charts) == 2  # by language, by source kind
    assert charts[0].count('class="curve"') == 3  # all, English, Japanese
    assert charts[0].count('class="operating-point"') == 3
    assert "Japanese" in charts[0] and "English" in charts[0]
    assert "help-centre articles" in charts[1]
    assert "the grounding score was at least 0.6000" in section
    assert "https://" not in page and "<script" not in page  # self-contained

    markdown = render_markdown(run)
    assert "## Risk against coverage" in markdown
    assert "| 0.6000 (this run) |" in markdown
    assert "| language ja |" in markdown


def test_the_operating_point_sits_where_its_deflection_and_rate_say() -> None:
    p = Point(0.6, 5, 1, 0.5, 0.2)
    svg = chart_svg([series_of({"points": [asdict(Point(1.0, 0, 0, 0.0, 0.0)), asdict(p)],
                                "operating_point": asdict(p)})[0]], title="t",
                    width=456, height=300)
    ring = re.search(r'class="operating-point" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert ring is not None
    # x: 56 px margin + half of 384 px; y: 0.2 on an axis topped at 0.2 is the plot's top.
    assert float(ring.group(1)) == pytest.approx(56 + 0.5 * 384)
    assert float(ring.group(2)) == pytest.approx(34)


def test_compare_tables_both_runs_at_equal_deflection() -> None:
    a, b = _risk(), _risk()
    b_points = points_from(b["points"])
    # B answers the same with fewer wrong: every rate halved.
    b["points"] = [{**asdict(p), "wrong_rate": p.wrong_rate / 2} for p in b_points]
    header, rows = level_rows(a, b, levels=(0.25, 0.5))
    assert len(rows) == 3
    assert header[0] == "deflection" and len(rows) == 3 and rows[-1][0] == "operating point"
    for level, a_defl, a_rate, b_defl, b_rate in rows[:2]:
        assert a_defl == b_defl and a_defl <= float(level.strip("≤ %")) / 100
        assert b_rate == pytest.approx(a_rate / 2, abs=1e-4)
    assert Comparison(risk=(a, b)).risk_table()[1][-1] == rows[-1]
