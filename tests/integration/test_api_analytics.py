"""Analytics for admins and CSMs: deflection, reasons, tags, latency and cost over a period. Runs
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_harness import ask, auth


def test_analytics_summarise_deflection_reasons_tags_latency_and_cost(client: TestClient) -> None:
    ask(client, "How do I invite my team?")
    ask(client, "We need more seats", customer={"account_id": "acme"})
    ask(client, "I want a human")
    ask(client, "I will cancel")
    summary = client.get("/v1/analytics/summary", headers=auth("csm")).json()
    assert (summary["inquiries"], summary["answered"], summary["escalated"]) == (4, 2, 2)
    assert summary["deflection_rate"] == 0.5
    assert summary["escalation_reasons"] == {"human_requested": 1, "sensitive_topic": 1}
    assert summary["tags"] == {"usage_question": 3, "success_opportunity": 1}
    assert summary["latency_median_ms"] == 12.5 and summary["latency_p95_ms"] == 12.5
    assert (summary["prompt_tokens"], summary["completion_tokens"]) == (400, 80)
    assert summary["cost_usd"] == pytest.approx(0.004)
    assert summary["signals"] == {"expansion": 1, "churn_risk": 1}
    assert summary["helpful_rate"] is None


def test_analytics_cover_only_the_period_asked_for(client: TestClient) -> None:
    ask(client, "How do I invite my team?")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    later = client.get(
        "/v1/analytics/summary", params={"since": tomorrow}, headers=auth("admin")
    ).json()
    now = client.get(
        "/v1/analytics/summary",
        params={"since": yesterday, "until": tomorrow},
        headers=auth("admin"),
    ).json()
    assert (later["inquiries"], later["deflection_rate"]) == (0, None)
    assert now["inquiries"] == 1
