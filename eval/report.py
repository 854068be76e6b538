"""Render a run as a self-contained HTML page (inline SVG charts) and as Markdown.

Failing cases come first, each with what was expected next to what the agent did.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from eval import riskplot
from eval.results import RunResult
from eval.scorers import CaseResult, expected_action

HEATMAP_MAX_LABELS = 30
BARS_MAX_LABELS = 30
HEADLINE = (
    ("Cases", "cases", "total"), ("Pass rate", "cases", "pass_rate"),
    ("Errors", "cases", "errors"), ("Tag accuracy", "tag", "accuracy"),
    ("Tag macro-F1", "tag", "macro_f1"), ("Escalation precision", "action", "escalation_precision"),
    ("Escalation recall", "action", "escalation_recall"),
    ("Deflection rate", "action", "deflection_rate"),
    ("Wrong-answer rate", "action", "wrong_answer_rate"),
    ("Reason accuracy", "action", "reason_accuracy"),
    ("Citation hit rate", "answer", "citation_hit_rate"),
    ("Fact hit rate", "answer", "fact_hit_rate"),
    ("Reference F1", "answer", "reference_f1"),
    ("Reference similarity", "answer", "reference_similarity"),
    ("Judge: correct", "answer", "judge_correct_rate"),
    ("Judge: faithful", "answer", "judge_faithful_rate"),
    ("Recall@5", "retrieval", "recall@5"), ("MRR", "retrieval", "mrr"),
    ("nDCG@10", "retrieval", "ndcg@10"), ("MAP", "retrieval", "map"), ("Latency p50 (ms)", "latency_ms", "p50"),
    ("Latency p95 (ms)", "latency_ms", "p95"),
)
_ORDER = {"error": 0, "fail": 1, "pass": 2}
# Headline figures left out when a run has nothing to measure them on (no judge, no facts).
_OPTIONAL = ("judge_", "fact_")
# The fact figures' rows: (title, key in "answer").
FACT_ROWS = (
    ("cases with facts", "fact_cases"), ("fact hit rate", "fact_hit_rate"),
    ("answered with every fact", "fact_hits"),
    ("answered, a fact missing (wrong or partial quote)", "fact_answered_missing"),
    ("escalated (no answer)", "fact_escalated"),
    ("wrong-answer rate among the answered", "fact_wrong_answer_rate"),
)


def shown(section: str, key: str, value: Any) -> bool:
    """Tell whether a headline figure is shown: optional ones only when measured."""
    return value is not None or not (section == "answer" and key.startswith(_OPTIONAL))


def fact_table(metrics: dict[str, Any]) -> tuple[list[str], list[list[Any]]] | None:
    """Return the header and rows of the fact figures, overall and per language, or None."""
    answer = metrics.get("answer", {})
    if not answer.get("fact_cases"):
        return None
    languages = [lang for lang, figures in metrics.get("by_language", {}).items()
                 if figures.get("fact_cases")]
    per = metrics["by_language"]
    rows = [[title, answer.get(key), *(per[lang].get(key) for lang in languages)]
            for title, key in FACT_ROWS]
    return ["figure", "all", *languages], rows


def language_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[Any]]] | None:
    """Return the per-language table (fact rows only when the run had facts), or None."""
    by_language = metrics.get("by_language", {})
    if not by_language:
        return None
    names = list(next(iter(by_language.values())).keys())
    if not metrics.get("answer", {}).get("fact_cases"):
        names = [n for n in names if not n.startswith("fact_")]
    return (["figure", *by_language],
            [[n, *(by_language[lang].get(n) for lang in by_language)] for n in names])


def fmt(value: Any) -> str:
    """Format a metric for people: rates as 0.873, counts as integers, missing as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def ordered_results(results: Sequence[CaseResult]) -> list[CaseResult]:
    """Return errors first, then failures, then passes (file order within each)."""
    return sorted(results, key=lambda r: _ORDER[r.outcome])


def _expected(result: CaseResult) -> str:
    case = result.case
    parts = []
    if expected_action(case):
        action = str(expected_action(case))
        if case.expected_reason:
            action += f" ({' | '.join(str(r) for r in case.expected_reason)})"
        parts.append(action)
    if case.expected_tag:
        parts.append("tag " + " | ".join(case.expected_tag))
    if case.relevant_ids:
        parts.append("cite " + ", ".join(case.relevant_ids))
    if case.facts:
        parts.append("facts " + ", ".join(case.facts))
    return "; ".join(parts) or "(no expectation)"


