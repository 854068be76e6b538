"""Risk against coverage: the wrong-answer rate against deflection as the answer threshold moves.

Every inquiry that no guard stopped ends up answered or escalated by one comparison: the
confidence in the best source against the answer threshold. Each such case of a run is a row:
its confidence (the decision's score) and whether answering from its candidate source would be
right (the case expects an answer and the candidate is one of its relevant sources). Sorting
the rows by confidence gives, for every threshold, how many inquiries would be answered and
how many of those answers would be wrong. A support lead reads the operating point off it
before going live; `eval calibrate` chooses the threshold from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from agent.types import ReasonCode
from eval.scorers import CaseResult, expected_action

#: Reasons an inquiry is escalated whatever the threshold: the guards and the policy.
_THRESHOLD_REASONS = {ReasonCode.LOW_CONFIDENCE}
#: The most points a curve keeps in metrics.json (evenly spread over its thresholds).
MAX_POINTS = 60


@dataclass(frozen=True)
class Row:
    """One case the answer threshold decides, with what answering it would mean."""

    case_id: str
    language: str
    source: str  # kb or ticket: where the candidate comes from
    score: float  # the decision's confidence in the candidate
    correct: bool  # answering from the candidate would be right
    features: dict[str, float]


@dataclass(frozen=True)
class Point:
    """The outcome of one answer threshold."""

    threshold: float
    answered: int
    wrong: int
    deflection: float  # answered / every case of the run
    wrong_rate: float  # wrong / answered (0 when nothing is answered)


def rows_from_results(results: Sequence[CaseResult]) -> list[Row]:
    """Return the cases of a run that the answer threshold decides, with their labels.

    A case counts when it expects an action, a source was found, and it was answered or
    escalated only for low confidence.
    """
    rows: list[Row] = []
    for r in results:
        d, case = r.decision, r.case
        wanted = expected_action(case)
        if d is None or r.error is not None or wanted is None or d.candidate is None:
            continue
        if d.escalation is not None and d.escalation.reason not in _THRESHOLD_REASONS:
            continue
        right_source = not case.relevant_ids or d.candidate.id in case.relevant_ids
        rows.append(Row(case.id, case.language or d.language, d.candidate.source,
                        float(d.confidence), wanted == "answer" and right_source,
                        dict(d.evidence)))
    return rows


def curve(rows: Sequence[Row], total: int, *,
          score: Callable[[Row], float] = lambda r: r.score) -> list[Point]:
    """Return the outcome of every distinct threshold, from answering nothing to everything."""
    ranked = sorted(rows, key=lambda r: -score(r))
    points = [Point(1.0 + 1e-9, 0, 0, 0.0, 0.0)]
    wrong = 0
    for n, row in enumerate(ranked, start=1):
        wrong += not row.correct
        if n < len(ranked) and score(ranked[n]) == score(row):
            continue  # one threshold answers every row with the same score
        points.append(Point(round(score(row), 6), n, wrong, n / total if total else 0.0,
                            wrong / n))
    return points


def choose(points: Sequence[Point], target: float) -> Point:
    """Return the point answering the most inquiries with a wrong-answer rate within target.

    When even the most confident answers miss the target, nothing is answered (the first
    point): escalating everything is the only choice that keeps the promise.
    """
    within = [p for p in points if p.wrong_rate <= target]
    return max(within, key=lambda p: (p.answered, p.threshold))


def at(points: Sequence[Point], threshold: float) -> Point:
    """Return the outcome of one threshold (the lowest listed threshold at or above it)."""
    above = [p for p in points if p.threshold >= threshold]
    return min(above, key=lambda p: p.threshold) if above else points[0]


def thin(points: Sequence[Point], limit: int = MAX_POINTS) -> list[Point]:
    """Keep at most `limit` points, evenly spread, always the first and the last."""
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def summary(results: Sequence[CaseResult], threshold: float | None = None) -> dict[str, Any]:
    """Return the run's curves (all, per language, per source kind) and its operating point.

    `threshold`: the answer threshold the run used, marked on the curves (the lowest score
    among answered rows when not given).
    """
    rows = rows_from_results(results)
    done = [r for r in results if r.decision is not None and r.error is None]
    total = len(done)
    per_language: dict[str, int] = {}
    for r in done:
        language = r.case.language or (r.decision.language if r.decision else "")
        per_language[language] = per_language.get(language, 0) + 1
    if threshold is None:
        answered = [r.decision.confidence for r in results
                    if r.decision is not None and r.decision.action == "answer"]
        threshold = min(answered) if answered else 1.0
    groups: dict[str, dict[str, list[Row]]] = {"by_language": {}, "by_source": {}}
    for row in rows:
        groups["by_language"].setdefault(row.language, []).append(row)
        groups["by_source"].setdefault(row.source, []).append(row)

    def describe(subset: Iterable[Row], cases: int) -> dict[str, Any]:
        chosen = list(subset)
        points = curve(chosen, cases)
        return {"rows": len(chosen), "answerable": sum(r.correct for r in chosen),
                "operating_point": asdict(at(points, threshold)),
                "points": [asdict(p) for p in thin(points)]}

    return {"threshold": round(threshold, 6), "cases": total, **describe(rows, total),
            "by_language": {language: describe(subset, per_language.get(language, total))
                            for language, subset in sorted(groups["by_language"].items())},
            "by_source": {source: describe(subset, total)
                          for source, subset in sorted(groups["by_source"].items())}}


def points_from(data: Iterable[Mapping[str, Any]]) -> list[Point]:
    """Return points as metrics.json stores them (dicts) as Points."""
    return [Point(float(d["threshold"]), int(d["answered"]), int(d["wrong"]),
                  float(d["deflection"]), float(d["wrong_rate"])) for d in data]


def at_deflection(points: Sequence[Point], level: float) -> Point:
    """Return the point answering the most inquiries without deflecting more than `level`.

    How two runs are compared when their thresholds are on different scales (a grounding
    score and a model's probability): at equal deflection, the lower wrong-answer rate wins.
    """
    within = [p for p in points if p.deflection <= level + 1e-9]
    return max(within, key=lambda p: (p.answered, p.threshold)) if within else points[0]
