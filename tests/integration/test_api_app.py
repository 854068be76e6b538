"""The app api.py assembles: start-up (schema, agent factory, warm-up), the OpenAPI page,
the web pages, and uvicorn serving it both ways."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi.testclient import TestClient

from api import create_app
from errors import ConfigError
from tests.integration.test_api_harness import (
    KEYS,
    ROOT,
    FakeAgent,
    api_settings,
    auth,
    client_for,
    services_of,
    sqlite_url,
    uvicorn_process,
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path)) as client:
        yield client


def test_start_up_creates_the_schema_in_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "new.sqlite3"
    with client_for(f"sqlite:///{path}") as client:
        assert client.get("/readyz").json() == {
            "status": "ready",
            "checks": {"database": "ok", "agent": "ok"},
        }
        assert client.get("/v1/escalations", headers=auth("agent")).json()["total"] == 0
    assert path.stat().st_size > 0


@pytest.mark.parametrize(("configured", "used"), [(None, 1), (2, 2)])
def test_the_api_embeds_on_one_thread_per_request_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, configured: int | None, used: int
) -> None:
    import agent.factory
    from service.wiring import load_agent
    from settings import load_settings

    built: list[Any] = []
    monkeypatch.setattr(agent.factory, "build_agent", lambda settings: built.append(settings))
    load_agent(api_settings("sqlite:///unused.sqlite3"),
               load_settings(_env_file=None, embed_threads=configured))
    assert built[0].embed_threads == used


def test_an_in_memory_database_is_refused(tmp_path: Path) -> None:
    app = create_app(api_settings=api_settings("sqlite://"), agent=FakeAgent())
    with pytest.raises(ConfigError, match="in-memory"), TestClient(app):
        pass


def test_the_agent_factory_setting_builds_the_agent(tmp_path: Path) -> None:
    app = create_app(
        api_settings=api_settings(
            sqlite_url(tmp_path), agent_factory="tests.integration.test_api_harness:agent_from_env"
        )
    )
    with TestClient(app) as client:
        assert type(services_of(client).agent).__name__ == "FakeAgent"


class WarmingAgent(FakeAgent):
    """A FakeAgent that records warm_up calls, or fails them."""

    warmed: ClassVar[list[str]] = []
    warm_up_fails: ClassVar[bool] = False

    def warm_up(self) -> None:
        if self.warm_up_fails:
            raise RuntimeError("the index is unreadable")
        self.warmed.append("warm")


class ColdAgent(WarmingAgent):
    warm_up_fails = True


def test_start_up_warms_the_agent_and_freezes_what_it_built(tmp_path: Path) -> None:
    import gc

    WarmingAgent.warmed.clear()
    app = create_app(api_settings=api_settings(
        sqlite_url(tmp_path), agent_factory=f"{__name__}:WarmingAgent", gc_freeze=True))
    try:
        with TestClient(app) as client:
            assert WarmingAgent.warmed == ["warm"]
            assert gc.get_freeze_count() > 0
            assert client.get("/readyz").status_code == 200
    finally:
        gc.unfreeze()


def test_a_failing_warm_up_does_not_stop_the_api_from_starting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(api_settings=api_settings(
        sqlite_url(tmp_path), agent_factory=f"{__name__}:ColdAgent"))
    with caplog.at_level(logging.WARNING, logger="kotae.api"), TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
    assert "warming the agent up failed" in caplog.text


def test_a_wrong_agent_factory_fails_start_up_clearly(tmp_path: Path) -> None:
    app = create_app(
        api_settings=api_settings(sqlite_url(tmp_path), agent_factory="no_such_module:build")
    )
    with pytest.raises(ConfigError, match="KOTAE_AGENT_FACTORY"), TestClient(app):
        pass


def test_the_openapi_page_documents_every_product_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        ("/v1/inquiries", "post"),
        ("/v1/conversations/{conversation_id}", "get"),
        ("/v1/inquiries/{inquiry_id}/feedback", "post"),
        ("/v1/conversations/{conversation_id}/human", "post"),
        ("/v1/escalations", "get"),
        ("/v1/escalations/{escalation_id}", "get"),
        ("/v1/escalations/{escalation_id}/claim", "post"),
        ("/v1/escalations/{escalation_id}/resolve", "post"),
        ("/v1/escalations/{escalation_id}/reopen", "post"),
        ("/v1/signals", "get"),
        ("/v1/signals/{signal_id}/ack", "post"),
        ("/v1/signals.csv", "get"),
        ("/v1/kb/documents/{doc_id}", "put"),
        ("/v1/kb/documents/{doc_id}", "delete"),
        ("/v1/analytics/summary", "get"),
        ("/v1/search", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    }
    documented = {(path, method) for path, methods in paths.items() for method in methods}
    assert expected <= documented


def test_the_widget_script_console_and_demo_page_are_served(client: TestClient) -> None:
    script = client.get("/widget.js")
    console = client.get("/console/")
    demo = client.get("/")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert console.status_code == 200 and "console.js" in console.text
    assert client.get("/console/console.js").status_code == 200
    assert demo.status_code == 200
    assert f'data-key="{KEYS["widget"]}"' in demo.text  # widget keys are public
    assert "{{WIDGET_KEY}}" not in demo.text


@pytest.mark.slow
@pytest.mark.parametrize(
    "target", [["api:app"], ["api:create_app", "--factory"]], ids=["app", "factory"]
)
def test_uvicorn_serves_the_api_as_an_app_and_as_a_factory(
    tmp_path: Path, target: list[str]
) -> None:
    database = tmp_path / "kotae.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "KOTAE_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "KOTAE_AGENT_FACTORY": "tests.integration.test_api_harness:agent_from_env",
    }
    with uvicorn_process(target, env) as (base, _process):
        health = httpx.get(f"{base}/healthz", timeout=60)
        answered = httpx.post(
            f"{base}/v1/inquiries", json={"text": "How do I invite my team?"},
            headers=auth("widget"), timeout=60,
        )
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert answered.status_code == 201 and answered.json()["status"] == "answered"
    assert database.stat().st_size > 0  # the lifespan opened and migrated the configured store


def test_importing_api_builds_nothing_until_app_is_asked_for() -> None:
    check = (
        "import api\n"
        "assert api._app is None, 'importing api built the app'\n"
        "try:\n"
        "    api.app\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "KOTAE_API_KEYS": "not-a-role-and-key"}, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # The settings are read when app is first used, and a bad one is named then.
    assert run.stdout.startswith("ConfigError invalid API settings") and "role:key" in run.stdout
