"""The pages served beside the API: the widget script, the agents' console and the demo page."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

# web/ is installed beside service/, in a checkout and from the wheel alike.
WEB_DIR = Path(__file__).resolve().parents[1] / "web"


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
            headers={"Cache-Control": "no-cache"},
        )

    @app.api_route("/demo.css", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_css() -> FileResponse:
        return FileResponse(
            WEB_DIR / "demo" / "demo.css",
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    app.mount("/console", StaticFiles(directory=WEB_DIR / "console", html=True), name="console")
