"""The quality gate: a run's metrics against the versioned thresholds in eval/thresholds.json.

The file holds `min` (the metric must be at least this) and `max` (at most this) maps of
flattened metric keys, e.g. `"tag.accuracy": 0.85` or `"action.wrong_answer_rate": 0.1`.
A metric the run did not measure fails the gate: a threshold nobody can check protects nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.scorers import flatten

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.json")


class ThresholdsError(ValueError):
    """The thresholds file cannot be used."""


@dataclass(frozen=True)
class GateFailure:
    """One metric on the wrong side of its threshold."""

    metric: str
    value: float | None
    bound: str  # "min" or "max"
    threshold: float

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.metric}: not measured (needs {self.bound} {self.threshold:g})"
        side = "below" if self.bound == "min" else "above"
        return f"{self.metric} = {self.value:.4g} is {side} its {self.bound} {self.threshold:g}"


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """Read and check a thresholds file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ThresholdsError(f"cannot read thresholds {path}: {exc}") from exc
    if not isinstance(data, dict) or not ({"min", "max"} & data.keys()):
        raise ThresholdsError(f"{path}: expected {{\"min\": {{metric: value}}, \"max\": ...}}")
    out: dict[str, dict[str, float]] = {}
    for bound in ("min", "max"):
        section = data.get(bound, {})
        if not isinstance(section, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in section.values()):
            raise ThresholdsError(f"{path}: {bound!r} must map metric names to numbers")
        out[bound] = {str(k): float(v) for k, v in section.items()}
    return out


def check_gate(metrics: dict[str, Any], thresholds: dict[str, dict[str, float]]
               ) -> tuple[list[GateFailure], int]:
    """Return the failures and how many checks were made."""
    flat = flatten(metrics)
    failures: list[GateFailure] = []
    checks = 0
    for bound, limits in thresholds.items():
        for metric, threshold in limits.items():
            checks += 1
            value = flat.get(metric)
            if value is None or (bound == "min" and value < threshold) or (
                    bound == "max" and value > threshold):
                failures.append(GateFailure(metric, value, bound, threshold))
    return failures, checks
