"""The pages served beside the API: the widget script, the agents' console and the demo page."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# web/ is installed beside service/, in a checkout and from the wheel alike.
WEB_DIR = Path(__file__).resolve().parents[1] / "web"

_PAGE_POLICY = {
    # No inline script and nothing from elsewhere: an injected <script> or <img onerror> in
    # a customer's words would not run even if it reached the page. Not framed (clickjacking).
    "default-src": "'self'",
    "script-src": "'self'",
    "connect-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
#: The console: its own script and stylesheet only.
CONSOLE_HEADERS = {
    "Content-Security-Policy": "; ".join(
        f"{name} {value}" for name, value in {**_PAGE_POLICY, "style-src": "'self'"}.items()),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the console's URLs name escalations
}
#: The demo page: the widget, as on a customer's page, styles its shadow root with a <style>.
DEMO_HEADERS = {
    **CONSOLE_HEADERS,
    "Content-Security-Policy": "; ".join(
        f"{name} {value}"
        for name, value in {**_PAGE_POLICY, "style-src": "'self' 'unsafe-inline'"}.items()),
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def with_headers(app: ASGIApp, headers: dict[str, str]) -> ASGIApp:
    """Return app with headers added to each of its responses."""
    extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def mount_web(app: FastAPI, widget_key: str | None = None) -> None:
    """Serve web/: the widget at /widget.js, the console at /console/, the demo page at /."""

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_js() -> FileResponse:
        return FileResponse(
            WEB_DIR / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_page(lang: str | None = None) -> HTMLResponse:
        # ?lang=ja is the page in Japanese; the widget follows the page's <html lang>.
        # The demo page carries the configured widget key: widget keys are public by design.
        name = "index.ja.html" if lang == "ja" else "index.html"
        page = (WEB_DIR / "demo" / name).read_text(encoding="utf-8")
        return HTMLResponse(
            page.replace("{{WIDGET_KEY}}", html.escape(widget_key or "")),
            headers={"Cache-Control": "no-cache", **DEMO_HEADERS},
        )

    @app.api_route("/demo.css", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_css() -> FileResponse:
        return FileResponse(
            WEB_DIR / "demo" / "demo.css",
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    app.mount("/console", with_headers(StaticFiles(directory=WEB_DIR / "console", html=True),
                                       CONSOLE_HEADERS), name="console")
