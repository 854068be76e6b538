"""End-to-end set-up: the real app and agent over the demo data, served by uvicorn on
127.0.0.1, two host pages on other origins (one on the CORS allowlist, one not), and
Chromium pages that fail their test on any console error."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from tests.support.browser import browser, chromium_path
from tests.support.net import free_port, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

__all__ = ["browser", "chromium_path"]  # fixtures, re-exported for the tests below

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports" / "e2e"
KEYS = {
    "widget": "pk_e2e_widget_0123456789abcdef",
    "agent": "sk_e2e_agent_0123456789abcdef",
    "csm": "sk_e2e_csm_0123456789abcdef",
    "admin": "sk_e2e_admin_0123456789abcdef",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives the real app in headless Chromium (needs /usr/bin/chromium)")


def wait_for(check: Callable[[], Any], timeout_s: float = 20.0, what: str = "condition") -> Any:
    """Poll check until it returns something truthy; fail after timeout_s."""
    return wait_until(check, timeout_s=timeout_s, every_s=0.05, what=what)


@dataclass
class Kotae:
    """The running app: its URL, keys and the two host-page origins."""

    url: str
    allowed_origin: str
    refused_origin: str
    keys: dict[str, str] = field(default_factory=lambda: dict(KEYS))
    database_url: str = ""  # the app's operational database (SQLite)

    def api(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> Any:
        """Call the API directly with a role's key; return the parsed JSON."""
        response = httpx.request(method, self.url + path, timeout=30,
                                 headers={"Authorization": f"Bearer {self.keys[role]}"}, **kwargs)
        response.raise_for_status()
        return response.json()


# ---------------------------------------------------------------- the app


@pytest.fixture(scope="session")
def e2e_store_dir(demo_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo store: resolving escalations teaches (writes to) it."""
    target = tmp_path_factory.mktemp("e2e") / "store"
    shutil.copytree(demo_store_dir, target)
    return target


def host_page(kotae_url: str, title: str) -> bytes:
    """A customer's page on another origin, with CSS that would break an unisolated widget."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<style>
  * {{ font-size: 40px !important; color: red !important; box-sizing: content-box; }}
  button {{ display: inline; background: lime; padding: 30px; border: 9px solid pink; }}
  textarea, [role=log] {{ display: none; }}
  div {{ position: static; }}
</style></head>
<body><h1>{title}</h1><p>An ordinary page that embeds the Kotae widget.</p>
<script src="{kotae_url}/widget.js" data-key="{KEYS['widget']}" data-api="{kotae_url}"
        data-account="acct_0003" async></script>
</body></html>""".encode()


@contextlib.contextmanager
def serve_page(port: int, body: bytes) -> Iterator[str]:
    """Serve one HTML page on 127.0.0.1:port until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_kotae(agent: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kotae]:
    """Serve an agent as the real app on 127.0.0.1, with the two host pages, until the block
    ends."""
    from api import ApiSettings, create_app

    port, allowed_port, refused_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    allowed, refused = f"http://127.0.0.1:{allowed_port}", f"http://127.0.0.1:{refused_port}"
    database = tmp_path_factory.mktemp("e2e-db") / "kotae.sqlite3"
    api_settings = ApiSettings(
        _env_file=None, database_url=f"sqlite:///{database}",
        api_keys=",".join(f"{role}:{key}" for role, key in KEYS.items()),
        cors_origins=[allowed], rate_limit_key_per_s=0.0, rate_limit_ip_per_s=0.0,
        maintenance_s=0.5, agent_timeout_s=30.0, shutdown_grace_s=2.0,
        insights_max_age_s=0.0, accounts_path=str(ROOT / "data" / "demo" / "accounts.json"))
    app = create_app(api_settings=api_settings, agent=agent)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn start-up")
    try:
        with (serve_page(allowed_port, host_page(url, "Allowed customer site")),
              serve_page(refused_port, host_page(url, "Unlisted site"))):
            yield Kotae(url=url, allowed_origin=allowed, refused_origin=refused,
                        database_url=f"sqlite:///{database}")
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="session")
def kotae(e2e_store_dir: Path, local_embedder: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kotae]:
    """The real app with the real offline agent over the demo data, on 127.0.0.1."""
    from agent.factory import build_agent
    from settings import load_settings
    from tests.support.policies import demo_policy_with_grounding_rule

    # The demo policy as the widget tests were written against: the fixed grounding rule,
    # whatever model was last fitted into it (tests/support/policies.py).
    policy = demo_policy_with_grounding_rule(tmp_path_factory.mktemp("e2e-policy"))
    agent = build_agent(load_settings(store_dir=e2e_store_dir, mode="offline",
                                      policy_path=policy),
                        embedder=local_embedder)
    with serve_kotae(agent, tmp_path_factory) as running:
        yield running