def _got(result: CaseResult) -> str:
    d = result.decision
    if d is None:
        return result.error or "error"
    parts = [d.action + (f" ({d.escalation.reason})" if d.escalation else ""),
             f"tag {d.tag} ({d.tag_confidence:.2f})"]
    if d.citations:
        parts.append("cited " + ", ".join(c.id for c in d.citations))
    return "; ".join(parts)


# --------------------------------------------------------------------------- SVG charts


def _color(share: float) -> str:
    """White to deep blue."""
    share = max(0.0, min(1.0, share))
    r = round(255 - share * (255 - 31))
    g = round(255 - share * (255 - 78))
    b = round(255 - share * (255 - 160))
    return f"rgb({r},{g},{b})"


def confusion_svg(labels: Sequence[str], confusion: dict[str, dict[str, int]]) -> str:
    """Return a heat map of the confusion counts (rows: expected, columns: predicted)."""
    n = len(labels)
    cell = 44 if n <= 8 else 22
    left, top = 170, 150
    width, height = left + n * cell + 20, top + n * cell + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="confusion matrix" font-family="sans-serif" font-size="11">']
    parts.append(f'<text x="{left}" y="14" font-weight="bold">predicted →</text>')
    parts.append(f'<text x="4" y="{top - 6}" font-weight="bold">expected ↓</text>')
    for j, label in enumerate(labels):
        x = left + j * cell + cell / 2
        parts.append(f'<text transform="translate({x:.0f},{top - 6}) rotate(-55)">'
                     f"{_e(label[:24])}</text>")
    for i, truth in enumerate(labels):
        row = confusion.get(truth, {})
        total = sum(row.values())
        y = top + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">'
                     f"{_e(truth[:26])}</text>")
        for j, predicted in enumerate(labels):
            count = row.get(predicted, 0)
            share = count / total if total else 0.0
            x = left + j * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                         f'fill="{_color(share)}" stroke="#ddd"><title>{_e(truth)} → '
                         f"{_e(predicted)}: {count}</title></rect>")
            if count and cell >= 30:
                ink = "#fff" if share > 0.55 else "#222"
                parts.append(f'<text x="{x + cell / 2:.0f}" y="{y + cell / 2 + 4:.0f}" '
                             f'text-anchor="middle" fill="{ink}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(rows: Sequence[tuple[str, Sequence[float | None]]], series: Sequence[str],
             colors: Sequence[str] = ("#1f4ea0", "#4f9a4a", "#d08b1c")) -> str:
    """Return grouped horizontal bars, values in 0..1, one group per row."""
    bar, gap, left, plot = 10, 8, 190, 360
    group = bar * len(series) + gap
    height = 30 + len(rows) * group + 10
    width = left + plot + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="per-class scores" font-family="sans-serif" font-size="11">']
    for k, name in enumerate(series):
        key_x = left + k * 110
        parts.append(f'<rect x="{key_x}" y="6" width="10" height="10" fill="{colors[k]}"/>'
                     f'<text x="{key_x + 14}" y="15">{_e(name)}</text>')
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = left + tick * plot
        parts.append(f'<line x1="{x:.0f}" y1="24" x2="{x:.0f}" y2="{height - 8}" '
                     f'stroke="#eee"/><text x="{x:.0f}" y="{height}" text-anchor="middle" '
                     f'font-size="9">{tick:g}</text>')
    for i, (label, values) in enumerate(rows):
        y = 28 + i * group
        parts.append(f'<text x="{left - 6}" y="{y + group / 2:.0f}" text-anchor="end">'
                     f"{_e(label[:30])}</text>")
        for k, value in enumerate(values):
            v = value or 0.0
            parts.append(f'<rect x="{left}" y="{y + k * bar}" width="{v * plot:.1f}" '
                         f'height="{bar - 1}" fill="{colors[k]}"><title>{_e(label)} '
                         f"{_e(series[k])}: {fmt(value)}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(values: Sequence[float], *, unit: str = "ms", bins: int = 20) -> str:
    """Return a histogram of values with p50 and p95 marked."""
    if not values:
        return "<p>No latencies recorded.</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    left, plot_w, plot_h, top = 40, 520, 160, 10
    peak = max(counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + plot_w + 20}" '
             f'height="{top + plot_h + 40}" role="img" aria-label="latency histogram" '
             'font-family="sans-serif" font-size="10">']
    width = plot_w / bins
    for i, count in enumerate(counts):
        h = count / peak * plot_h
        start = low + span * i / bins
        parts.append(f'<rect x="{left + i * width:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{width - 1:.1f}" height="{h:.1f}" fill="#1f4ea0"><title>'
                     f"{start:.0f}–{start + span / bins:.0f} {unit}: {count}</title></rect>")
    ordered = sorted(values)
    for q, color in ((50, "#4f9a4a"), (95, "#c0392b")):
        pos = (len(ordered) - 1) * q / 100
        lo = math.floor(pos)
        hi = min(lo + 1, len(ordered) - 1)
        value = ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
        x = left + (value - low) / span * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                     f'stroke="{color}" stroke-dasharray="4 2"/><text x="{x + 3:.1f}" '
                     f'y="{top + 10}" fill="{color}">p{q} {value:.0f}</text>')
    parts.append(f'<text x="{left}" y="{top + plot_h + 14}">{low:.0f} {unit}</text>'
                 f'<text x="{left + plot_w}" y="{top + plot_h + 14}" text-anchor="end">'
                 f"{high:.0f} {unit}</text>")
    parts.append(f'<text x="4" y="{top + 10}">{peak}</text></svg>')
    return "".join(parts)


