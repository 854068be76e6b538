"""The guards before every route: body limits (by Content-Length and while streaming), NUL-free
URLs, and CORS for listed origins only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_harness import auth, client_for, sqlite_url


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path)) as client:
        yield client


JSON = {"Content-Type": "application/json"}


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
