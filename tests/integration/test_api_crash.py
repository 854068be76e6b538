"""Kill the server with SIGKILL mid-inquiry, restart it: no inquiry, escalation or webhook
delivery is lost. The server is a real uvicorn subprocess on 127.0.0.1."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_api_harness import (
    KEYS,
    WEBHOOK_SECRET,
    auth,
    uvicorn_process,
    wait_until,
    webhook_receiver,
)

pytestmark = pytest.mark.slow


@contextmanager
def uvicorn_server(
    database: Path, webhook_url: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start `uvicorn api:create_app --factory` with the fake agent; yield (url, process)."""
    environment = {
        "DATABASE_URL": f"sqlite:///{database}",
        "KOTAE_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "KOTAE_AGENT_FACTORY": "tests.integration.test_api_harness:agent_from_env",
        "KOTAE_INQUIRY_LEASE_S": "1",
        "KOTAE_MAINTENANCE_S": "0.2",
        "KOTAE_WEBHOOK_URL": webhook_url,
        "KOTAE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "KOTAE_WEBHOOK_BACKOFF_S": "0.05",
        # Retries stay frequent however long the first server lives on a loaded machine
        # (uncapped, the wait doubles past the test's patience), and never run out.
        "KOTAE_WEBHOOK_MAX_BACKOFF_S": "0.5",
        "KOTAE_WEBHOOK_MAX_ATTEMPTS": "100000",
        "KOTAE_WEBHOOK_POLL_S": "0.05",
        # The kill may land while a delivery is claimed; the restarted server sends it
        # again when the claim runs out (60 s by default, longer than the test waits).
        "KOTAE_WEBHOOK_CLAIM_S": "1",
        "KOTAE_RATE_LIMIT_IP_PER_S": "0",
        **env,
    }
    with uvicorn_process(["api:create_app", "--factory"], environment) as served:
        yield served


def rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


def test_nothing_is_lost_when_the_server_is_killed_mid_inquiry(tmp_path: Path) -> None:
    database = tmp_path / "kotae.sqlite3"
    slow = {"KOTAE_FAKE_DELAY_S": "60", "KOTAE_FAKE_SLOW_WORD": "slow"}
    idempotency = {"Idempotency-Key": "crash-test-0123456789-abcdef"}
    with webhook_receiver() as receiver:
        receiver.fail_next = 10_000  # every delivery fails while the first server runs
        with uvicorn_server(database, receiver.url, **slow) as (base, process):
            escalated = httpx.post(
                f"{base}/v1/inquiries",
                json={"text": "a human please"},
                headers=auth("widget"),
                timeout=10,
            ).json()
            assert escalated["status"] == "escalated"
            wait_until(lambda: receiver.failures >= 1)

            def ask_slowly() -> None:
                with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                    httpx.post(
                        f"{base}/v1/inquiries",
                        json={"text": "a slow question"},
                        headers=auth("widget", **idempotency),
                        timeout=30,
                    )

            asking = threading.Thread(target=ask_slowly, daemon=True)
            asking.start()
            wait_until(
                lambda: (
                    rows(database, "SELECT status FROM inquiries WHERE text = 'a slow question'")
                    == [("received",)]
                )
            )
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            asking.join(timeout=10)
        assert rows(database, "SELECT status FROM webhook_outbox") == [("pending",)]
        assert receiver.deliveries == []

        receiver.fail_next = 0
        with uvicorn_server(database, receiver.url) as (base, _process):

            def retried() -> dict[str, Any] | None:
                response = httpx.post(
                    f"{base}/v1/inquiries",
                    json={"text": "a slow question"},
                    headers=auth("widget", **idempotency),
                    timeout=10,
                )
                assert response.status_code in (201, 409), response.text
                return response.json() if response.status_code == 201 else None

            # The client's retry with the same key gets the recovered inquiry's answer.
            answered = wait_until(retried, timeout_s=30, every_s=0.2)
            wait_until(lambda: receiver.events("escalation.created"), timeout_s=30)
            token = {"X-Conversation-Token": answered["conversation_token"]}
            conversation = httpx.get(
                f"{base}/v1/conversations/{answered['conversation_id']}",
                headers=auth("widget", **token),
                timeout=10,
            ).json()
    assert answered["status"] == "answered"
    assert [m["role"] for m in conversation["messages"]] == ["customer", "assistant"]
    assert rows(database, "SELECT text, status, attempts FROM inquiries ORDER BY created_at") == [
        ("a human please", "decided", 1),
        ("a slow question", "decided", 2),
    ]
    assert rows(database, "SELECT reason, status FROM escalations") == [("human_requested", "open")]
    [event] = receiver.events("escalation.created")
    assert event["data"]["escalation_id"] == escalated["escalation_id"]
    assert rows(database, "SELECT status FROM webhook_outbox") == [("delivered",)]
