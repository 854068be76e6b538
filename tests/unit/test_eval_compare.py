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
