"""eval calibrate: the fallback with too little data, the fitted model's promise out of fold,
writing the policy file, and the command's usage errors."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from agent.answerability import FEATURES
from agent.policy import Policy
from eval.calibrate import (
    MIN_ROWS_PER_CLASS,
    Calibration,
    _fit,
    calibrate,
    one_standard_error,
    write_policy,
)
from eval.cli import main
from eval.riskcoverage import Row, choose, curve


def _row(i: int, correct: bool, confidence: float, **features: float) -> Row:
    return Row(f"r{i}", "en", "kb", confidence, correct, {"confidence": confidence, **features})


def test_with_too_few_rows_of_a_kind_the_grounding_threshold_is_moved_instead() -> None:
    # 20 answerable, MIN_ROWS_PER_CLASS - 1 not: no model, the fallback rule's threshold.
    rows = ([_row(i, True, 0.6 + i / 100) for i in range(20)]
            + [_row(100 + i, False, 0.3 + i / 100) for i in range(MIN_ROWS_PER_CLASS - 1)])
    result = calibrate(rows, target=0.04, cases=50, embedder="e")
    assert result.method == "grounding score" and result.model is None
    # Every wrong row scores below 0.6; one of them among 21 answers would be 4.8% wrong.
    assert result.threshold == pytest.approx(0.6)
    assert result.expected.answered == 20 and result.expected.wrong == 0
    # A looser target takes the best wrong row in: 1 of 21.
    assert calibrate(rows, target=0.05, cases=50, embedder="e").expected.answered == 21


def test_the_fallback_reads_the_grounding_score_not_the_decision_score() -> None:
    # The decision's score was a model's probability; the fallback moves the fixed rule.
    rows = [replace(_row(i, i < 5, 0.9 - i / 20), score=0.5) for i in range(10)]
    result = calibrate(rows, target=0.0, cases=10, embedder=None)
    assert result.method == "grounding score"
    assert result.threshold == pytest.approx(0.7) and result.expected.answered == 5


def _separable(n: int, seed: int) -> list[Row]:
    """Rows whose answerability coverage and margin tell apart, with a little overlap."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        correct = rng.random() < 0.6
        coverage = rng.uniform(0.55, 1.0) if correct else rng.uniform(0.0, 0.6)
        margin = rng.uniform(0.05, 0.4) if correct else rng.uniform(0.0, 0.15)
        rows.append(Row(f"s{seed}-{i}", "en" if i % 2 else "ja", "kb", 0.5, correct,
                        {"confidence": 0.5 + rng.uniform(-0.1, 0.1), "coverage": coverage,
                         "margin": margin, "vector": 1.0}))
    return rows


def test_a_separable_set_gets_a_model_that_keeps_the_target_out_of_fold() -> None:
    rows = _separable(240, seed=1)
    result = calibrate(rows, target=0.05, cases=300, embedder="local", sources={"x": 1})
    assert result.method == "answerability model" and result.model is not None
    assert result.expected.wrong_rate <= 0.05
    answerable = sum(r.correct for r in rows)
    assert result.expected.answered >= 0.8 * answerable  # the promise costs little here
    model = result.model
    assert model.features == list(FEATURES) and model.embedder == "local"
    assert model.evidence["target_wrong_answer_rate"] == 0.05
    # On fresh rows from the same source, answering above the threshold keeps the promise.
    fresh = _separable(400, seed=2)
    answered = [r for r in fresh if model.probability(r.features) >= model.threshold]
    wrong = sum(not r.correct for r in answered)
    assert len(answered) >= 0.7 * sum(r.correct for r in fresh)
    assert wrong / len(answered) <= 0.05 + 0.03


def test_the_threshold_reads_probabilities_averaged_over_repeated_splits() -> None:
    rows = _separable(160, seed=4)
    once = [calibrate(rows, target=0.05, cases=160, embedder=None, seed=s, repeats=1)
            for s in range(3)]
    averaged = calibrate(rows, target=0.05, cases=160, embedder=None, seed=0, repeats=3)
    # The same curve as one built from the three single splits' probabilities averaged.
    probabilities = {r.case_id: 0.0 for r in rows}
    for seed in range(3):
        _, out_of_fold = _fit(rows, folds=5, seed=seed)
        for r, p in zip(rows, out_of_fold, strict=True):
            probabilities[r.case_id] += p / 3
    expected = choose(curve(rows, 160, score=lambda r: probabilities[r.case_id]), 0.05)
    assert averaged.threshold == pytest.approx(expected.threshold)
    assert averaged.expected.answered == expected.answered
    assert averaged.model is not None and averaged.model.evidence["repeats"] == 3
    # The model itself is the first split's: only the threshold reads the average.
    assert once[0].model is not None
    assert averaged.model.weights == once[0].model.weights


