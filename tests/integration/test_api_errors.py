"""Every error in one shape: unknown routes, domain errors, invalid fields, bodies that are not
JSON, not UTF-8 or nested too deeply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_harness import auth, client_for, sqlite_url


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path)) as client:
        yield client


JSON = {"Content-Type": "application/json"}


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
