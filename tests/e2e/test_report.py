"""The eval report's risk-coverage charts as Chromium draws them (the docs image is taken the
same way: tests/support/report_shot.py)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from eval.report import render_html
from eval.results import RunResult
from eval.riskcoverage import Row, at, curve
from tests.e2e.conftest import SHOTS
from tests.support.report_shot import shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e


def _group(rows: list[Row], cases: int, threshold: float) -> dict[str, Any]:
    points = curve(rows, cases)
    return {"rows": len(rows), "answerable": sum(r.correct for r in rows),
            "operating_point": asdict(at(points, threshold)),
            "points": [asdict(p) for p in points]}


def _risk() -> dict[str, Any]:
    rows = [Row(f"{language}{i}", language, "kb" if i % 5 else "ticket", 0.95 - i / 40,
                (i * 7 + (language == "ja")) % 10 >= (2 if i < 20 else 5), {})
            for language in ("en", "ja") for i in range(36)]
    risk = {"threshold": 0.5, "cases": 90, **_group(rows, 90, 0.5)}
    risk["by_language"] = {lang: _group([r for r in rows if r.language == lang], 45, 0.5)
                           for lang in ("en", "ja")}
    risk["by_source"] = {src: _group([r for r in rows if r.source == src], 90, 0.5)
                         for src in ("kb", "ticket")}
    return risk


def test_the_risk_coverage_charts_render_with_the_operating_point_in_the_plot(
        browser: Browser, tmp_path: Path) -> None:
    run = RunResult([], {"action": {"risk_coverage": _risk()}},
                    {"answer_threshold": {"threshold": 0.5, "by": "grounding score"}})
    report = tmp_path / "report.html"
    report.write_text(render_html(run), encoding="utf-8")
    box = shoot(browser, report, SHOTS / "risk-coverage.png")
    assert box["width"] > 600 and box["height"] > 400

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(report.resolve().as_uri())
        charts = page.locator("svg.risk-coverage")
        assert charts.count() == 2
        for i, lines in ((0, 3), (1, 3)):  # all + en + ja; all + kb + ticket
            chart = charts.nth(i)
            assert chart.locator("polyline.curve").count() == lines
            frame = chart.locator("rect").first.bounding_box()
            assert frame is not None and frame["width"] > 300
            for ring in chart.locator("circle.operating-point").all():
                where = ring.bounding_box()
                assert where is not None
                centre_x = where["x"] + where["width"] / 2
                centre_y = where["y"] + where["height"] / 2
                assert frame["x"] <= centre_x <= frame["x"] + frame["width"]
                assert frame["y"] <= centre_y <= frame["y"] + frame["height"]
        caption = page.locator("#risk-coverage p").first.inner_text()
        assert "the grounding score was at least 0.5000" in caption
        assert page.get_by_text("Japanese — this run:").count() == 1
    finally:
        context.close()