def test_the_fit_is_the_same_every_time() -> None:
    rows = _separable(120, seed=3)
    first = calibrate(rows, target=0.1, cases=120, embedder=None).model
    second = calibrate(list(rows), target=0.1, cases=120, embedder=None).model
    assert first is not None and second is not None
    assert first.model_dump() == second.model_dump()


def test_a_feature_a_row_leaves_out_is_read_as_unknown_in_the_fit_and_the_model() -> None:
    # Against an article in the other language the pipeline leaves out what only words can say
    # (agent.answerability.WORD_FEATURES): neither 0 nor anything else, but unknown.
    rows = _separable(200, seed=5)
    for r in rows[::4]:
        r.features["rare_found"] = 1.0 if r.correct else 0.0
    for r in rows[1::4]:
        del r.features["coverage"]
    model = calibrate(rows, target=0.1, cases=200, embedder=None).model
    assert model is not None
    at = {name: i for i, name in enumerate(model.features)}
    given = [r.features["coverage"] for r in rows if "coverage" in r.features]
    assert model.mean[at["coverage"]] == pytest.approx(sum(given) / len(given), abs=1e-5)
    assert model.weights[at["rare_found"]] > 0  # learnt from the rows that have it
    left_out = {"confidence": 0.5, "margin": 0.2, "vector": 1.0}
    at_mean = {**left_out, "coverage": model.mean[at["coverage"]],
               "rare_found": model.mean[at["rare_found"]]}
    assert model.probability(left_out) == pytest.approx(model.probability(at_mean))
    assert model.probability({**left_out, "coverage": 0.0}) < model.probability(left_out)


# --------------------------------------------------------------------------- write_policy

POLICY = """\
# Our policy: what we add to Kotae's default.
extends: default
version: "ours-1"

thresholds:
  answer_min_confidence: 0.55  # set by hand before calibration
  tag_min_confidence: 0.45

# Rules come last in this file.
rules:
  - name: invoices
    pattern: '\\binvoice dispute\\b'
    detail: billing team
"""


@pytest.fixture(scope="module")
def fitted() -> Calibration:
    return calibrate(_separable(200, seed=4), target=0.05, cases=200, embedder=None)


def test_write_policy_adds_the_model_and_keeps_comments_and_every_other_key(
        tmp_path: Path, fitted: Calibration) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    assert write_policy(path, fitted)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(POLICY.rstrip("\n"))  # the rest of the file, comments and all
    data = yaml.safe_load(text)
    assert data["answerability"]["threshold"] == pytest.approx(fitted.threshold)
    policy = Policy.load(path)
    assert policy.version == "ours-1"
    assert policy.thresholds.tag_min_confidence == 0.45
    assert next(r.name for r in policy.spec.rules) == "invoices"
    assert policy.spec.answerability == fitted.model


def test_write_policy_replaces_an_earlier_model_and_grounding_threshold_removes_it(
        tmp_path: Path, fitted: Calibration) -> None:
    assert fitted.model is not None
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    write_policy(path, fitted)
    moved = replace(fitted, model=fitted.model.model_copy(update={"threshold": 0.42}))
    assert write_policy(path, moved)
    text = path.read_text(encoding="utf-8")
    assert text.count("answerability:") == 1 and text.count("# Written by") == 1
    model = Policy.load(path).spec.answerability
    assert model is not None and model.threshold == 0.42

    fallback = replace(fitted, method="grounding score", model=None, threshold=0.61)
    assert write_policy(path, fallback)
    text = path.read_text(encoding="utf-8")
    assert text.count("answerability:") == 1 and "answerability: null" in text
    assert "  answer_min_confidence: 0.6100" in text
    assert "# Rules come last in this file." in text and "tag_min_confidence: 0.45" in text
    policy = Policy.load(path)
    assert policy.spec.answerability is None and policy.thresholds.answer_min_confidence == 0.61


