"""Screenshot a part of an eval report in headless Chromium (the docs' risk-coverage image).

    .venv/bin/python -m eval demo --out reports/demo
    .venv/bin/python -m tests.support.report_shot reports/demo/report.html docs/img/risk-coverage.png

The end-to-end test tests/e2e/test_report.py runs the same function on a report it renders.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.browser import CHROMIUM_ARGS, find_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SELECTOR = "#risk-coverage"


def shoot(browser: Browser, report: Path, png: Path, selector: str = SELECTOR) -> dict[str, float]:
    """Save a screenshot of `selector` in the report as `png`; return the element's box."""
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  device_scale_factor=1.5)
    try:
        page = context.new_page()
        # A report is self-contained: any request it makes is a bug, so none is allowed out.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            "file://") else route.abort())
        page.goto(report.resolve().as_uri())
        element = page.locator(selector)
        element.wait_for(state="visible")
        box = element.bounding_box()
        assert box is not None, f"{selector} has no box in {report}"
        png.parent.mkdir(parents=True, exist_ok=True)
        margin = 8  # a little white around the element, so that nothing touches the edge
        page.screenshot(path=str(png), clip={
            "x": max(0.0, box["x"] - margin), "y": max(0.0, box["y"] - margin),
            "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin},
            full_page=True)
        return {key: float(box[key]) for key in ("x", "y", "width", "height")}
    finally:
        context.close()


def main() -> None:
    """Screenshot a report's risk-coverage section."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="report.html of an eval run")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--selector", default=SELECTOR)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no Chromium: install Debian's chromium or set KOTAE_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            box = shoot(browser, args.report, args.png, args.selector)
        finally:
            browser.close()
    print(f"wrote {args.png} ({box['width']:.0f}×{box['height']:.0f} CSS px)")


if __name__ == "__main__":
    main()
