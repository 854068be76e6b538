"""What a new user meets first: the API page with no internet, and the demo page in Japanese."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Kotae, Pages, shot

pytestmark = pytest.mark.e2e


def test_the_api_page_renders_with_every_other_host_refused(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import Route, expect

    own = urlsplit(kotae.url).netloc
    refused: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "about:")):
            route.continue_()
        else:  # what a machine without internet does to a CDN request
            refused.append(url)
            route.abort("internetdisconnected")

    page = pages.open("about:blank", expect_errors=True)  # a refused request would be logged
    page.context.route("**/*", only_this_server)
    page.goto(kotae.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kotae")
    expect(page.locator(".opblock-summary-path", has_text="/v1/inquiries").first).to_be_visible()
    assert page.locator(".opblock").count() >= 15
    page.locator(".opblock-summary-path", has_text="/v1/me").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert refused == [], f"the API page asked other hosts for: {refused}"
    assert pages.errors[id(page)] == []
    shot(page, "25-api-docs-offline")


def test_the_japanese_demo_page_is_in_japanese_and_so_is_its_widget(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/?lang=ja", locale="en-US")  # the page decides, not the browser
    assert page.evaluate("document.documentElement.lang") == "ja"
    expect(page.get_by_role("heading", level=1)).to_have_text("プロジェクトも、タスクも、ドキュメントも、ひとつに。")
    expect(page.get_by_role("heading", name="料金")).to_be_visible()
    expect(page.get_by_role("heading", name="チャットで試せる質問")).to_be_visible()
    expect(page.get_by_role("button", name="サポートチャット")).to_be_visible()
    font = page.locator("body").evaluate("b => getComputedStyle(b).fontFamily")
    assert "Noto Sans JP" in font  # the shared stylesheet loaded
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects, tasks and docs, connected.")
    expect(page.get_by_role("button", name="Support chat")).to_be_visible()
    page.get_by_role("link", name="日本語").click()
    expect(page.get_by_role("heading", name="料金")).to_be_visible()
    shot(page, "26-demo-page-japanese")
