"""The API tests' harness: a rule-following fake agent, app and client builders, a webhook
receiver and a live uvicorn server on 127.0.0.1. The tests below pin the fake's rules.

Uvicorn subprocesses reach the fake with
KOTAE_AGENT_FACTORY=tests.integration.test_api_harness:agent_from_env.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.types import (
    Citation,
    Decision,
    Escalation,
    Inquiry,
    ReasonCode,
    Signal,
    SignalKind,
    SignalText,
    Usage,
)
from api import ApiSettings, create_app
from insights.gaps import Article
from retrieval.embeddings import HashingEmbedder
from retrieval.textproc import detect_language
from retrieval.types import Document, Ticket
from tests.support.net import free_port as free_port  # re-exported to the API test modules
from tests.support.net import wait_until as wait_until
from tests.support.postgres import database_url
from tests.support.recording import RecordingServer, Reply, Request, recording_server

KEYS = {
    "widget": "pk_test_widget_0123456789abcdef",
    "agent": "sk_test_agent_0123456789abcdef",
    "csm": "sk_test_csm_0123456789abcdef",
    "admin": "sk_test_admin_0123456789abcdef",
}
ROLES = tuple(KEYS)
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
_WORD = re.compile(r"[a-z0-9]{3,}")
ROOT = Path(__file__).resolve().parents[2]


def auth(role: str, **extra: str) -> dict[str, str]:
    """Return headers carrying the test key of a role."""
    return {"Authorization": f"Bearer {KEYS[role]}", **extra}


# ---------------------------------------------------------------- the fake agent


@dataclass(frozen=True)
class FakeHit:
    """A search hit with the fields the API returns."""

    id: str
    doc_id: str
    source: str
    title: str
    url: str | None
    language: str
    text: str
    heading: str
    score: float
    vector_score: float | None = None
    lexical_score: float | None = None


class FakeRetriever:
    """Word-overlap search over the fake agent's documents and learned tickets."""

    def __init__(self, agent: FakeAgent) -> None:
        self.agent = agent

    def search(
        self, query: str, *, source: str = "kb", k: int = 5, language: str | list[str] | None = None
    ) -> list[FakeHit]:
        words = set(_WORD.findall(query.lower()))
        items: list[tuple[str, str, str]] = (
            [(d.id, d.title, d.text) for d in self.agent.documents.values()]
            if source == "kb"
            else [
                (t.id, t.subject or t.body[:40], t.resolution or "")
                for t in self.agent.learned.values()
            ]
        )
        hits = []
        for item_id, title, text in items:
            overlap = len(words & set(_WORD.findall(f"{title} {text}".lower())))
            if overlap:
                hits.append(
                    FakeHit(
                        id=f"{item_id}#0",
                        doc_id=item_id,
                        source=source,
                        title=title,
                        url=None,
                        language="en",
                        text=text,
                        heading="",
                        score=float(overlap),
                        lexical_score=overlap,
                    )
                )
        return sorted(hits, key=lambda h: -h.score)[:k]


