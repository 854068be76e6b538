"""Screenshots of the console's Accounts and Insights pages for the README, from a running demo.

    make seed-demo && make demo   # in another terminal
    .venv/bin/python -m tests.support.insights_shots http://127.0.0.1:8000 sk_demo_admin_0123456789

writes docs/img/accounts.png and docs/img/insights.png (headless Chromium, 1280 px wide).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.browser import CHROMIUM_ARGS, ensure_chromium

ROOT = Path(__file__).resolve().parents[2]


def main(url: str, key: str, out: Path = ROOT / "docs" / "img") -> None:
    """Sign in with key and capture both pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(ensure_chromium()),
                                             headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url.rstrip("/") + "/console/")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Accounts").click()
        page.locator(".accounts-table tbody tr").first.wait_for()
        page.screenshot(path=str(out / "accounts.png"))
        page.get_by_role("link", name="Insights").click()
        page.locator(".content-table tbody tr").first.wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "insights.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
