"""Compare two runs: how each metric moved, which cases flipped outcome, and both runs'
risk-coverage curves (in text at equal deflection; `--html` draws them on one chart)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eval import riskplot
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
    # Each run's action.risk_coverage (None when it has none) and run.json's answer_threshold.
    risk: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
    thresholds: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
    names: tuple[str, str] = ("A", "B")

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
            **({"risk_coverage": dict(zip(("header", "rows"), self.risk_table(), strict=True))}
               if self.has_curves else {}),
        }

    @property
    def has_curves(self) -> bool:
        """Tell whether both runs recorded a risk-coverage curve."""
        return self.risk[0] is not None and self.risk[1] is not None

    def risk_table(self) -> tuple[list[str], list[list[Any]]]:
        """Return A's and B's wrong-answer rate at a few deflection levels (riskplot)."""
        a, b = self.risk
        assert a is not None and b is not None, "both runs need a risk-coverage curve"
        return riskplot.level_rows(a, b)


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
    result = Comparison(
        deltas=[(k, flat_a.get(k), flat_b.get(k)) for k in keys],
        risk=(metrics_a.get("action", {}).get("risk_coverage"),
              metrics_b.get("action", {}).get("risk_coverage")),
        thresholds=(_answer_threshold(a), _answer_threshold(b)), names=(str(a), str(b)))
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
    if comparison.has_curves:
        lines += ["", "risk against coverage: wrong-answer rate at equal deflection (the most "
                  "each run answers without passing it)"]
        header, table = comparison.risk_table()
        for i, t in enumerate(comparison.thresholds):
            lines.append(f"  {'AB'[i]} answered when {riskplot.threshold_words(t, None) or '?'}")
        lines.append(f"  {header[0]:<16}" + "".join(f"{h:>14}" for h in (
            "A answered", "A wrong", "B answered", "B wrong")))
        for row in table:
            lines.append(f"  {row[0]:<16}" + "".join(f"{_num(v):>14}" for v in row[1:]))
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


def _answer_threshold(run: Path) -> dict[str, Any] | None:
    """Return run.json's answer_threshold (how the run decided to answer), if recorded."""
    try:
        meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # older runs and hand-made folders have none; the curves still compare
    found = meta.get("answer_threshold") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else None


def comparison_html(comparison: Comparison) -> str:
    """Return a self-contained page with both runs' curves on one chart and the table."""
    from eval.report import _CSS, _table

    a, b = comparison.risk
    assert a is not None and b is not None, "both runs need a risk-coverage curve"
    names = comparison.names
    overall = [*riskplot.series_of(a, label_suffix=f" · A ({names[0]})"),
               *riskplot.series_of(b, label_suffix=f" · B ({names[1]})", dashed=True)]
    overall = [replace(s, color="#c0392b" if s.dashed else "#1f4ea0") for s in overall]
    languages = [*riskplot.series_of(a, group="by_language", label_suffix=" · A"),
                 *riskplot.series_of(b, group="by_language", label_suffix=" · B", dashed=True)]
    used = [riskplot.threshold_words(t, r.get("threshold"))
            for t, r in zip(comparison.thresholds, (a, b), strict=True)]
    e = html.escape
    return "".join([
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Kotae: risk against coverage, A and B</title><style>{_CSS}</style></head>",
        '<body><h1>Risk against coverage: A and B</h1>',
        f"<p>A: <code>{e(names[0])}</code>, answered when {e(used[0])}.<br>B: "
        f"<code>{e(names[1])}</code>, answered when {e(used[1])}.</p>",
        "<p>Each point is one answer threshold: x the share of all inquiries answered, y the "
        "share of those answers that were wrong; the ring is each run's operating point. At "
        "equal deflection the lower line decides better. The runs' thresholds need not be on "
        "one scale (a grounding score, a model's probability), so the table compares them at "
        "equal deflection.</p>",
        '<section id="risk-coverage"><div class="charts">',
        riskplot.chart_svg(overall, title="All cases: A solid, B dashed"),
        riskplot.chart_svg(languages, title="By language: A solid, B dashed"),
        "</div>", _table(*comparison.risk_table()), "</section></body></html>\n",
    ])