class FakeAgent:
    """Decides by simple rules, and records what it was asked.

    - "human" in the text: escalate (human_requested) with a draft;
    - words shared with a learned ticket's body: answer with its resolution, citing it;
    - "seats": answer, plus an expansion signal for the customer's account;
    - "cancel": escalate (sensitive_topic), plus a churn-risk signal;
    - anything else: answer citing the knowledge-base article `kb-start`.
    `fail` makes handle raise it; `delay_s` makes handle sleep first (only for texts
    containing `slow_word`, when one is given).
    """

    def __init__(
        self,
        *,
        delay_s: float = 0.0,
        fail: BaseException | None = None,
        slow_word: str | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.slow_word = slow_word
        self.fail = fail
        self.fail_learning: BaseException | None = None
        self.calls: list[Inquiry] = []
        self.finished = 0  # calls to handle that returned or raised
        self.learned: dict[str, Ticket] = {}
        self.documents: dict[str, Document] = {}
        self.refreshes = 0  # calls to refresh_tagger (the maintenance loop's catch-up)
        self.retriever = FakeRetriever(self)
        self.embedder: Any = HashingEmbedder()  # what insights group stored inquiries with
        self._lock = threading.Lock()

    def handle(
        self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
    ) -> Decision:
        """Decide by the rules above."""
        with self._lock:
            self.calls.append(inquiry)
        try:
            if self.delay_s and (self.slow_word is None or self.slow_word in inquiry.text):
                time.sleep(self.delay_s)
            if self.fail is not None:
                raise self.fail
            decision = self._decide(inquiry)
        finally:
            with self._lock:
                self.finished += 1
        if on_token is not None and decision.answer:
            for word in decision.answer.split(" "):
                on_token(word + " ")
        return decision

    def refresh_tagger(self) -> bool:
        """Count the maintenance loop's catch-up calls."""
        with self._lock:
            self.refreshes += 1
        return False

    def _decide(self, inquiry: Inquiry) -> Decision:
        text = inquiry.text.lower()
        language = inquiry.language or ("ja" if re.search(r"[\u3040-\u30ff]", text) else "en")
        account = inquiry.customer.account_id if inquiry.customer else None
        usage = Usage(prompt_tokens=100, completion_tokens=20, cost_usd=0.001, model="fake")
        kb = Citation(
            id="kb-start",
            title="Getting started",
            url="https://docs.example/start",
            source="kb",
            score=0.9,
        )
        base: dict[str, Any] = {
            "language": language,
            "usage": usage,
            "latency_ms": 12.5,
            "retrieved": [kb],
            "prompt_version": "fake-1",
        }
        if "human" in text:
            return Decision(
                action="escalate",
                tag="usage_question",
                tag_confidence=0.8,
                confidence=0.3,
                escalation=Escalation(
                    reason=ReasonCode.HUMAN_REQUESTED,
                    detail="the customer asked for a person",
                    draft="Draft: here is how to get started.",
                ),
                **base,
            )
        words = set(_WORD.findall(text))
        for ticket in self.learned.values():
            if len(words & set(_WORD.findall(ticket.body.lower()))) >= 2:
                cite = Citation(id=ticket.id, title=ticket.body[:40], source="ticket", score=0.95)
                return Decision(
                    action="answer",
                    answer=ticket.resolution,
                    citations=[cite],
                    tag=ticket.tag or "usage_question",
                    tag_confidence=0.9,
                    confidence=0.9,
                    **{**base, "retrieved": [cite, kb]},
                )
        if "cancel" in text:
            churn = Signal(
                kind=SignalKind.CHURN_RISK,
                account_id=account,
                evidence=inquiry.text,
                why="they mention cancelling",
                next_step="call them this week",
                confidence=0.7,
            )
            return Decision(
                action="escalate",
                tag="usage_question",
                tag_confidence=0.7,
                confidence=0.4,
                signals=[churn],
                escalation=Escalation(
                    reason=ReasonCode.SENSITIVE_TOPIC,
                    detail="cancellation",
                    draft="Draft: sorry to hear that.",
                ),
                **base,
            )
        answer = "Open Settings, then Members, then Invite. [kb-start]"
        if "seats" in text:
            more = Signal(
                kind=SignalKind.EXPANSION,
                account_id=account,
                evidence=inquiry.text,
                why="they need more seats",
                next_step="offer the Business plan",
                confidence=0.8,
                localized={
                    "en": SignalText(why="they need more seats",
                                     next_step="offer the Business plan"),
                    "ja": SignalText(why="席を増やしたい", next_step="Businessプランを提案する"),
                },
            )
            return Decision(
                action="answer",
                answer=answer,
                citations=[kb],
                tag="success_opportunity",
                tag_confidence=0.85,
                confidence=0.8,
                signals=[more],
                **base,
            )
        return Decision(
            action="answer",
            answer=answer,
            citations=[kb],
            tag="usage_question",
            tag_confidence=0.9,
            confidence=0.85,
            **base,
        )

    def learn(self, ticket: Ticket) -> None:
        """Index a resolved escalation (here: remember it)."""
        if self.fail_learning is not None:
            raise self.fail_learning
        with self._lock:
            self.learned[ticket.id] = ticket

    def upsert_document(self, doc: Document) -> str:
        """Add or replace a document."""
        with self._lock:
            previous = self.documents.get(doc.id)
            self.documents[doc.id] = doc
        if previous is None:
            return "added"
        return "unchanged" if previous == doc else "updated"

    def delete_document(self, doc_id: str) -> bool:
        """Delete a document; return whether it existed."""
        with self._lock:
            return self.documents.pop(doc_id, None) is not None

    def kb_articles(self) -> tuple[list[Article], np.ndarray]:
        """Return the documents as articles, each with its title and text embedded."""
        with self._lock:
            docs = list(self.documents.values())
        if not docs:
            return [], np.zeros((0, 0), dtype=np.float32)
        vectors = self.embedder.embed_documents([f"{d.title}\n{d.text}" for d in docs])
        return ([Article(d.id, d.title, d.text, d.language or detect_language(d.text)) for d in docs],
                np.asarray(vectors, dtype=np.float32))


def agent_from_env() -> FakeAgent:
    """Build a FakeAgent for a uvicorn subprocess: KOTAE_FAKE_DELAY_S slows it down, for
    texts containing KOTAE_FAKE_SLOW_WORD only when that is set."""
    return FakeAgent(
        delay_s=float(os.environ.get("KOTAE_FAKE_DELAY_S", "0")),
        slow_word=os.environ.get("KOTAE_FAKE_SLOW_WORD") or None,
    )


# ---------------------------------------------------------------- apps and servers


def api_settings(database_url: str | None, **overrides: Any) -> ApiSettings:
    """Return settings for a test app: test keys, no rate limits, fast background loops
    (database_url None: the default, a file in the store folder)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_keys": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "rate_limit_key_per_s": 0.0,
        "rate_limit_ip_per_s": 0.0,
        "rate_limit_conversation_per_s": 0.0,
        "maintenance_s": 0.2,
        "webhook_poll_s": 0.05,
        "webhook_backoff_s": 0.05,
        "agent_timeout_s": 10.0,
        "shutdown_grace_s": 2.0,
        "gc_freeze": False,  # the test process runs many apps; none should freeze its heap
    }
    values.update(overrides)
    return ApiSettings(_env_file=None, **values)


def sqlite_url(tmp_path: Path) -> str:
    """Return the URL of an empty SQLite database (schema included) in tmp_path."""
    return database_url("sqlite", tmp_path)


@contextlib.contextmanager
def client_for(
    database_url: str, agent: Any | None = None, **overrides: Any
) -> Iterator[TestClient]:
    """Run an app (lifespan included) on database_url and yield a client for it."""
    app = create_app(
        api_settings=api_settings(database_url, **overrides),
        agent=agent if agent is not None else FakeAgent(),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def services_of(client: TestClient) -> Any:
    """Return the running app's Services."""
    app: Any = client.app
    return app.state.services


def ask(client: TestClient, text: str, role: str = "widget", **body: Any) -> dict[str, Any]:
    """POST an inquiry and return the JSON response, asserting it was created."""
    headers = auth(role)
    token = body.pop("token", None)
    if token:
        headers["X-Conversation-Token"] = token
    response = client.post("/v1/inquiries", json={"text": text, **body}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def conversation(client: TestClient, result: dict[str, Any]) -> dict[str, Any]:
    """Read the conversation of an ask() result as its widget does."""
    response = client.get(
        f"/v1/conversations/{result['conversation_id']}",
        headers=auth("widget", **{"X-Conversation-Token": result["conversation_token"]}),
    )
    assert response.status_code == 200, response.text
    value: dict[str, Any] = response.json()
    return value


@contextlib.contextmanager
def uvicorn_process(
    target: list[str], env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `python -m uvicorn <target>` from the checkout on a free loopback port until
    /readyz answers 200; yield (base URL, process), and stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(
                f"uvicorn exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout_s=60, every_s=0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve app with uvicorn in a thread on 127.0.0.1; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


Delivery = Request  # one POST the receiver got (headers, body, json)


class Receiver(RecordingServer):
    """A webhook receiver on 127.0.0.1 that records POSTs and can be told to fail (500)."""

    @property
    def deliveries(self) -> list[Delivery]:
        """Return the deliveries received so far."""
        return self.recorded()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Return the received events' bodies (of one type, if given)."""
        bodies = [d.json for d in self.recorded()]
        return [b for b in bodies if name is None or b["type"] == name]


def webhook_receiver(port: int | None = None) -> contextlib.AbstractContextManager[Receiver]:
    """Run a Receiver on /hooks (on `port`, else a free one) until the block ends."""
    return recording_server(Receiver, ok=Reply(204), failed=Reply(500), path="/hooks",
                            port=port)


# ---------------------------------------------------------------- the fake's own rules


def _inquiry(text: str, **fields: Any) -> Inquiry:
    return Inquiry(text=text, **fields)


def test_the_fake_escalates_requests_for_a_human() -> None:
    decision = FakeAgent().handle(_inquiry("Can I talk to a human?"))
    assert decision.action == "escalate"
    assert decision.escalation is not None
    assert decision.escalation.reason == ReasonCode.HUMAN_REQUESTED


def test_the_fake_raises_an_expansion_signal_for_seats() -> None:
    decision = FakeAgent().handle(
        _inquiry("We need 20 more seats", customer={"account_id": "acme"})
    )
    assert decision.action == "answer"
    assert [(s.kind, s.account_id) for s in decision.signals] == [(SignalKind.EXPANSION, "acme")]


def test_the_fake_answers_from_what_it_learned() -> None:
    agent = FakeAgent()
    agent.learn(Ticket(id="esc_1", body="export invoices to csv", resolution="Use Billing."))
    decision = agent.handle(_inquiry("how do I export my invoices?"))
    assert decision.answer == "Use Billing."
    assert decision.citations[0].id == "esc_1"


def test_the_fake_streams_its_answer_word_by_word() -> None:
    tokens: list[str] = []
    decision = FakeAgent().handle(_inquiry("how do I invite people?"), on_token=tokens.append)
    assert "".join(tokens).strip() == decision.answer
