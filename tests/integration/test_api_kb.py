"""Knowledge-base changes by admins: upserted (searchable at once) and deleted, and an index
outage reported as 503. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_harness import FakeAgent, auth, client_for


def test_documents_are_upserted_searchable_and_deleted(
    client: TestClient, agent: FakeAgent
) -> None:
    doc = {
        "title": "Exporting invoices",
        "text": "Billing > Invoices > Export.",
        "url": "https://docs.example/invoices",
        "language": "en",
        "metadata": {"section": "billing", "version": 2},
    }
    path = "/v1/kb/documents/billing/export-invoices.md"
    assert client.put(path, json=doc, headers=auth("admin")).json() == {
        "id": "billing/export-invoices.md",
        "outcome": "added",
    }
    assert client.put(path, json=doc, headers=auth("admin")).json()["outcome"] == "unchanged"
    changed = {**doc, "text": "Billing > Invoices > Download CSV."}
    assert client.put(path, json=changed, headers=auth("admin")).json()["outcome"] == "updated"
    stored = agent.documents["billing/export-invoices.md"]
    assert (stored.title, stored.metadata) == (
        "Exporting invoices",
        {"section": "billing", "version": 2},
    )
    hits = client.get("/v1/search", params={"q": "export invoices"}, headers=auth("agent")).json()[
        "hits"
    ]
    assert hits[0]["doc_id"] == "billing/export-invoices.md"
    assert client.delete(path, headers=auth("admin")).status_code == 204
    assert client.delete(path, headers=auth("admin")).status_code == 404


def test_an_index_outage_during_an_upsert_is_503(db_url: str) -> None:
    class Broken(FakeAgent):
        def upsert_document(self, doc: Any) -> str:
            raise ConnectionError("chroma refused the connection")

    with client_for(db_url, agent=Broken()) as client:
        response = client.put(
            "/v1/kb/documents/a", json={"title": "A", "text": "a"}, headers=auth("admin")
        )
    assert response.status_code == 503
    assert "ConnectionError" in response.json()["detail"]
