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


def test_readyz_says_how_far_this_hosts_caches_are_behind_a_shared_index(
        tmp_path: Path) -> None:
    class Following(FakeAgent):
        def __init__(self) -> None:
            super().__init__()
            self.status: dict[str, object] = {
                "shared": True, "generation": 12, "cached_generation": 12, "behind": False,
                "lag_s": 0.0, "sources": {"kb": {"generation": 9, "cached_generation": 9},
                                          "ticket": {"generation": 3, "cached_generation": 3}}}

        def index_status(self) -> dict[str, object]:
            return self.status

    agent = Following()
    with client_for(sqlite_url(tmp_path), agent=agent, ready_max_lag_s=5) as client:
        current = client.get("/readyz")
        assert current.status_code == 200 and current.json()["checks"]["index"] == "ok"
        assert current.json()["index"]["sources"]["kb"] == {"generation": 9,
                                                            "cached_generation": 9}
        agent.status = {**agent.status, "cached_generation": 11, "behind": True, "lag_s": 1.5}
        assert client.get("/readyz").status_code == 200  # behind, within the limit
        agent.status = {**agent.status, "lag_s": 7.25}
        late = client.get("/readyz")
    assert late.status_code == 503
    assert late.json()["index"]["behind"] is True
    assert late.json()["checks"]["index"] == "7.2 s behind the shared index (limit 5 s)"


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
