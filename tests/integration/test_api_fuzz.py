"""Fuzz every operation of the OpenAPI spec against a live server on 127.0.0.1: valid and
invalid requests alike must never get a 5xx, and every error must be a JSON error body.

Bounded for CI: KOTAE_FUZZ_EXAMPLES examples per operation and mode (default 10; a run
with 100 takes about a minute and a half).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from api import create_app
from tests.integration.test_api_harness import (
    FakeAgent,
    api_settings,
    ask,
    auth,
    client_for,
    live_server,
    sqlite_url,
)

EXAMPLES = int(os.environ.get("KOTAE_FUZZ_EXAMPLES", "10"))
pytestmark = pytest.mark.slow


def check(base: str, role: str, case: Any, failures: list[str]) -> None:
    response = case.call(base_url=base, headers=auth(role), timeout=30)
    label = f"{case.operation.label} -> {response.status_code}"
    if response.status_code >= 500:
        failures.append(f"{label}: {response.text[:300]} for {case.as_curl_command()}")
    elif response.status_code >= 400:
        body = response.json()
        if not (isinstance(body, dict) and body.get("error_code") and body.get("detail")):
            failures.append(f"{label}: error without error_code and detail: {body}")


def fuzz(base: str, role: str, failures: list[str]) -> int:
    """Run every operation with valid and invalid data; return how many calls were made."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    calls = [0]
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the OpenAPI document is invalid: {result.err()}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                calls[0] += 1
                check(base, role, case, failures)

            # Unsatisfiable: nothing to make invalid (no parameters); positive mode covers it.
            with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                run()
    return calls[0]


def test_fuzzing_every_operation_finds_no_server_errors(tmp_path: Path) -> None:
    app = create_app(api_settings=api_settings(sqlite_url(tmp_path)), agent=FakeAgent())
    failures: list[str] = []
    with live_server(app) as base:
        calls = fuzz(base, "admin", failures)
    assert calls >= 18 * EXAMPLES  # every operation was exercised, most both ways
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.parametrize(
    ("content", "content_type", "status", "words"),
    [
        (b"{" * 10 + b"}", "application/json", 422, "not valid JSON"),
        (b'{"text": "\xc3\x28"}', "application/json", 400, "not valid UTF-8"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", 413, "larger than"),
        (b"[" * 20_000 + b"]" * 20_000, "application/json", 400, "nested too deeply"),
        (
            b'{"text": "hi", "customer": {"id": {"a": {"b": {"c": 1}}}}}',
            "application/json",
            422,
            "body.customer.id",
        ),
        (b"<xml/>", "application/xml", 422, "Content-Type: application/json"),
        (b"", "application/json", 422, "a JSON body is required"),
    ],
)
def test_bad_bodies_get_a_4xx_that_says_what_is_wrong(
    tmp_path: Path, content: bytes, content_type: str, status: int, words: str
) -> None:
    with client_for(sqlite_url(tmp_path)) as client:
        ask(client, "warm up")
        response = client.post(
            "/v1/inquiries",
            content=content,
            headers=auth("widget", **{"Content-Type": content_type}),
        )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
