"""The weekly digest: volume, deflection, top topics and bug clusters, accounts at risk and
ready to grow, and content performance, as HTML and Markdown, in English, Japanese or both.

    python -m insights digest --since 7d --out reports/digest --lang both
"""

from __future__ import annotations

import argparse
import html
import importlib
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.pii import mask_pii
from insights import accounts as health
from insights.content import content_performance
from storage.models import utcnow
from storage.repo.analytics import Summary, analytics_summary

TEXT = {
    "en": {
        "title": "Kotae weekly digest", "period": "{since} to {until}", "volume": "Volume",
        "inquiries": "Inquiries", "previous": "previous period", "deflection": "Deflection rate",
        "escalated": "Escalated", "helpful": "Helpful rate", "reasons": "Escalation reasons",
        "topics": "Top topics", "bugs": "Bug clusters", "risk": "Accounts at risk or to watch",
        "growth": "Accounts ready to grow", "content": "Content performance",
        "none": "Nothing in this period.", "unavailable": "Not available on this installation.",
        "account": "Account", "band": "Band", "score": "Health", "causes": "Main causes",
        "expansion": "Expansion", "article": "Article", "cited": "Cited",
        "helpfulCol": "Helpful", "trouble": "Then 👎 or escalated", "count": "Count",
        "healthy": "healthy", "watch": "watch", "at_risk": "at risk",
    },
    "ja": {
        "title": "Kotae 週次ダイジェスト", "period": "{since} 〜 {until}", "volume": "件数",
        "inquiries": "問い合わせ", "previous": "前期間", "deflection": "自己解決率",
        "escalated": "エスカレーション", "helpful": "役に立った率", "reasons": "エスカレーション理由",
        "topics": "主なトピック", "bugs": "不具合クラスター", "risk": "リスクあり・要注意のアカウント",
        "growth": "拡大が見込めるアカウント", "content": "コンテンツの効果",
        "none": "この期間にはありません。", "unavailable": "この環境では利用できません。",
        "account": "アカウント", "band": "区分", "score": "健全性", "causes": "主な要因",
        "expansion": "拡大", "article": "記事", "cited": "引用回数",
        "helpfulCol": "役に立った率", "trouble": "その後👎またはエスカレーション", "count": "件数",
        "healthy": "良好", "watch": "要注意", "at_risk": "リスクあり",
    },
}
REASONS = {
    "en": {"low_confidence": "low confidence", "human_requested": "human requested",
           "bug_report": "bug report", "sensitive_topic": "sensitive topic",
           "negative_sentiment": "negative sentiment", "injection_attempt": "injection attempt",
           "llm_unavailable": "LLM unavailable", "policy": "policy"},
    "ja": {"low_confidence": "確信度が低い", "human_requested": "担当者を希望",
           "bug_report": "不具合報告", "sensitive_topic": "慎重な対応が必要",
           "negative_sentiment": "強い不満", "injection_attempt": "不正な指示の疑い",
           "llm_unavailable": "LLM利用不可", "policy": "ポリシー"},
}
PART_NAMES = {
    "en": {"volume_trend": "inquiry trend", "negative_sentiment": "negative sentiment",
           "repeated_contacts": "repeated contacts", "reopenings": "reopenings",
           "unhelpful_answers": "unhelpful answers", "bugs_hit": "bugs hit",
           "open_escalations": "open escalations", "churn_signals": "churn signals"},
    "ja": {"volume_trend": "問い合わせの増加", "negative_sentiment": "強い不満",
           "repeated_contacts": "繰り返しの問い合わせ", "reopenings": "再オープン",
           "unhelpful_answers": "役に立たなかった回答", "bugs_hit": "遭遇した不具合",
           "open_escalations": "未解決のエスカレーション", "churn_signals": "解約リスクのシグナル"},
}


@dataclass
class Digest:
    """What the digest reports, gathered once and written in each language."""

    since: datetime
    until: datetime
    summary: Summary
    previous: Summary
    topics: list[dict[str, Any]] | None
    bugs: list[dict[str, Any]] | None
    accounts: list[dict[str, Any]]
    content: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def parse_since(text: str, now: datetime) -> datetime:
    """Read "7d", "24h", "2w" or an ISO date as the start of the period."""
    match = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", text)
    if match:
        n, unit = int(match.group(1)), match.group(2)
        return now - timedelta(hours=n) if unit == "h" else now - timedelta(
            days=n * (7 if unit == "w" else 1))
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--since {text!r}: give a span such as 7d, 24h, 2w or an ISO date "
                         "such as 2026-12-01") from exc
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


