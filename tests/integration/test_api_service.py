"""The service around the routes: start-up, health, metrics, settings, errors and limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from api import create_app, load_api_settings
from errors import ConfigError
from tests.integration.test_api_harness import (
    KEYS,
    FakeAgent,
    api_settings,
    auth,
    client_for,
    services_of,
    sqlite_url,
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path)) as client:
        yield client


JSON = {"Content-Type": "application/json"}


def test_start_up_creates_the_schema_in_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "new.sqlite3"
    with client_for(f"sqlite:///{path}") as client:
        assert client.get("/readyz").json() == {
            "status": "ready",
            "checks": {"database": "ok", "agent": "ok"},
        }
        assert client.get("/v1/escalations", headers=auth("agent")).json()["total"] == 0
    assert path.stat().st_size > 0


def test_healthz_answers_without_a_key(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_reports_an_agent_that_is_not_ready(tmp_path: Path) -> None:
    class Warming(FakeAgent):
        def ready(self) -> bool:
            return False

    with client_for(sqlite_url(tmp_path), agent=Warming()) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["agent"] == "not ready"


def test_readyz_reports_an_unreachable_database(client: TestClient) -> None:
    from storage.db import make_engine

    services_of(client).db.engine = make_engine("postgresql+psycopg://kotae@127.0.0.1:1/kotae")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "unreachable" in response.json()["checks"]["database"]


def test_metrics_count_requests_by_route_and_decisions_by_reason(client: TestClient) -> None:
    client.post("/v1/inquiries", json={"text": "I need a human"}, headers=auth("widget"))
    client.get("/v1/escalations/esc_missing", headers=auth("agent"))
    text = client.get("/metrics").text
    assert 'kotae_http_requests_total{method="POST",route="/v1/inquiries",status="201"} 1.0' in text
    assert ('route="/v1/escalations/{escalation_id}",status="404"} 1.0') in text
    assert (
        'kotae_decisions_total{action="escalate",reason="human_requested",tag="usage_question"} 1.0'
    ) in text
    assert "kotae_http_request_duration_seconds_bucket" in text


def test_unknown_routes_answer_json_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here", headers=auth("admin"))
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_domain_errors_become_error_code_and_detail(client: TestClient) -> None:
    response = client.get("/v1/escalations/esc_missing", headers=auth("agent"))
    assert response.status_code == 404
    assert response.json() == {"error_code": "not_found", "detail": "no escalation 'esc_missing'"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"text": ""}, "body.text", "must not be blank"),
        ({"text": "   "}, "body.text", "must not be blank"),
        ({}, "body.text", "Field required"),
        ({"text": "hi", "language": "fr"}, "body.language", "'en' or 'ja'"),
        ({"text": "hi", "surprise": 1}, "body.surprise", "Extra inputs are not permitted"),
        ({"text": "a\u0000b"}, "body.text", "NUL"),
        (
            {"text": "hi", "customer": {"account_id": "x" * 201}},
            "body.customer.account_id",
            "at most 200",
        ),
    ],
)
def test_invalid_inquiries_get_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post("/v1/inquiries", json=body, headers=auth("widget"))
    assert response.status_code == 422
    error = response.json()
    assert error["error_code"] == "invalid_input"
    assert error["errors"][0]["field"] == field
    assert words in error["detail"]


def test_a_lone_surrogate_is_refused_as_invalid_unicode(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries", content=b'{"text": "a\\ud800b"}', headers=auth("widget", **JSON)
    )
    assert response.status_code == 422
    assert "lone surrogates" in response.json()["detail"]


def test_malformed_json_gets_422_saying_where(client: TestClient) -> None:
    response = client.post("/v1/inquiries", content=b'{"text": ', headers=auth("widget", **JSON))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert "not valid JSON" in response.json()["detail"]


def test_a_body_that_is_not_utf8_gets_400(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries", content=b'{"text": "\xff\xfe"}', headers=auth("widget", **JSON)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "the body is not valid UTF-8"


def test_a_deeply_nested_body_gets_400(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries", content=b"[" * 30_000 + b"]" * 30_000, headers=auth("widget", **JSON)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "the body is nested too deeply"


def test_a_body_that_is_not_json_gets_422(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries",
        content=b"text=hello",
        headers=auth("widget", **{"Content-Type": "text/plain"}),
    )
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["detail"]


def test_an_oversized_body_gets_413_by_content_length(client: TestClient) -> None:
    response = client.post("/v1/inquiries", json={"text": "x" * 70_000}, headers=auth("widget"))
    assert response.status_code == 413
    assert response.json()["error_code"] == "payload_too_large"


def test_an_oversized_chunked_body_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    response = client.post("/v1/inquiries", content=chunks(), headers=auth("widget", **JSON))
    assert response.status_code == 413


def test_documents_may_be_larger_than_inquiries(client: TestClient) -> None:
    response = client.put(
        "/v1/kb/documents/big",
        headers=auth("admin"),
        json={"title": "Big", "text": "word " * 40_000},
    )
    assert response.status_code == 200


def test_nul_in_a_url_gets_400(client: TestClient) -> None:
    response = client.get("/v1/signals?account_id=a%00b", headers=auth("csm"))
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_cors_allows_only_listed_origins(tmp_path: Path) -> None:
    with client_for(
        sqlite_url(tmp_path), cors_origins="https://shop.example, https://app.example/"
    ) as client:
        allowed = client.options(
            "/v1/inquiries",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
            },
        )
        refused = client.options(
            "/v1/inquiries",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        simple = client.post(
            "/v1/inquiries",
            json={"text": "hi"},
            headers=auth("widget", Origin="https://shop.example"),
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://shop.example"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"api_keys": "widget:short"}, "at least 16"),
        ({"api_keys": "boss:sk_0123456789abcdef0"}, "role:key"),
        ({"api_keys": "agent:sk_0123456789abcdef0,csm:sk_0123456789abcdef0"}, "same key twice"),
        ({"webhook_url": "https://hooks.example/kotae"}, "KOTAE_WEBHOOK_SECRET"),
        ({"webhook_url": "ftp://hooks.example", "webhook_secret": "s" * 20}, "http"),
        ({"agent_timeout_s": 0}, "positive"),
    ],
)
def test_unsafe_settings_fail_at_start_up_saying_what_to_change(
    overrides: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        load_api_settings(_env_file=None, **overrides)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3")
    monkeypatch.setenv("KOTAE_API_KEYS", f"admin:{KEYS['admin']}")
    monkeypatch.setenv("KOTAE_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("KOTAE_RATE_LIMIT_IP_PER_S", "3")
    settings = load_api_settings(_env_file=None)
    assert settings.database_url == "sqlite:////tmp/elsewhere.sqlite3"
    assert settings.parsed_keys() == [("admin", KEYS["admin"])]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.rate_limit_ip_per_s == 3


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