def curve_svg(points: Sequence[dict[str, float]], x_key: str, y_key: str,
              *, x_label: str, y_label: str) -> str:
    """Return a line chart of points (both axes 0..1) with each point's threshold as a tooltip."""
    left, top, size = 50, 10, 300
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + size + 30}" '
             f'height="{top + size + 45}" role="img" aria-label="{_e(y_label)} against '
             f'{_e(x_label)}" font-family="sans-serif" font-size="10">',
             f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" '
             'stroke="#999"/>']
    for tick in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{left + tick * size:.0f}" y="{top + size + 12}" '
                     f'text-anchor="middle">{tick:g}</text><text x="{left - 4}" '
                     f'y="{top + size - tick * size + 3:.0f}" text-anchor="end">{tick:g}</text>')
    coords = [(left + p[x_key] * size, top + size - p[y_key] * size) for p in points]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f4ea0" '
                     'stroke-width="1.5"/>')
        for (x, y), p in zip(coords, points, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1f4ea0"><title>'
                         f"t={p.get('threshold', 0):.2f}: {_e(x_label)} {p[x_key]:.3f}, "
                         f"{_e(y_label)} {p[y_key]:.3f}</title></circle>")
    parts.append(f'<text x="{left + size / 2}" y="{top + size + 28}" text-anchor="middle">'
                 f"{_e(x_label)}</text><text transform=\"translate(12,{top + size / 2}) "
                 f'rotate(-90)" text-anchor="middle">{_e(y_label)}</text></svg>')
    return "".join(parts)