def _optional(module: str, name: str, session: Session, since: datetime, until: datetime,
              limit: int) -> list[dict[str, Any]] | None:
    """Call insights.<module>.<name> if this installation has it; None when it does not."""
    try:
        function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    accepted = inspect.signature(function).parameters
    offered = {"since": since, "until": until, "limit": limit}
    found = function(session, **{k: v for k, v in offered.items() if k in accepted})
    items = found.get("items", []) if isinstance(found, dict) else list(found or [])
    return [i if isinstance(i, dict) else _as_dict(i) for i in items][:limit]


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "as_dict"):
        return dict(value.as_dict())
    if hasattr(value, "model_dump"):
        return dict(value.model_dump())
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return {"name": str(value)}


def gather(session: Session, since: datetime, until: datetime, config: health.HealthConfig,
           directory: health.Directory | None = None, limit: int = 5) -> Digest:
    """Collect the digest's figures for [since, until)."""
    previous_start = since - (until - since)
    digest = Digest(
        since=since, until=until,
        summary=analytics_summary(session, since, until),
        previous=analytics_summary(session, previous_start, since),
        topics=_optional("insights.topics", "top_topics", session, since, until, limit),
        bugs=_optional("insights.bugs", "bug_clusters", session, since, until, limit),
        accounts=health.compute(session, config, directory, until),
        content=content_performance(session, since, until),
    )
    return digest


def _name(item: dict[str, Any]) -> str:
    for key in ("name", "label", "title", "question", "id"):
        if item.get(key):
            return mask_pii(str(item[key]))
    return "—"


def _count(item: dict[str, Any]) -> str:
    for key in ("volume", "count", "size", "inquiries"):
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("current", value.get("count"))
        if value is not None:
            return str(value)
    return ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def tables(d: Digest, lang: str, limit: int = 5) -> list[tuple[str, list[str], list[list[str]]]]:
    """Return the digest's sections as (title, header, rows), in one language."""
    t = TEXT[lang]
    s, p = d.summary, d.previous
    out: list[tuple[str, list[str], list[list[str]]]] = []
    out.append((t["volume"], ["", "", t["previous"]], [
        [t["inquiries"], str(s.inquiries), str(p.inquiries)],
        [t["deflection"], _pct(s.deflection_rate), _pct(p.deflection_rate)],
        [t["escalated"], str(s.escalated), str(p.escalated)],
        [t["helpful"], _pct(s.helpful_rate), _pct(p.helpful_rate)],
    ]))
    reasons = sorted(s.reasons.items(), key=lambda kv: -kv[1])
    out.append((t["reasons"], ["", t["count"]],
                [[REASONS[lang].get(k, k), str(v)] for k, v in reasons]))
    for key, found in (("topics", d.topics), ("bugs", d.bugs)):
        if found is None:
            out.append((t[key], [], [[t["unavailable"]]]))
        else:
            out.append((t[key], ["", t["count"]], [[_name(i), _count(i)] for i in found[:limit]]))
    names = PART_NAMES[lang]

    def causes(h: dict[str, Any]) -> str:
        worst = sorted((p for p in h["parts"] if p["contribution"] < 0),
                       key=lambda p: p["contribution"])[:2]
        return ", ".join(f"{names.get(p['name'], p['name'])} {p['contribution']:+g}" for p in worst)

    risky = sorted((h for h in d.accounts if h["band"] != "healthy"), key=lambda h: h["score"])
    out.append((t["risk"], [t["account"], t["band"], t["score"], t["causes"]], [
        [h.get("name") or h["account_id"], t[h["band"]], f"{h['score']:g}", causes(h)]
        for h in risky[:limit]]))
    growing = sorted((h for h in d.accounts if h["expansion"] > 0), key=lambda h: -h["expansion"])
    out.append((t["growth"], [t["account"], t["expansion"], t["score"]], [
        [h.get("name") or h["account_id"], f"{h['expansion']:g}", f"{h['score']:g}"]
        for h in growing[:limit]]))
    out.append((t["content"], [t["article"], t["cited"], t["helpfulCol"], t["trouble"]], [
        [c["title"], str(c["cited"]), _pct(c["helpful_rate"]), _pct(c["trouble_rate"])]
        for c in d.content[:limit * 2]]))
    return out


