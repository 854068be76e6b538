"""The API picks up a rewritten policy file without a restart: the real agent over the demo
store, the demo policy copied, rewritten the way `eval calibrate --write` does it."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.answerability import AnswerabilityModel
from agent.factory import build_agent
from agent.pipeline import Agent
from eval.calibrate import Calibration, write_policy
from eval.riskcoverage import Point
from settings import load_settings
from tests.integration.test_api_harness import ROOT, ask, client_for, sqlite_url

pytestmark = pytest.mark.integration

QUESTIONS = {"en": "How do I set up SAML single sign-on with Okta?",
             "ja": "メンバーを招待する方法は？"}
FALLBACK = Calibration("grounding score", 0.5, Point(0.5, 1, 0, 0.5, 0.0), [], 2, 2, None, 0.1)


def _model(threshold: float) -> Calibration:
    """A model that finds every answer unlikely to be right (probability 1 - confidence)."""
    model = AnswerabilityModel(features=["confidence"], mean=[0.0], scale=[1.0],
                               weights=[-12.0], intercept=6.0, threshold=threshold,
                               evidence={"fitted": "2026-12-06", "note": "test"})
    return replace(FALLBACK, method="answerability model", threshold=threshold, model=model)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    shutil.copy(ROOT / "data" / "demo" / "policy.yaml", path)
    write_policy(path, FALLBACK)  # the fixed grounding rule at 0.50, whatever the demo holds
    return path


@pytest.fixture
def agent(demo_store_dir: Path, local_embedder: Any, policy_file: Path) -> Iterator[Agent]:
    settings = load_settings(store_dir=demo_store_dir, mode="offline", policy_path=policy_file)
    built = build_agent(settings, embedder=local_embedder)
    yield built
    built.close()


@pytest.fixture
def client(tmp_path: Path, agent: Agent) -> Iterator[TestClient]:
    with client_for(sqlite_url(tmp_path), agent=agent, maintenance_s=0.1) as client:
        yield client


def _policy(client: TestClient) -> dict[str, Any]:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["policy"]
    return found


def _wait(client: TestClient, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = _policy(client)
        if done(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"the maintenance pass did not pick the policy up: {_policy(client)}")


def _decisions(client: TestClient) -> dict[str, dict[str, Any]]:
    return {language: ask(client, text)["decision"] for language, text in QUESTIONS.items()}


def test_a_rewritten_policy_decides_the_next_inquiries_without_a_restart(
        client: TestClient, policy_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = _policy(client)
    assert first["version"] == "tsunagu-2026-12-08"
    assert first["answer_decision"] == "grounding score >= 0.5000"
    for language, decision in _decisions(client).items():
        assert decision["action"] == "answer", (language, decision)
        assert decision["language"] == language

    # Calibration writes a model under which these answers are unlikely to be right.
    with caplog.at_level(logging.WARNING, logger="kotae.policy"):
        assert write_policy(policy_file, _model(0.9))
        second = _wait(client, lambda s: s["sha256"] != first["sha256"])
        # The swap is visible in /readyz a moment before the pass writes its log line.
        _wait(client, lambda s: "policy reloaded" in caplog.text)
    assert second["answer_decision"] == "answerability model, probability >= 0.9000"
    for language, decision in _decisions(client).items():
        assert decision["action"] == "escalate", (language, decision)
        assert decision["escalation"]["reason"] == "low_confidence"
        assert decision["confidence"] < 0.9  # the widget is told the reason, not the detail

    # A broken file is refused: the model stays in force and the service keeps answering.
    good = policy_file.read_text(encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kotae.policy"):
        policy_file.write_text(good.replace("threshold: 0.9", "threshold: 9.0"),
                               encoding="utf-8")
        refused = _wait(client, lambda s: s.get("rejected_at") is not None)
    assert refused["sha256"] == second["sha256"]
    assert "cannot be used" in caplog.text and "stays in force" in caplog.text
    assert all(d["action"] == "escalate" for d in _decisions(client).values())
    assert client.get("/readyz").json()["status"] == "ready"

    # Back to the grounding rule (calibration with too little data writes that): answered.
    policy_file.write_text(good, encoding="utf-8")
    assert write_policy(policy_file, FALLBACK)
    third = _wait(client, lambda s: s["answer_decision"].startswith("grounding score"))
    assert third["sha256"] == first["sha256"] and "rejected_at" not in third
    for language, decision in _decisions(client).items():
        assert decision["action"] == "answer", (language, decision)
