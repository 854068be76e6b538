"""Draw risk against coverage (eval.riskcoverage) for people: an inline SVG chart and tables.

The report (eval.report) shows a run's curves (all cases, each language, each source kind)
with the run's operating point; `eval compare` prints both runs at equal deflection and, with
`--html`, draws their curves on one chart. No script, no external resource: the page opens
offline and prints as it looks.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.riskcoverage import Point, at_deflection, points_from, thin

#: Colours by series name; others take the palette in turn.
COLORS = {"all": "#222222", "en": "#1f4ea0", "ja": "#c0392b", "kb": "#2e7d32",
          "ticket": "#8e44ad"}
PALETTE = ("#1f4ea0", "#c0392b", "#2e7d32", "#8e44ad", "#d08b1c", "#00838f")
NAMES = {"all": "all cases", "en": "English", "ja": "Japanese", "kb": "help-centre articles",
         "ticket": "past tickets"}
#: Deflection levels at which two runs are compared in text.
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Series:
    """One line of the chart: a curve and, if known, the operating point to mark on it."""

    label: str
    points: list[Point]
    color: str
    operating: Point | None = None
    dashed: bool = False


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pct(value: float) -> str:
    return f"{value:.0%}" if value in (0.0, 1.0) else f"{value:.1%}"


def series_of(risk: Mapping[str, Any], *, group: str | None = None,
              label_suffix: str = "", dashed: bool = False) -> list[Series]:
    """Return the lines of one run's risk-coverage summary: "all", or a group's members.

    `group`: None for the overall curve, "by_language" or "by_source" for one line each.
    """
    if group is None:
        members: list[tuple[str, Mapping[str, Any]]] = [("all", risk)]
    else:
        members = sorted(risk.get(group, {}).items())
    out = []
    for i, (name, data) in enumerate(members):
        operating = data.get("operating_point")
        out.append(Series(f"{NAMES.get(name, name)}{label_suffix}",
                          points_from(data.get("points", [])),
                          COLORS.get(name, PALETTE[i % len(PALETTE)]),
                          points_from([operating])[0] if operating else None, dashed))
    return out


def chart_svg(series: Sequence[Series], *, title: str, width: int = 560,
              height: int = 340) -> str:
    """Return a risk-coverage chart: x deflection, y wrong-answer rate, operating points ringed.

    The y axis stops at the highest plotted rate rounded up to a tenth, so that a curve in
    the 0-30% band is readable; the x axis always spans 0-100% of inquiries.
    """
    left, right, top = 56, 16, 34
    legend_h = 16 * len(series) + 8
    plot_w, plot_h = width - left - right, height - top - 44 - legend_h
    drawn = [[p for p in s.points if p.answered > 0] for s in series]
    highest = max([p.wrong_rate for ps in drawn for p in ps] +
                  [s.operating.wrong_rate for s in series if s.operating] + [0.1])
    y_max = min(1.0, math.ceil(highest * 10 - 1e-9) / 10)

    def x(value: float) -> float:
        return left + value * plot_w

    def y(value: float) -> float:
        return top + plot_h - min(value, y_max) / y_max * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
             'font-family="sans-serif" font-size="11" class="risk-coverage">',
             f'<text x="{left}" y="16" font-weight="bold" font-size="12">{_e(title)}</text>']
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" '
                     f'y2="{top + plot_h}" stroke="#eee"/><text x="{x(tick):.1f}" '
                     f'y="{top + plot_h + 14}" text-anchor="middle">{tick:.0%}</text>')
    steps = round(y_max / 0.05) if y_max <= 0.3 else round(y_max / 0.1)
    for k in range(steps + 1):
        value = y_max * k / steps
        parts.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{left + plot_w}" '
                     f'y2="{y(value):.1f}" stroke="#eee"/><text x="{left - 5}" '
                     f'y="{y(value) + 4:.1f}" text-anchor="end">{value:.0%}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 'stroke="#999"/>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h + 30}" '
                 'text-anchor="middle">deflection: share of all inquiries answered →</text>'
                 f'<text transform="translate(14,{top + plot_h / 2:.0f}) rotate(-90)" '
                 'text-anchor="middle">wrong-answer rate (of the answered) →</text>')
    for s, points in zip(series, drawn, strict=True):
        dash = ' stroke-dasharray="6 3"' if s.dashed else ""
        if len(points) > 1:
            path = " ".join(f"{x(p.deflection):.1f},{y(p.wrong_rate):.1f}" for p in points)
            parts.append(f'<polyline class="curve" points="{path}" fill="none" '
                         f'stroke="{s.color}" stroke-width="1.8"{dash}/>')
        for p in points:
            parts.append(f'<circle cx="{x(p.deflection):.1f}" cy="{y(p.wrong_rate):.1f}" '
                         f'r="2" fill="{s.color}"><title>{_e(s.label)}: threshold '
                         f"{p.threshold:.4f}: {p.answered} answered ({_pct(p.deflection)}), "
                         f"{p.wrong} wrong ({_pct(p.wrong_rate)})</title></circle>")
    for s in series:
        if s.operating is None:
            continue
        p = s.operating
        cx, cy = x(p.deflection), y(p.wrong_rate)
        parts.append(f'<circle class="operating-point" cx="{cx:.1f}" cy="{cy:.1f}" r="6" '
                     f'fill="white" fill-opacity="0.6" stroke="{s.color}" stroke-width="2.2">'
                     f"<title>{_e(s.label)}: this run (threshold {p.threshold:.4f}): "
                     f"{p.answered} answered ({_pct(p.deflection)}), {p.wrong} wrong "
                     f"({_pct(p.wrong_rate)})</title></circle>")
    legend_y = top + plot_h + 46
    for i, s in enumerate(series):
        ly = legend_y + i * 16
        dash = ' stroke-dasharray="6 3"' if s.dashed else ""
        where = ""
        if s.operating is not None:
            where = (f" — this run: {_pct(s.operating.deflection)} answered, "
                     f"{_pct(s.operating.wrong_rate)} wrong" if s.operating.answered
                     else " — this run: none answered")
        parts.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 26}" y2="{ly - 4}" '
                     f'stroke="{s.color}" stroke-width="2"{dash}/>'
                     f'<circle cx="{left + 13}" cy="{ly - 4}" r="4" fill="white" '
                     f'stroke="{s.color}" stroke-width="1.6"/>'
                     f'<text x="{left + 34}" y="{ly}">{_e(s.label + where)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def threshold_words(answer_threshold: Mapping[str, Any] | None, fallback: float | None) -> str:
    """Say what the run answered on: "the answerability model's probability ≥ 0.9355"."""
    if answer_threshold:
        by = str(answer_threshold.get("by", "grounding score"))
        value = float(answer_threshold.get("threshold", fallback or 0.0))
        what = ("the answerability model's probability" if by == "answerability model"
                else "the grounding score")
        return f"{what} was at least {value:.4f}"
    return f"its confidence was at least {fallback:.4f}" if fallback is not None else ""


def caption_html(risk: Mapping[str, Any], answer_threshold: Mapping[str, Any] | None) -> str:
    """Return how to read the charts, with the threshold the run used."""
    used = threshold_words(answer_threshold, risk.get("threshold"))
    op = risk.get("operating_point") or {}
    return (
        "<p>How to read it: each point is one answer threshold. Lowering it moves right along "
        "a line: more inquiries answered (x: the share of all the group's cases) and usually "
        "more of those answers wrong (y). The ring marks this run: it answered when "
        f"{_e(used)} ({_e(_pct(op.get('deflection', 0.0)))} answered, "
        f"{_e(_pct(op.get('wrong_rate', 0.0)))} of them wrong). Only the "
        f"{_e(risk.get('rows', 0))} inquiries the threshold decides are on the curves "
        f"({_e(risk.get('answerable', 0))} answerable from the source found): guards "
        "(sensitive topics, requests for a person, bug reports) escalate the rest at any "
        "threshold, so no line reaches 100%. An answer is wrong when the case expected an "
        "escalation or another source.</p>")


def point_rows(risk: Mapping[str, Any], limit: int = 8) -> tuple[list[str], list[list[Any]]]:
    """Return a compact table of the overall curve: a few thresholds and the run's own."""
    points = points_from(risk.get("points", []))
    operating = risk.get("operating_point")
    chosen = {p.threshold: p for p in thin(points, limit)[1:]}
    if operating:
        p = points_from([operating])[0]
        chosen[p.threshold] = p
    mark = operating["threshold"] if operating else None
    rows = [[f"{p.threshold:.4f}" + (" (this run)" if p.threshold == mark else ""), p.answered,
             round(p.deflection, 4), p.wrong, round(p.wrong_rate, 4)]
            for p in sorted(chosen.values(), key=lambda p: -p.threshold)]
    return ["threshold", "answered", "deflection", "wrong", "wrong-answer rate"], rows