def markdown(d: Digest, langs: Sequence[str]) -> str:
    """Return the digest as Markdown."""
    lines: list[str] = []
    for lang in langs:
        t = TEXT[lang]
        lines += [f"# {t['title']}", "",
                  t["period"].format(since=d.since.date(), until=d.until.date()), ""]
        for title, header, rows in tables(d, lang):
            lines += [f"## {title}", ""]
            if not rows:
                lines += [t["none"], ""]
                continue
            if not header:
                lines += [rows[0][0], ""]
                continue
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _bar(value: int, most: int) -> str:
    width = 0 if not most else round(160 * value / most)
    return (f'<svg width="170" height="12" role="img" aria-label="{value}">'
            f'<rect width="{width}" height="12" rx="2" fill="#0b5cad"/></svg>')


def html_page(d: Digest, langs: Sequence[str]) -> str:
    """Return the digest as one self-contained HTML page (no scripts, nothing fetched)."""
    e = html.escape
    body: list[str] = []
    for lang in langs:
        t = TEXT[lang]
        body.append(f'<section lang="{lang}"><h1>{e(t["title"])}</h1><p class="period">'
                    f'{e(t["period"].format(since=d.since.date(), until=d.until.date()))}</p>')
        for title, header, rows in tables(d, lang):
            body.append(f"<h2>{e(title)}</h2>")
            if not rows:
                body.append(f'<p class="muted">{e(t["none"])}</p>')
                continue
            if not header:
                body.append(f'<p class="muted">{e(rows[0][0])}</p>')
                continue
            counts = [int(r[1]) for r in rows if len(r) > 1 and r[1].isdigit()]
            most = max(counts, default=0)
            body.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header)
                        + "</tr></thead><tbody>")
            for row in rows:
                cells = [f"<td>{e(c)}</td>" for c in row]
                if len(row) > 1 and row[1].isdigit() and most and header[1] in (
                        t["count"], t["cited"]):
                    cells[1] = f"<td>{_bar(int(row[1]), most)} {e(row[1])}</td>"
                body.append("<tr>" + "".join(cells) + "</tr>")
            body.append("</tbody></table>")
        body.append("</section>")
    title = " / ".join(TEXT[lang]["title"] for lang in langs)
    return ("<!doctype html>\n<html lang=\"" + langs[0] + "\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>"
            "body{font:15px/1.5 system-ui,'Hiragino Sans','Noto Sans JP',sans-serif;"
            "max-width:880px;margin:24px auto;padding:0 16px;color:#1c2230}"
            "table{border-collapse:collapse;width:100%;margin-bottom:12px}"
            "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e1e5ec}"
            "th{background:#f0f3f7}.muted,.period{color:#5a6478}section{margin-bottom:40px}"
            "</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write(d: Digest, out: Path, langs: Sequence[str]) -> tuple[Path, Path]:
    """Write digest.html and digest.md into out; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    page, text = out / "digest.html", out / "digest.md"
    page.write_text(html_page(d, langs), encoding="utf-8")
    text.write_text(markdown(d, langs), encoding="utf-8")
    return page, text


def main(argv: Sequence[str]) -> int:
    """Write the digest for the configured database."""
    parser = argparse.ArgumentParser(
        prog="python -m insights digest",
        description="Write a digest (digest.html and digest.md) of the period's support.",
        epilog="example: python -m insights digest --since 7d --out reports/digest --lang ja")
    parser.add_argument("--since", default="7d", help="7d, 24h, 2w or an ISO date (default 7d)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--lang", choices=("en", "ja", "both"), default="both")
    args = parser.parse_args(list(argv))
    now = utcnow()
    try:
        since = parse_since(args.since, now)
    except ValueError as exc:
        parser.error(str(exc))
    from service.settings import load_api_settings
    from settings import load_settings
    from storage.db import Database

    api = load_api_settings()
    db = Database.open(api.database_for(load_settings().store_dir))
    db.migrate()
    with db.session() as session:
        d = gather(session, since, now, api.health_config(),
                   health.directory_for(api.accounts_path))
    db.close()
    langs = ["en", "ja"] if args.lang == "both" else [args.lang]
    page, text = write(d, args.out, langs)
    print(f"digest: {page} and {text} ({d.summary.inquiries} inquiries since {since:%Y-%m-%d})")
    return 0
