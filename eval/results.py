"""The result of a finished run, shared by the runner that makes it and the report that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eval.scorers import CaseResult


@dataclass
class RunResult:
    """A finished run: per-case results, metrics, and facts about the run."""

    results: list[CaseResult]
    metrics: dict[str, Any]
    meta: dict[str, Any]