# --------------------------------------------------------------------------- HTML


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{margin-bottom:4px} .facts{color:#666;margin-bottom:18px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:20px} .card span{color:#666;font-size:12px}
table{border-collapse:collapse;margin:8px 0 16px} td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top;font-size:13px} th{background:#f5f5f5}
.fail{color:#b03020;font-weight:bold} .error{color:#8a1f9a;font-weight:bold}
.pass{color:#2f7a2f} pre{white-space:pre-wrap;margin:0;font-size:12px;max-height:12em;
overflow:auto} details{margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start} figure{margin:0}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(fmt(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _case_rows(results: Sequence[CaseResult]) -> str:
    rows = []
    for r in results:
        d = r.decision
        answer = (d.answer or "") if d else ""
        text = r.case.text
        history = len(r.case.history)
        cls = r.outcome
        what = "<br>".join(_e(f) for f in r.failures) or "–"
        rows.append(
            f'<tr><td><span class="{cls}">{cls}</span><br>{_e(r.case.id)}<br>'
            f"{_e(r.case.case_language)}</td>"
            f"<td><pre>{_e(text)}</pre>{f'<small>after {history} earlier turns</small>' if history else ''}"
            f"</td><td>{_e(_expected(r))}</td><td>{_e(_got(r))}</td><td>{what}</td>"
            f"<td><pre>{_e(answer[:600])}</pre></td></tr>")
    header = "".join(f"<th>{h}</th>" for h in ("case", "inquiry", "expected", "got",
                                                "what failed", "reply"))
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def render_html(run: RunResult) -> str:
    """Return the whole report as one HTML page with no external resources."""
    m, meta = run.metrics, run.meta
    out = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>Kotae eval report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Kotae eval report</h1>"]
    sources = ", ".join(f"{k}: {v}" for k, v in meta.get("sources", {}).items())
    seconds = meta.get("seconds", {}).get("total_s")
    out.append(f'<div class="facts">{_e(meta.get("started_at", ""))} · mode '
               f'{_e(meta.get("mode", ""))} · {_e(sources)} · {fmt(seconds)} s</div>')
    cards = []
    for title, section, key in HEADLINE:
        value = m.get(section, {}).get(key)
        if not shown(section, key, value):
            continue
        cards.append(f'<div class="card"><b>{_e(fmt(value))}</b><span>{_e(title)}</span></div>')
    out.append(f'<div class="cards">{"".join(cards)}</div>')

    languages = language_rows(m)
    if languages:
        out.append("<h2>By language</h2>")
        out.append(_table(*languages))

    by_category = m.get("by_category", {})
    if by_category:
        out.append("<h2>By category</h2>")
        worst = sorted(by_category.items(), key=lambda kv: (kv[1]["pass_rate"] or 0, kv[0]))
        out.append(bars_svg([(f"{k} ({v['passed']}/{v['cases']})", [v["pass_rate"]])
                             for k, v in worst], ["pass rate"]))

    results = ordered_results(run.results)
    failing = [r for r in results if r.outcome != "pass"]
    out.append(f'<h2 id="failing">Failing cases ({len(failing)})</h2>')
    out.append(_case_rows(failing) if failing else "<p>None.</p>")

    tag = m.get("tag", {})
    labels = list(tag.get("labels", []))
    out.append(f"<h2 id=\"tags\">Tags</h2><p>{tag.get('cases', 0)} cases with an expected tag "
               f"· accuracy {fmt(tag.get('accuracy'))} · macro-F1 {fmt(tag.get('macro_f1'))}</p>")
    if labels and len(labels) <= HEATMAP_MAX_LABELS:
        out.append(confusion_svg(labels, tag.get("confusion", {})))
    elif labels:
        out.append("<p>Too many labels for a heat map; the most frequent confusions:</p>")
        out.append(_table(["expected", "predicted", "count"], top_confusions(tag, 20)))
    per_class = tag.get("per_class", {})
    if per_class:
        chosen = sorted(per_class, key=lambda k: (per_class[k]["f1"], k))[:BARS_MAX_LABELS] \
            if len(per_class) > BARS_MAX_LABELS else list(per_class)
        if len(per_class) > BARS_MAX_LABELS:
            out.append(f"<p>The {BARS_MAX_LABELS} classes with the lowest F1:</p>")
        out.append(bars_svg([(k, [per_class[k]["precision"], per_class[k]["recall"],
                                  per_class[k]["f1"]]) for k in chosen],
                            ["precision", "recall", "F1"]))
        out.append(_table(["class", "precision", "recall", "F1", "support"],
                          [[k, c["precision"], c["recall"], c["f1"], c["support"]]
                           for k, c in per_class.items()]))
    out += _tags_by_language_html(m.get("tag_by_language", {}))

    action = m.get("action", {})
    out.append('<h2 id="action">Answer or escalate</h2>')
    out.append(_table(["figure", "value"], [[k, v] for k, v in action.items()
                                            if not isinstance(v, dict)]))
    reasons = action.get("reasons", {})
    if reasons:
        total = sum(reasons.values())
        out.append("<h3>Escalation reasons</h3>")
        out.append(bars_svg([(k, [v / total]) for k, v in reasons.items()], ["share"]))
        out.append(_table(["reason", "escalations"], list(reasons.items())))

    risk = action.get("risk_coverage")
    if risk:
        out.append(risk_coverage_html(risk, meta.get("answer_threshold")))

    facts = fact_table(m)
    if facts:
        out.append('<h2 id="facts">Facts</h2><p>Cases listing facts an answer must contain: '
                   "how many were answered with every fact, and whether the misses were "
                   "escalations or answers quoting something else.</p>")
        out.append(_table(*facts))

    for title, section in (("Answers", "answer"), ("Retrieval", "retrieval"),
                           ("Usage", "usage"), ("Cases", "cases")):
        out.append(f'<h2 id="{section}">{title}</h2>')
        out.append(_table(["figure", "value"], list(m.get(section, {}).items())))

    curve = m.get("oos_curve")
    if curve:
        out.append("<h2>Out-of-scope curve</h2><p>Escalate when the tag confidence is below "
                   "a threshold t: in-scope accuracy against out-of-scope recall.</p>")
        out.append(curve_svg(curve["points"], "oos_recall", "in_scope_accuracy",
                             x_label="out-of-scope recall", y_label="in-scope accuracy"))
        out.append(_table(["t", "in-scope accuracy", "out-of-scope recall"],
                          [[p["threshold"], p["in_scope_accuracy"], p["oos_recall"]]
                           for p in curve["points"]]))

    out.append('<h2 id="latency">Latency</h2>')
    latencies = [r.decision.latency_ms for r in run.results if r.decision is not None]
    out.append(histogram_svg(latencies))

    passing = [r for r in results if r.outcome == "pass"]
    out.append(f"<details><summary><h2 style=\"display:inline\">Passing cases ({len(passing)})"
               f"</h2></summary>{_case_rows(passing)}</details>")
    problems = meta.get("problems", [])
    if problems:
        out.append("<h2>Skipped lines</h2><ul>" + "".join(f"<li>{_e(p)}</li>" for p in problems)
                   + "</ul>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _tags_by_language_html(by_language: dict[str, dict[str, Any]]) -> list[str]:
    """Per-class figures and the confusion matrix of each language's cases."""
    out: list[str] = []
    for lang, tag in by_language.items():
        labels = list(tag.get("labels", []))
        out.append(f"<h3>Tags: {_e(lang)}</h3><p>{tag.get('cases', 0)} cases · accuracy "
                   f"{fmt(tag.get('accuracy'))} · macro-F1 {fmt(tag.get('macro_f1'))}</p>")
        if labels and len(labels) <= HEATMAP_MAX_LABELS:
            out.append(confusion_svg(labels, tag.get("confusion", {})))
        per_class = tag.get("per_class", {})
        if per_class and len(per_class) <= BARS_MAX_LABELS:
            out.append(_table(["class", "precision", "recall", "F1", "support"],
                              [[k, c["precision"], c["recall"], c["f1"], c["support"]]
                               for k, c in per_class.items()]))
    return out


def _tags_by_language_md(by_language: dict[str, dict[str, Any]]) -> list[str]:
    """Per-class F1 and the confusion matrix of each language's cases, as Markdown."""
    out: list[str] = []
    for lang, tag in by_language.items():
        labels = list(tag.get("labels", []))
        if not labels or len(labels) > 12:
            continue
        per_class = tag.get("per_class", {})
        confusion = tag.get("confusion", {})
        out += ["", f"Tags, {lang} ({tag.get('cases', 0)} cases, accuracy "
                    f"{fmt(tag.get('accuracy'))}, macro-F1 {fmt(tag.get('macro_f1'))}); rows "
                    "expected, columns predicted:", ""]
        out.append(_md_table(["", *labels, "F1", "support"],
                             [[t, *(confusion.get(t, {}).get(p, 0) for p in labels),
                               per_class.get(t, {}).get("f1"), per_class.get(t, {}).get("support")]
                              for t in labels]))
    return out
def risk_coverage_html(risk: dict[str, Any], answer_threshold: dict[str, Any] | None) -> str:
    """Return the risk-coverage section: the caption, two charts (by language, by source
    kind) with the run's operating point marked, and two small tables."""
    overall = riskplot.series_of(risk)
    by_language = riskplot.series_of(risk, group="by_language")
    by_source = riskplot.series_of(risk, group="by_source")
    charts = ['<figure id="risk-coverage-language">'
              + riskplot.chart_svg([*overall, *by_language],
                                   title="Wrong answers against deflection, by language")
              + "</figure>"]
    if by_source:
        charts.append('<figure id="risk-coverage-source">'
                      + riskplot.chart_svg([*overall, *by_source], title="By source kind",
                                           width=460)
                      + "</figure>")
    return "".join(['<section id="risk-coverage"><h2>Risk against coverage</h2>',
                    riskplot.caption_html(risk, answer_threshold),
                    f'<div class="charts">{"".join(charts)}</div>',
                    _table(*riskplot.point_rows(risk)), _table(*riskplot.group_rows(risk)),
                    "</section>"])


def top_confusions(tag: dict[str, Any], n: int) -> list[list[Any]]:
    """Return the n largest off-diagonal confusion counts."""
    cells = [(count, truth, predicted) for truth, row in tag.get("confusion", {}).items()
             for predicted, count in row.items() if predicted != truth]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [[t, p, c] for c, t, p in cells[:n]]


# --------------------------------------------------------------------------- Markdown


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(run: RunResult) -> str:
    """Return the report as Markdown (headline figures, per language, per class, failures)."""
    m, meta = run.metrics, run.meta
    out = ["# Kotae eval report", ""]
    sources = ", ".join(f"{k}: `{v}`" for k, v in meta.get("sources", {}).items())
    out.append(f"{meta.get('started_at', '')} · mode {meta.get('mode', '')} · {sources} · "
               f"{fmt(meta.get('seconds', {}).get('total_s'))} s")
    out += ["", "## Headline", ""]
    out.append(_md_table(["figure", "value"],
                         [[t, m.get(s, {}).get(k)] for t, s, k in HEADLINE
                          if shown(s, k, m.get(s, {}).get(k))]))
    languages = language_rows(m)
    if languages:
        out += ["", "## By language", ""]
        out.append(_md_table(*languages))
    facts = fact_table(m)
    if facts:
        out += ["", "## Facts", ""]
        out.append(_md_table(*facts))
    by_category = m.get("by_category", {})
    if by_category:
        out += ["", "## By category", ""]
        out.append(_md_table(["category", "cases", "passed", "pass rate"],
                             [[k, v["cases"], v["passed"], v["pass_rate"]]
                              for k, v in by_category.items()]))
    tag = m.get("tag", {})
    per_class = tag.get("per_class", {})
    if per_class:
        out += ["", "## Tags", ""]
        out.append(_md_table(["class", "precision", "recall", "F1", "support"],
                             [[k, c["precision"], c["recall"], c["f1"], c["support"]]
                              for k, c in per_class.items()]))
        labels = tag.get("labels", [])
        if len(labels) <= 12:
            confusion = tag.get("confusion", {})
            out += ["", "Confusion (rows expected, columns predicted):", ""]
            out.append(_md_table(["", *labels], [[t, *(confusion.get(t, {}).get(p, 0)
                                                       for p in labels)] for t in labels]))
        else:
            out += ["", "Most frequent confusions:", ""]
            out.append(_md_table(["expected", "predicted", "count"], top_confusions(tag, 15)))
        out += _tags_by_language_md(m.get("tag_by_language", {}))
    reasons = m.get("action", {}).get("reasons", {})
    if reasons:
        out += ["", "## Escalation reasons", ""]
        out.append(_md_table(["reason", "escalations"], list(reasons.items())))
    risk = m.get("action", {}).get("risk_coverage")
    if risk:
        used = riskplot.threshold_words(meta.get("answer_threshold"), risk.get("threshold"))
        out += ["", "## Risk against coverage", "",
                f"Wrong-answer rate against deflection as the answer threshold moves (the "
                f"chart is in report.html). This run answered when {used}.", ""]
        out.append(_md_table(*riskplot.point_rows(risk)))
        out += [""]
        out.append(_md_table(*riskplot.group_rows(risk)))
    curve = m.get("oos_curve")
    if curve:
        out += ["", "## Out-of-scope curve (escalate when tag confidence < t)", ""]
        out.append(_md_table(["t", "in-scope accuracy", "out-of-scope recall"],
                             [[p["threshold"], p["in_scope_accuracy"], p["oos_recall"]]
                              for p in curve["points"]]))
    failing = [r for r in ordered_results(run.results) if r.outcome != "pass"]
    out += ["", f"## Failing cases ({len(failing)})", ""]
    if failing:
        out.append(_md_table(["case", "lang", "expected", "got", "what failed"],
                             [[r.case.id, r.case.case_language, _expected(r), _got(r),
                               "; ".join(r.failures)] for r in failing]))
    else:
        out.append("None.")
    problems = meta.get("problems", [])
    if problems:
        out += ["", "## Skipped lines", ""] + [f"- {p}" for p in problems]
    return "\n".join(out) + "\n"
