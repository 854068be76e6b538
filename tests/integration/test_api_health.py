"""The operators' routes: liveness, readiness (database and agent) and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_harness import FakeAgent, auth, client_for, services_of, sqlite_url


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path)) as client:
        yield client


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
