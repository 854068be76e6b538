"""The gate: metrics against versioned thresholds; exit 1 listing each miss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.cli import main
from eval.gate import DEFAULT_THRESHOLDS, check_gate, load_thresholds
from eval.scorers import MAIN_FIGURES, aggregate, flatten


def write_run(folder: Path, metrics: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return folder


METRICS = {"tag": {"accuracy": 0.80}, "action": {"wrong_answer_rate": 0.05},
           "answer": {"citation_hit_rate": None}}


def test_a_metric_below_its_minimum_or_above_its_maximum_fails() -> None:
    failures, checks = check_gate(METRICS, {"min": {"tag.accuracy": 0.85},
                                            "max": {"action.wrong_answer_rate": 0.04}})
    assert checks == 2
    assert [str(f) for f in failures] == [
        "tag.accuracy = 0.8 is below its min 0.85",
        "action.wrong_answer_rate = 0.05 is above its max 0.04",
    ]


def test_metrics_on_the_right_side_pass_and_a_missing_metric_fails() -> None:
    failures, _ = check_gate(METRICS, {"min": {"tag.accuracy": 0.8}, "max": {}})
    assert failures == []
    failures, _ = check_gate(METRICS, {"min": {"answer.citation_hit_rate": 0.5}})
    assert [str(f) for f in failures] == ["answer.citation_hit_rate: not measured (needs min 0.5)"]


def test_gate_command_exits_1_and_lists_each_failing_metric(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", METRICS)
    thresholds = tmp_path / "t.json"
    thresholds.write_text(json.dumps({"min": {"tag.accuracy": 0.9},
                                      "max": {"action.wrong_answer_rate": 0.01}}))
    assert main(["gate", str(run), "--thresholds", str(thresholds)]) == 1
    out = capsys.readouterr().out
    assert "gate FAILED: 2 of 2 checks" in out
    assert "tag.accuracy = 0.8 is below its min 0.9" in out
    assert "action.wrong_answer_rate" in out
    thresholds.write_text(json.dumps({"min": {"tag.accuracy": 0.5}}))
    assert main(["gate", str(run), "--thresholds", str(thresholds)]) == 0


def test_gate_command_rejects_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    assert main(["gate", str(tmp_path)]) == 2


def test_the_shipped_thresholds_name_metrics_a_run_produces() -> None:
    metrics = aggregate([])
    metrics["by_language"] = {lang: dict.fromkeys((n for n, _, _ in MAIN_FIGURES), 0.0)
                              for lang in ("en", "ja")}
    known = set(flatten(_fill(metrics)))
    unknown = [key for bound in load_thresholds(DEFAULT_THRESHOLDS).values() for key in bound
               if key not in known]
    assert unknown == []


def _fill(metrics: dict[str, Any]) -> dict[str, Any]:
    """Replace None leaves with 0.0 so every metric key survives flattening."""
    return {k: _fill(v) if isinstance(v, dict) else (0.0 if v is None else v)
            for k, v in metrics.items()}
