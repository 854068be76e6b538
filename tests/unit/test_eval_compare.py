"""compare: metric deltas and the cases whose outcome flipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.cli import main
from eval.compare import compare_runs, render_comparison


def write_run(folder: Path, metrics: dict[str, object], outcomes: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    lines = [json.dumps({"id": i, "outcome": o, "failures": [] if o == "pass" else [f"{i} broke"]})
             for i, o in outcomes.items()]
    (folder / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_compare_reports_deltas_and_flipped_cases(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {"tag": {"accuracy": 0.8, "macro_f1": 0.7}},
                  {"c1": "pass", "c2": "fail", "c3": "pass", "c4": "pass"})
    b = write_run(tmp_path / "b", {"tag": {"accuracy": 0.75, "macro_f1": 0.7}},
                  {"c1": "fail", "c2": "pass", "c3": "pass", "c5": "pass"})
    comparison = compare_runs(a, b)
    assert comparison.changed == [("tag.accuracy", 0.8, 0.75)]
    flips = {(f.id, f.before, f.after) for f in comparison.flips}
    assert flips == {("c1", "pass", "fail"), ("c2", "fail", "pass"), ("c4", "pass", "absent"),
                     ("c5", "absent", "pass")}
    text = render_comparison(comparison)
    assert "tag.accuracy" in text and "-0.0500" in text
    assert "c1: pass -> fail  c1 broke" in text
    assert "macro_f1" not in text  # unchanged metrics are listed only with --all


def test_compare_command_prints_and_writes_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", {"x": 1}, {"c1": "pass"})
    b = write_run(tmp_path / "b", {"x": 2}, {"c1": "error"})
    out = tmp_path / "cmp.json"
    assert main(["compare", str(a), str(b), "--json", str(out)]) == 0
    assert "c1: pass -> error" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["metrics"]["x"] == {"a": 1.0, "b": 2.0, "delta": 1.0}
    assert data["flipped"] == [{"id": "c1", "a": "pass", "b": "error", "failures": ["c1 broke"]}]


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 2


def test_compare_shows_fact_hit_rate_overall_and_per_language(tmp_path: Path) -> None:
    def metrics(overall: float, ja: float) -> dict[str, object]:
        return {"answer": {"fact_hit_rate": overall, "fact_escalated": 3},
                "by_language": {"en": {"fact_hit_rate": 0.5}, "ja": {"fact_hit_rate": ja}}}

    a = write_run(tmp_path / "a", metrics(0.45, 0.40), {"q1": "fail"})
    b = write_run(tmp_path / "b", metrics(0.60, 0.70), {"q1": "pass"})
    text = render_comparison(compare_runs(a, b))
    assert "answer.fact_hit_rate" in text and "+0.1500" in text
    assert "by_language.ja.fact_hit_rate" in text and "+0.3000" in text
    assert "by_language.en.fact_hit_rate" not in text  # unchanged


def _risk(rates: list[float]) -> dict[str, object]:
    """A risk-coverage summary: 10 cases, one threshold per answered case, given wrong rates."""
    points = [{"threshold": 1.0, "answered": 0, "wrong": 0, "deflection": 0.0,
               "wrong_rate": 0.0}]
    for n, rate in enumerate(rates, start=1):
        points.append({"threshold": round(1 - n / 10, 2), "answered": n,
                       "wrong": round(rate * n), "deflection": n / 10, "wrong_rate": rate})
    group = {"rows": len(rates), "answerable": len(rates), "points": points,
             "operating_point": points[min(3, len(rates))]}
    return {"threshold": 0.7, "cases": 10, **group, "by_language": {"en": group, "ja": group},
            "by_source": {"kb": group}}


def test_compare_shows_both_risk_curves_at_equal_deflection(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", {"action": {"risk_coverage": _risk([0.0, 0.5, 0.33, 0.25])}},
                  {"c1": "pass"})
    b = write_run(tmp_path / "b", {"action": {"risk_coverage": _risk([0.0, 0.0, 0.0, 0.25])}},
                  {"c1": "pass"})
    (b / "run.json").write_text(json.dumps({"answer_threshold": {
        "threshold": 0.93, "by": "answerability model"}}), encoding="utf-8")
    page = tmp_path / "ab.html"
    assert main(["compare", str(a), str(b), "--html", str(page)]) == 0
    text = capsys.readouterr().out
    assert "B answered when the answerability model's probability was at least 0.9300" in text
    assert "A answered when ?" in text  # no run.json: nothing to say
    line = next(row for row in text.splitlines() if row.strip().startswith("≤ 20%"))
    assert line.split()[2:] == ["0.2000", "0.5000", "0.2000", "0"]
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and html.count('class="operating-point"') == 2 + 4
    assert "stroke-dasharray" in html and "<script" not in html


def test_compare_html_needs_both_curves(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", {"x": 1}, {"c1": "pass"})
    b = write_run(tmp_path / "b", {"action": {"risk_coverage": _risk([0.0])}}, {"c1": "pass"})
    assert main(["compare", str(a), str(b), "--html", str(tmp_path / "ab.html")]) == 2
    assert "has none" in capsys.readouterr().err
    assert "risk against coverage" not in render_comparison(compare_runs(a, b))