#: The demo articles the bilingual app holds: some only in English, some only in Japanese.
BILINGUAL_KB = ("kb-slack-integration", "kb-storage-limits",
                "kb-ja-qualified-invoice", "kb-faq-ja-trial", "kb-faq-ja-receipt")


@pytest.fixture(scope="session")
def bilingual_kotae(e5_embedder: Any, tmp_path_factory: pytest.TempPathFactory,
                    ) -> Iterator[Kotae]:
    """The app as shipped (the multilingual model, the demo policy and its fitted answer
    decision) over a few demo articles, each in one language only: the demo store is indexed
    with the English-only model for speed, and this one is kept small for the same reason."""
    from agent.factory import build_agent
    from retrieval.indexer import Indexer
    from retrieval.loaders import load_knowledge_base, load_taxonomy
    from retrieval.store import KnowledgeStore, StoreConfig
    from settings import load_settings

    demo = ROOT / "data" / "demo"
    store_dir = tmp_path_factory.mktemp("bilingual") / "store"
    store = KnowledgeStore.open(StoreConfig(store_dir))
    try:
        store.save_taxonomy(load_taxonomy(demo / "taxonomy.yaml"))
        Indexer(store, e5_embedder).sync("kb", [
            d for d in load_knowledge_base(demo / "kb").documents if d.id in BILINGUAL_KB])
    finally:
        store.close()
    agent = build_agent(load_settings(store_dir=store_dir, mode="offline",
                                      policy_path=demo / "policy.yaml"),
                        embedder=e5_embedder)
    with serve_kotae(agent, tmp_path_factory) as running:
        yield running


# ---------------------------------------------------------------- pages


@dataclass
class Pages:
    """Opens pages in fresh browser contexts and records their console errors."""

    browser: Browser
    errors: dict[int, list[str]] = field(default_factory=dict)
    tolerant: set[int] = field(default_factory=set)
    contexts: list[Any] = field(default_factory=list)

    def open(self, url: str, *, width: int = 1280, height: int = 860, locale: str = "en-US",
             expect_errors: bool = False) -> Page:
        """Open url in a new context (its own storage, like another person's browser)."""
        context = self.browser.new_context(viewport={"width": width, "height": height},
                                           locale=locale, accept_downloads=True)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        errors = self.errors.setdefault(id(page), [])
        if expect_errors:
            self.tolerant.add(id(page))

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(f"console: {message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.goto(url)
        return page

    def unexpected_errors(self) -> list[str]:
        """Return console errors from pages not opened with expect_errors."""
        return [e for key, found in self.errors.items() if key not in self.tolerant
                for e in found]


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    """Open pages; the test fails if any of them logs a console error or throws."""
    from playwright.sync_api import expect

    # Resolving an escalation re-indexes the answer with the real model: allow a loaded CI
    # machine some seconds for it.
    expect.set_options(timeout=15_000)
    opened = Pages(browser)
    yield opened
    for context in opened.contexts:
        context.close()
    errors = opened.unexpected_errors()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot of the page as reports/e2e/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
