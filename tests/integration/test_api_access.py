"""Who may do what: the authorization matrix route by route, conversation tokens, key
storage, CORS-free defaults and rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.models import ApiKeyRow
from storage.repo import keys
from storage.repo.base import sha256_hex
from tests.integration.test_api_harness import (
    KEYS,
    ROLES,
    ask,
    auth,
    client_for,
    services_of,
    sqlite_url,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One app with a conversation, an escalation and a signal to aim requests at."""
    with client_for(sqlite_url(tmp_path_factory.mktemp("access"))) as client:
        inquiry = ask(client, "We need more seats", customer={"account_id": "acme"})
        escalated = ask(client, "A human please")
        signal = client.get("/v1/signals", headers=auth("admin")).json()["items"][0]
        ids = {
            "conv": inquiry["conversation_id"],
            "token": inquiry["conversation_token"],
            "inq": inquiry["inquiry_id"],
            "esc": escalated["escalation_id"],
            "sig": signal["id"],
        }
        yield client, ids


# (method, path, json body, roles allowed besides admin); {conv} etc. are filled in.
ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("POST", "/v1/inquiries", {"text": "hello"}, {"widget"}),
    ("GET", "/v1/conversations/{conv}", None, {"widget", "agent"}),
    ("POST", "/v1/inquiries/{inq}/feedback", {"helpful": True}, {"widget"}),
    ("POST", "/v1/conversations/{conv}/human", {}, {"widget"}),
    ("GET", "/v1/escalations", None, {"agent"}),
    ("GET", "/v1/escalations/{esc}", None, {"agent"}),
    ("POST", "/v1/escalations/{esc}/claim", {}, {"agent"}),
    ("POST", "/v1/escalations/{esc}/resolve", {"answer": "Done."}, {"agent"}),
    ("POST", "/v1/escalations/{esc}/reopen", None, {"agent"}),
    ("GET", "/v1/signals", None, {"csm"}),
    ("POST", "/v1/signals/{sig}/ack", None, {"csm"}),
    ("GET", "/v1/signals.csv", None, {"csm"}),
    ("PUT", "/v1/kb/documents/doc-1", {"title": "T", "text": "Body."}, set()),
    ("DELETE", "/v1/kb/documents/doc-1", None, set()),
    ("GET", "/v1/analytics/summary", None, {"csm"}),
    ("GET", "/v1/search?q=seats", None, {"agent"}),
]
MATRIX = [
    pytest.param(
        method, path, body, role, role == "admin" or role in allowed, id=f"{role}-{method}-{path}"
    )
    for method, path, body, allowed in ROUTES
    for role in ROLES
]


def call(
    client: TestClient,
    ids: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> Any:
    # The widget holds this conversation's token, as a real widget would.
    headers = {**headers, "X-Conversation-Token": ids["token"]}
    return client.request(method, path.format(**ids), json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "role", "allowed"), MATRIX)
def test_each_role_may_do_exactly_what_it_should(
    world: tuple[TestClient, dict[str, str]],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    role: str,
    allowed: bool,
) -> None:
    client, ids = world
    response = call(client, ids, method, path, body, auth(role))
    if allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error_code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), [(m, p, b) for m, p, b, _ in ROUTES])