def test_write_policy_leaves_the_file_alone_when_only_the_date_would_change(
        tmp_path: Path, fitted: Calibration) -> None:
    assert fitted.model is not None
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    write_policy(path, fitted)
    before = path.read_bytes()
    later = replace(fitted, model=fitted.model.model_copy(update={
        "evidence": {**fitted.model.evidence, "fitted": "2099-01-01"}}))
    modified = path.stat().st_mtime_ns
    time.sleep(0.01)
    assert not write_policy(path, later)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == modified


def test_write_policy_into_a_file_with_no_thresholds_section(
        tmp_path: Path, fitted: Calibration) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("extends: default\n", encoding="utf-8")
    write_policy(path, replace(fitted, method="grounding score", model=None, threshold=0.7))
    assert Policy.load(path).thresholds.answer_min_confidence == 0.7


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize(("argv", "message"), [
    (["calibrate"], "nothing to calibrate on"),
    (["calibrate", "--set", "demo", "--target", "1.5"], "--target 1.5"),
    (["calibrate", "--set", "demo", "--target", "-0.1"], "--target -0.1"),
    (["calibrate", "--set", "no-such-set"], "no data/no-such-set folder"),
])
def test_calibrate_says_what_is_wrong_with_its_arguments(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_write_without_a_policy_file_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "inquiry": "hi", "expected_action": "answer"}\n',
                     encoding="utf-8")
    started = time.perf_counter()
    assert main(["calibrate", str(cases), "--write", "--out", str(tmp_path / "out")]) == 2
    assert "--write needs --policy FILE" in capsys.readouterr().err
    assert time.perf_counter() - started < 5  # refused before any index or model is built
    assert not (tmp_path / "out").exists()


def test_the_expectation_per_language_counts_each_language_s_rows_and_adds_up() -> None:
    # Two languages (alternate rows): each one's answered and wrong rows at the chosen
    # threshold, which together are the overall expectation.
    rows = _separable(200, seed=6)
    result = calibrate(rows, target=0.1, cases=200, embedder=None)
    per = result.by_language()
    assert set(per) == {"en", "ja"}
    assert sum(p["rows"] for p in per.values()) == len(rows)
    assert sum(p["answered"] for p in per.values()) == result.expected.answered
    assert sum(p["wrong"] for p in per.values()) == result.expected.wrong
    for language, p in per.items():
        mine = [r for r in rows if r.language == language]
        answered = [r for r in mine if round(result.scores[r.case_id], 6) >= result.threshold]
        assert p["answered"] == len(answered)
        assert p["wrong"] == sum(not r.correct for r in answered)
        assert p["answerable"] == sum(r.correct for r in mine)


def test_every_row_is_listed_with_its_score_and_whether_it_would_be_answered() -> None:
    rows = _separable(120, seed=7)
    for result in (calibrate(rows, target=0.1, cases=120, embedder=None),
                   calibrate(rows[:20], target=0.1, cases=20, embedder=None)):  # the fallback
        records = list(result.row_records())
        assert [r["case_id"] for r in records] == [r.case_id for r in result.data]
        assert sum(r["answered"] for r in records) == result.expected.answered
        assert all(r["answered"] == (r["score"] >= result.threshold) for r in records)
        assert all(isinstance(r["answered"], bool) and isinstance(r["score"], float)
                   for r in records)
    assert calibrate(rows[:20], target=0.1, cases=20, embedder=None).method == "grounding score"


def test_the_most_regularised_fit_within_one_standard_error_of_the_best_is_chosen() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    best = rng.exponential(0.40, 400)  # the lowest mean loss; standard error ~0.02
    # Candidates from the most to the least regularised.
    assert one_standard_error([best + 0.05, best + 0.01, best]) == 1  # within the noise
    assert one_standard_error([best + 0.05, best + 0.04, best]) == 2  # beyond it: the best
    assert one_standard_error([best, best + 0.01, best + 0.001]) == 0
    noisy = rng.exponential(0.40, 20)  # few rows: a wide margin
    assert one_standard_error([noisy + 0.05, noisy]) == 0
