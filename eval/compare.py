"""Compare two runs: how each metric moved, and which cases flipped outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.scorers import flatten


@dataclass(frozen=True)
class Flip:
    """A case whose outcome differs between the two runs."""

    id: str
    before: str  # pass, fail, error, or absent
    after: str
    failures: tuple[str, ...] = ()  # what fails in the second run


@dataclass
class Comparison:
    """Metric deltas (flattened keys) and flipped cases, A to B."""

    deltas: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)

    @property
    def changed(self) -> list[tuple[str, float | None, float | None]]:
        """Return the metrics whose value differs."""
        return [d for d in self.deltas if d[1] != d[2]]

    def to_json(self) -> dict[str, Any]:
        """Return the comparison as a JSON-ready dict."""
        return {
            "metrics": {k: {"a": a, "b": b, "delta": None if a is None or b is None
                            else round(b - a, 6)} for k, a, b in self.deltas},
            "flipped": [{"id": f.id, "a": f.before, "b": f.after, "failures": list(f.failures)}
                        for f in self.flips],
        }


class RunDirError(ValueError):
    """A folder is not a finished eval run."""


def load_run(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read a run folder's metrics.json and cases.jsonl."""
    try:
        metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        lines = (path / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    except (OSError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path} is not a finished eval run ({exc}); pass the --out folder "
                          "of `python -m eval run`") from exc
    cases = {}
    for line in lines:
        if line.strip():
            record = json.loads(line)
            cases[str(record["id"])] = record
    return metrics, cases


def compare_runs(a: Path, b: Path) -> Comparison:
    """Compare run folder a (before) with run folder b (after)."""
    metrics_a, cases_a = load_run(a)
    metrics_b, cases_b = load_run(b)
    flat_a, flat_b = flatten(metrics_a), flatten(metrics_b)
    keys = list(flat_a) + [k for k in flat_b if k not in flat_a]
    result = Comparison(deltas=[(k, flat_a.get(k), flat_b.get(k)) for k in keys])
    ids = list(cases_a) + [i for i in cases_b if i not in cases_a]
    for case_id in ids:
        before = cases_a.get(case_id, {}).get("outcome", "absent")
        after = cases_b.get(case_id, {}).get("outcome", "absent")
        if before != after:
            failures = tuple(cases_b.get(case_id, {}).get("failures", ()))
            result.flips.append(Flip(case_id, before, after, failures))
    return result


def render_comparison(comparison: Comparison, *, show_all: bool = False) -> str:
    """Return the comparison as text: metric table, then flipped cases."""
    rows = comparison.deltas if show_all else comparison.changed
    width = max([len(k) for k, _, _ in rows] + [6])
    lines = [f"{'metric':<{width}}  {'A':>10}  {'B':>10}  {'delta':>10}"]
    for key, a, b in rows:
        counts = all(v is None or float(v).is_integer() for v in (a, b))
        delta = "" if a is None or b is None else (f"{b - a:+.0f}" if counts else f"{b - a:+.4f}")
        lines.append(f"{key:<{width}}  {_num(a):>10}  {_num(b):>10}  {delta:>10}")
    if not rows:
        lines.append("(no metric changed)")
    worse = sum(1 for f in comparison.flips if f.before == "pass")
    lines += ["", f"flipped cases: {len(comparison.flips)} ({worse} no longer pass)"]
    for flip in comparison.flips:
        why = f"  {'; '.join(flip.failures)}" if flip.failures else ""
        lines.append(f"  {flip.id}: {flip.before} -> {flip.after}{why}")
    return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.4f}"
