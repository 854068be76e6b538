"""The CSM side: the signals feed and its filters, acknowledgement and the CSV export. Runs on
SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from storage.models import SignalRow
from tests.integration.test_api_harness import ask, auth, services_of


def signals(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/signals", params=filters, headers=auth("csm"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def backdate(client: TestClient, signal_id: str, days: int) -> None:
    with services_of(client).db.session() as session:
        session.execute(
            update(SignalRow)
            .where(SignalRow.id == signal_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
        session.commit()


def test_the_feed_quotes_the_customer_and_says_why(client: TestClient) -> None:
    ask(client, "We need 25 more seats for the sales team", customer={"account_id": "acme"})
    [signal] = signals(client)
    assert signal["kind"] == "expansion"
    assert signal["account_id"] == "acme"
    assert signal["evidence"] == "We need 25 more seats for the sales team"
    assert (signal["why"], signal["next_step"]) == (
        "they need more seats",
        "offer the Business plan",
    )
    # Every language's texts travel with the signal, for a console in that language.
    assert signal["localized"]["ja"] == {"why": "席を増やしたい",
                                         "next_step": "Businessプランを提案する"}
    assert signal["localized"]["en"]["why"] == "they need more seats"


def test_the_feed_filters_by_account_kind_and_date(client: TestClient) -> None:
    ask(client, "More seats please", customer={"account_id": "acme"})
    ask(client, "We will cancel next month", customer={"account_id": "globex"})
    ask(client, "seats seats seats", customer={"account_id": "globex"})
    old = next(s for s in signals(client) if s["evidence"] == "More seats please")
    backdate(client, old["id"], days=10)
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    assert [s["account_id"] for s in signals(client, account_id="acme")] == ["acme"]
    assert [s["kind"] for s in signals(client, kind="churn_risk")] == ["churn_risk"]
    assert {s["evidence"] for s in signals(client, since=week_ago)} == {
        "We will cancel next month",
        "seats seats seats",
    }
    assert [s["evidence"] for s in signals(client, until=week_ago)] == ["More seats please"]
    naive = (datetime.now(UTC) - timedelta(days=7)).replace(tzinfo=None).isoformat()
    assert len(signals(client, since=naive)) == 2  # a time without zone is taken as UTC


def test_an_invalid_date_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/v1/signals", params={"since": "last tuesday"}, headers=auth("csm"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.since"


def test_acknowledging_keeps_the_first_acknowledgement(client: TestClient) -> None:
    ask(client, "More seats please", customer={"account_id": "acme"})
    [signal] = signals(client)
    first = client.post(f"/v1/signals/{signal['id']}/ack", headers=auth("csm")).json()
    again = client.post(f"/v1/signals/{signal['id']}/ack", headers=auth("admin")).json()
    assert first["acked_at"] is not None
    assert again["acked_at"] == first["acked_at"]
    assert again["acked_by"] == "csm (KOTAE_API_KEYS)"
    assert signals(client, acked="false") == []
    assert client.post("/v1/signals/sig_nope/ack", headers=auth("csm")).status_code == 404


def test_the_csv_export_has_every_signal_and_defuses_formulas(client: TestClient) -> None:
    ask(client, '=HYPERLINK("http://x") we need seats', customer={"account_id": "acme"})
    ask(client, "We need 40 seats, 日本チーム", customer={"account_id": "globex"})
    response = client.get("/v1/signals.csv", headers=auth("csm"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["account_id"] for r in rows] == ["acme", "globex"]
    assert rows[0]["evidence"].startswith("'=HYPERLINK")
    assert rows[1]["evidence"] == "We need 40 seats, 日本チーム"
    filtered = client.get("/v1/signals.csv", params={"account_id": "globex"}, headers=auth("csm"))
    assert len(list(csv.DictReader(io.StringIO(filtered.text)))) == 1
