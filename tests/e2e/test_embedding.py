"""The widget embedded in customers' own pages (other origins), and accessibility basics."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Kotae, Pages, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDGET = Path(__file__).resolve().parents[2] / "web" / "widget.js"
QUESTION = "How do I set up SAML SSO with Okta?"


def test_the_widget_script_is_at_most_30_kb_gzipped() -> None:
    size = len(gzip.compress(WIDGET.read_bytes(), compresslevel=9))
    assert size <= 30 * 1024, f"widget.js is {size} bytes gzipped"


@pytest.mark.e2e
def test_the_widget_works_on_an_allowed_origin_despite_hostile_page_css(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.allowed_origin + "/")
    bubble = page.get_by_role("button", name="Support chat")
    box = bubble.bounding_box()
    assert box is not None and round(box["width"]) == 60, "the page's CSS reached the widget"
    bubble.click()
    with page.expect_response(kotae.url + "/v1/inquiries") as response:
        page.locator("#kotae-input").fill(QUESTION)
        page.locator("#kotae-input").press("Enter")
    assert response.value.headers["access-control-allow-origin"] == kotae.allowed_origin
    expect(page.locator('.m.assistant .body a[href$="/articles/saml-sso-okta"]')).to_be_visible()
    font = page.locator("#kotae-input").evaluate("el => getComputedStyle(el).fontSize")
    assert font == "16px"
    shot(page, "13-cors-allowed-origin")


@pytest.mark.e2e
def test_the_widget_is_refused_on_an_origin_not_on_the_allowlist(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.refused_origin + "/", expect_errors=True)  # CORS errors, logged
    page.get_by_role("button", name="Support chat").click()
    page.locator("#kotae-input").fill(QUESTION)
    page.locator("#kotae-input").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("could not reach support")
    expect(page.locator("#kotae-input")).to_have_value(QUESTION)
    expect(page.locator(".m.assistant")).to_have_count(0)
    assert any("CORS" in e for e in pages.errors[id(page)]), pages.errors[id(page)]
    shot(page, "14-cors-refused-origin")


# ---------------------------------------------------------------- accessibility basics


def focused(page: Page) -> str:
    """Describe the focused element, looking inside shadow roots."""
    description: str = page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return "";
        return (el.getAttribute("aria-label") || el.id || el.textContent || el.tagName).trim();
    }""")
    return description


UNLABELLED = """() => {
    const found = [];
    const visit = (root) => {
        for (const el of root.querySelectorAll("input, textarea, select, button, a[href]")) {
            if (el.type === "hidden" || el.closest("[hidden]")) continue;
            const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-label")
                || el.getAttribute("aria-labelledby")
                || (["BUTTON", "A"].includes(el.tagName) && el.textContent.trim());
            if (!labelled) found.push(el.outerHTML.slice(0, 120));
        }
        for (const host of root.querySelectorAll("*")) if (host.shadowRoot) visit(host.shadowRoot);
    };
    visit(document);
    return found;
}"""


def unlabelled(page: Page) -> list[Any]:
    """Return the form controls and links on the page that have no accessible name."""
    found: list[Any] = page.evaluate(UNLABELLED)
    return found


@pytest.mark.e2e
def test_every_widget_control_is_reachable_by_keyboard_and_labelled(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/")
    seen = []
    for _ in range(40):  # past the page's own links to the bubble
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == "Support chat":
            break
    assert seen[-1] == "Support chat", f"Tab never reached the chat bubble: {seen}"
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert focused(page) == "kotae-input", "opening the chat should focus the message box"
    order = []
    for _ in range(2):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == ["Send", "Talk to a human"], order
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "kotae-input"
    assert unlabelled(page) == []
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert focused(page) == "Support chat"
    shot(page, "15-keyboard-focus-on-bubble")


@pytest.mark.e2e
def test_console_inputs_are_labelled_on_every_view(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    kotae.api("POST", "/v1/inquiries", "widget", json={"text": "Can I talk to a person?"})
    page = pages.open(kotae.url + "/console/")
    assert unlabelled(page) == []
    page.get_by_label("API key").fill(kotae.keys["admin"])
    page.keyboard.press("Enter")  # the sign-in form submits from the keyboard
    expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
    for section, heading in (("Signals", "Signals"), ("Analytics", "Analytics"),
                             ("Escalations", "Escalation queue")):
        page.get_by_role("link", name=section).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        assert unlabelled(page) == [], section
    # Changing a filter reloads the queue and replaces its table; a row focused before the
    # new table arrives is gone with the old one. Wait for the new table, not any table.
    page.locator("table.queue").evaluate("t => t.dataset.stale = '1'")
    page.get_by_label("Status").select_option("")
    first = page.locator("table.queue:not([data-stale]) a").first
    expect(first).to_be_visible()
    first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Reply to the customer")).to_be_visible()
    assert unlabelled(page) == []