def test_every_v1_route_needs_a_known_key(
    world: tuple[TestClient, dict[str, str]], method: str, path: str, body: dict[str, Any] | None
) -> None:
    client, ids = world
    for headers in (
        {},
        {"Authorization": "Bearer sk_not_a_real_key_0123456789"},
        {"Authorization": f"Basic {KEYS['admin']}"},
    ):
        response = call(client, ids, method, path, body, headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_operations_routes_need_no_key(world: tuple[TestClient, dict[str, str]], path: str) -> None:
    client, _ = world
    assert client.get(path).status_code == 200


def test_a_widget_cannot_read_another_conversation(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, ids = world
    other = ask(client, "A different customer asking")
    for conversation, token in (
        (other["conversation_id"], ids["token"]),
        (ids["conv"], other["conversation_token"]),
        (ids["conv"], None),
    ):
        headers = auth("widget", **({"X-Conversation-Token": token} if token else {}))
        assert client.get(f"/v1/conversations/{conversation}", headers=headers).status_code == 403
        assert (
            client.post(f"/v1/conversations/{conversation}/human", headers=headers).status_code
            == 403
        )
    assert (
        client.post(
            f"/v1/inquiries/{other['inquiry_id']}/feedback",
            json={"helpful": True},
            headers=auth("widget", **{"X-Conversation-Token": ids["token"]}),
        ).status_code
        == 403
    )


def test_an_agent_reads_any_conversation_without_a_token(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, ids = world
    response = client.get(f"/v1/conversations/{ids['conv']}", headers=auth("agent"))
    assert response.status_code == 200


def test_keys_are_stored_only_as_sha256(world: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = world
    with services_of(client).db.session() as session:
        rows = session.scalars(select(ApiKeyRow)).all()
    assert {r.key_hash for r in rows} >= {sha256_hex(k) for k in KEYS.values()}
    stored = " ".join(f"{r.id} {r.key_hash} {r.label}" for r in rows)
    assert not any(key in stored for key in KEYS.values())


def test_a_key_created_in_the_database_works_at_once(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = world
    with services_of(client).db.session() as session:
        key, row = keys.create_api_key(session, "csm", "Dana (CSM)")
    response = client.post(
        f"/v1/signals/{world[1]['sig']}/ack", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200
    with services_of(client).db.session() as session:
        assert keys.revoke_api_key(session, row.id)


def test_a_key_removed_from_the_environment_is_revoked_on_restart(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with client_for(url) as client:
        assert client.get("/v1/escalations", headers=auth("agent")).status_code == 200
    fewer = ",".join(f"{role}:{key}" for role, key in KEYS.items() if role != "agent")
    with client_for(url, api_keys=fewer) as client:
        response = client.get("/v1/escalations", headers=auth("agent"))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_too_many_requests_with_one_key_get_429_with_retry_after(tmp_path: Path) -> None:
    with client_for(
        sqlite_url(tmp_path), rate_limit_key_per_s=0.01, rate_limit_key_burst=3,
        rate_limit_read_cost=1.0,
    ) as client:
        statuses = [
            client.get("/v1/escalations", headers=auth("agent")).status_code for _ in range(4)
        ]
        limited = client.get("/v1/escalations", headers=auth("agent"))
        other_key = client.get("/v1/signals", headers=auth("csm"))
        metrics = client.get("/metrics").text
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.json()["error_code"] == "rate_limited"
    assert 90 <= int(limited.headers["Retry-After"]) <= 100  # one token per 100 s
    assert other_key.status_code == 200
    assert 'kotae_rate_limited_total{scope="key"} 2.0' in metrics


def test_too_many_requests_from_one_address_get_429_even_without_a_key(tmp_path: Path) -> None:
    with client_for(
        sqlite_url(tmp_path), rate_limit_ip_per_s=0.01, rate_limit_ip_burst=2,
        rate_limit_read_cost=1.0,
    ) as client:
        statuses = [client.get("/v1/escalations").status_code for _ in range(3)]
        health = client.get("/healthz")
    assert statuses == [401, 401, 429]
    assert health.status_code == 200  # operations routes are never limited


def test_token_buckets_refill_at_their_rate() -> None:
    from service.access import TokenBuckets

    buckets = TokenBuckets(rate_per_s=2.0, burst=2)
    assert [buckets.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert buckets.take("k", now=0.5) == 0.0
    assert buckets.take("other", now=0.5) == 0.0
    assert TokenBuckets(rate_per_s=0, burst=1).take("k") == 0.0  # 0 turns limits off