def group_rows(risk: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Return each group's operating point: all, per language, per source kind."""
    rows: list[list[Any]] = []
    groups = [("all", risk), *(((f"language {k}"), v) for k, v in
                               sorted(risk.get("by_language", {}).items())),
              *(((f"source {k}"), v) for k, v in sorted(risk.get("by_source", {}).items()))]
    for name, data in groups:
        op = data.get("operating_point") or {}
        rows.append([name, data.get("rows"), data.get("answerable"), op.get("answered"),
                     op.get("deflection"), op.get("wrong"), op.get("wrong_rate")])
    return (["group", "decided by the threshold", "answerable", "answered", "deflection",
             "wrong", "wrong-answer rate"], rows)


def level_rows(a: Mapping[str, Any], b: Mapping[str, Any],
               levels: Sequence[float] = LEVELS) -> tuple[list[str], list[list[Any]]]:
    """Return A's and B's wrong-answer rate at a few deflection levels and at their own
    operating points: the most each run answers without passing the level."""
    curves = [points_from(r.get("points", [])) for r in (a, b)]
    top = max((p.deflection for c in curves for p in c), default=0.0)
    rows: list[list[Any]] = []
    for level in levels:
        if level > top + 0.1:
            break  # neither run answers that many: more rows would repeat the last
        cells: list[Any] = [f"≤ {level:.0%}"]
        for c in curves:
            p = at_deflection(c, level) if c else None
            cells += ([round(p.deflection, 4), round(p.wrong_rate, 4) if p.answered else None]
                      if p else [None, None])
        rows.append(cells)
    ops = [r.get("operating_point") or {} for r in (a, b)]
    rows.append(["operating point", *(v for op in ops for v in (op.get("deflection"),
                                                              op.get("wrong_rate")))])
    return ["deflection", "A deflection", "A wrong-answer rate", "B deflection",
            "B wrong-answer rate"], rows
