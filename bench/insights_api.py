"""The Accounts and content-performance pages over 100,000 stored inquiries, SQLite and PostgreSQL.

  python bench/insights_api.py [--inquiries 100000] [--accounts 500] [--requests 200]
                               [--backends sqlite,postgresql]

For each backend: generate the inquiries (with their conversations, escalations, signals,
feedback and cited articles, spread over 60 days, English and Japanese) straight into a fresh
database, serve the real app with uvicorn on 127.0.0.1, and time sequential requests to
GET /v1/accounts (by risk and by expansion), /v1/accounts/{id}, /v1/accounts.csv,
/v1/insights/content and /v1/insights/topics (every inquiry put into one of 400 topics as a
re-cluster stores them; the console's request, the last 7 days, and the default's stored copy). Printed per route: p50 and p95 against the target (200 ms p95), and
/healthz from the same client as the HTTP floor. Also printed: what recomputing the stored
health and the content table costs (the maintenance pass does it when older than
KOTAE_INSIGHTS_MAX_AGE_S, 300 s by default, so a page reads the stored copy).
PostgreSQL runs on a throwaway server on 127.0.0.1 (tests/support/postgres.py).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from agent.types import Decision, Inquiry  # noqa: E402
from api import ApiSettings, create_app  # noqa: E402
from insights import accounts, content, topics  # noqa: E402
from retrieval.embeddings import HashingEmbedder  # noqa: E402
from retrieval.types import Document, Ticket  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    AnswerCitationRow,
    ConversationRow,
    EscalationRow,
    FeedbackRow,
    InquiryClusterRow,
    InquiryRow,
    InsightClusterRow,
    SignalRow,
    utcnow,
)
from tests.support.net import free_port  # noqa: E402

KEY = "sk_bench_admin_0123456789"
TARGET_P95_MS = 200.0
N_TOPICS = 400
DIM = 384
REASONS = ["low_confidence", "human_requested", "bug_report", "sensitive_topic",
           "negative_sentiment", "policy"]
EN = ["How do I invite my team to the workspace?", "The export to CSV fails with an error",
      "We want to add 20 more seats next month", "Can I change the billing date?",
      "The calendar sync stopped working since yesterday", "Is there an API rate limit?"]
JA = ["チームメンバーを招待する方法を教えてください。", "CSVエクスポートでエラーが発生します。",
      "来月から20席追加したいです。", "請求日を変更できますか？",
      "昨日からカレンダー連携が動きません。", "APIのレート制限はありますか？"]


class IdleAgent:
    """The pages under test never call the agent; the app needs one to start (and an
    embedding model: the topics page joins waiting inquiries with it; none wait here)."""

    def __init__(self) -> None:
        self.embedder = HashingEmbedder(dim=DIM)

    def handle(self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None
               ) -> Decision:
        raise RuntimeError("the benchmark sends no inquiries")

    def learn(self, ticket: Ticket) -> None:
        pass

    def upsert_document(self, doc: Document) -> str:
        return "unchanged"

    def delete_document(self, doc_id: str) -> bool:
        return False


def generate(db: Database, n: int, n_accounts: int, seed: int = 7) -> dict[str, int]:
    """Write n inquiries and what they caused into db; return row counts."""
    rng = random.Random(seed)
    now = utcnow()
    weights = [1 / (i + 1) ** 0.8 for i in range(n_accounts)]  # a few big accounts, a long tail
    account_ids = [f"acct_{i:05d}" for i in range(n_accounts)]
    docs = [(f"kb-{i:03d}", f"Article {i}: how to do thing {i}") for i in range(300)]
    filler = [{"id": f"kb-{i:03d}", "title": f"Article {i}", "source": "kb", "score": 0.5}
              for i in range(12)]
    counts = dict.fromkeys(("conversations", "inquiries", "escalations", "signals", "feedback",
                            "citations"), 0)
    batch: dict[str, list[dict[str, Any]]] = {k: [] for k in counts}
    tables = {"conversations": ConversationRow, "inquiries": InquiryRow,
              "escalations": EscalationRow, "signals": SignalRow, "feedback": FeedbackRow,
              "citations": AnswerCitationRow}

    def flush() -> None:
        with db.engine.begin() as connection:
            for name in ("conversations", "inquiries", "escalations", "signals", "feedback",
                         "citations"):
                if batch[name]:
                    connection.execute(insert(tables[name].__table__), batch[name])  # type: ignore[arg-type]
                    counts[name] += len(batch[name])
                    batch[name] = []

    made = 0
    while made < n:
        account = rng.choices(account_ids, weights)[0]
        ja = rng.random() < 0.4
        conversation = f"conv_{made:08d}"
        start = now - timedelta(days=60 * rng.random())
        batch["conversations"].append({
            "id": conversation, "token_hash": "0" * 64, "api_key_id": None,
            "account_id": account, "customer": {"account_id": account}, "language": "ja" if ja
            else "en", "created_at": start, "updated_at": start})
        for turn in range(rng.choice((1, 1, 1, 2, 3))):
            if made >= n:
                break
            at = start + timedelta(minutes=5 * turn)
            inquiry = f"inq_{made:08d}"
            answered = rng.random() < 0.65
            tag = rng.choices(["usage_question", "bug", "success_opportunity"], [65, 20, 15])[0]
            reason = None if answered else rng.choice(REASONS)
            cited = rng.sample(docs, rng.choice((1, 1, 2))) if answered else []
            citations = [{"id": d, "title": t, "source": "kb", "score": 0.8} for d, t in cited]
            text = rng.choice(JA if ja else EN) + f" (#{made})"
            batch["inquiries"].append({
                "id": inquiry, "conversation_id": conversation, "api_key_id": None,
                "idempotency_key_hash": None, "request_hash": None, "text": text,
                "customer": {"account_id": account}, "requested_language": None,
                "status": "decided", "attempts": 1, "lease_expires_at": at, "created_at": at,
                "decided_at": at + timedelta(seconds=1), "action": "answer" if answered
                else "escalate", "reason": reason, "tag": tag, "language": "ja" if ja else "en",
                "confidence": rng.random(), "latency_ms": 40 + 60 * rng.random(),
                "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "mode": "offline",
                "decision": {"action": "answer" if answered else "escalate", "tag": tag,
                             "citations": citations, "retrieved": filler,
                             "answer": "A generated answer of ordinary length. " * 8},
                "error": None})
            for doc, title in cited:
                batch["citations"].append({
                    "inquiry_id": inquiry, "conversation_id": conversation, "doc_id": doc,
                    "title": title, "url": None, "source": "kb", "created_at": at})
            if answered and rng.random() < 0.2:
                batch["feedback"].append({
                    "id": f"fb_{made:08d}", "inquiry_id": inquiry,
                    "helpful": rng.random() < 0.8, "comment": None, "created_at": at,
                    "updated_at": at})
            if not answered:
                status = rng.choices(["resolved", "open", "claimed"], [60, 30, 10])[0]
                resolved = at + timedelta(hours=5) if status == "resolved" else None
                batch["escalations"].append({
                    "id": f"esc_{made:08d}", "conversation_id": conversation,
                    "inquiry_id": inquiry, "status": status, "reason": reason or "policy",
                    "detail": "", "tag": tag, "language": "ja" if ja else "en",
                    "account_id": account, "assignee": None, "draft": None,
                    "resolution": "Resolved." if resolved else None, "resolution_tag": None,
                    "created_at": at, "updated_at": at, "claimed_at": None,
                    "resolved_at": resolved, "learned_at": None, "learn_error": None,
                    "precedent": None, "precedent_status": None, "precedent_reviewer": None,
                    "precedent_reviewed_at": None})
            kind = rng.choices([None, "churn_risk", "expansion"], [93, 3, 4])[0]
            if kind:
                batch["signals"].append({
                    "id": f"sig_{made:08d}", "inquiry_id": inquiry,
                    "conversation_id": conversation, "kind": kind, "account_id": account,
                    "evidence": text, "why": "generated", "next_step": "generated",
                    "confidence": 0.7, "created_at": at, "acked_at": None, "acked_by": None,
                    "localized": None})
            made += 1
        if len(batch["inquiries"]) >= 5000:
            flush()
    flush()
    return counts


def generate_topics(db: Database, n_topics: int, seed: int = 11) -> int:
    """Put every stored inquiry into one of n_topics topics (sizes falling off like real
    ones), as a re-cluster would have stored them; return how many were assigned. (The
    page's cost is in the rows it reads, not in how the topics were found.)"""
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed).standard_normal((n_topics, DIM)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    now = utcnow()
    topic_ids = [f"top_{i:05d}" for i in range(n_topics)]
    weights = [1 / (i + 1) ** 0.7 for i in range(n_topics)]
    with db.engine.begin() as connection:
        inquiries = connection.execute(select(InquiryRow.id, InquiryRow.created_at)).all()
        picks = rng.choices(range(n_topics), weights, k=len(inquiries))
        sizes = [0] * n_topics
        for p in picks:
            sizes[p] += 1
        connection.execute(insert(InsightClusterRow.__table__), [  # type: ignore[arg-type]
            {"id": topic_ids[i], "kind": "topic", "status": "active",
             "label": f"topic {i} · words · of it", "name": None,
             "terms": {"all": [f"word{i}", "other", "terms"]}, "representative_id": None,
             "representative": EN[i % len(EN)], "model": HashingEmbedder(dim=DIM).name,
             "centroid": vectors[i].tobytes(), "radius": 0.5, "size": sizes[i],
             "merged_into": None, "fixed_at": None, "fixed_by": None,
             "reports_since_fixed": 0, "created_at": now, "updated_at": now}
            for i in range(n_topics)])
        rows = [{"inquiry_id": r.id, "kind": "topic", "cluster_id": topic_ids[p],
                 "similarity": 0.9, "method": "fit", "assigned_at": now,
                 "inquiry_created_at": r.created_at} for r, p in zip(inquiries, picks, strict=True)]
        for start in range(0, len(rows), 5000):
            connection.execute(insert(InquiryClusterRow.__table__),  # type: ignore[arg-type]
                               rows[start:start + 5000])
    return len(rows)


def timed(client: httpx.Client, path: str, repeats: int) -> list[float]:
    """Return the latency of each of `repeats` sequential GETs, in ms (all must be 200)."""
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:200]}")
    return out


def p95(values: list[float]) -> float:
    """Return the nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def run_backend(name: str, url: str, n: int, n_accounts: int, repeats: int) -> list[str]:
    """Generate, serve and measure one backend; return the table's lines."""
    db = Database.open(url)
    db.migrate()
    started = time.perf_counter()
    counts = generate(db, n, n_accounts)
    generate_topics(db, N_TOPICS)
    generated_s = time.perf_counter() - started
    config = accounts.HealthConfig()
    with db.session() as session:
        refresh_ms = []
        for _ in range(3):
            t = time.perf_counter()
            accounts.refresh(session, config)
            refresh_ms.append((time.perf_counter() - t) * 1000)
        content_ms = []
        for _ in range(3):
            t = time.perf_counter()
            content.content_performance(session, utcnow() - timedelta(days=30))
            content_ms.append((time.perf_counter() - t) * 1000)
        topics_ms = []
        for _ in range(3):
            t = time.perf_counter()
            topics.top_topics(session, utcnow() - timedelta(days=7), utcnow(), 20)
            topics_ms.append((time.perf_counter() - t) * 1000)
    db.close()
    port = free_port()
    settings = ApiSettings(_env_file=None, database_url=url, api_keys=f"admin:{KEY}",
                           rate_limit_key_per_s=0.0, rate_limit_ip_per_s=0.0,
                           gc_freeze=False, maintenance_s=5.0)
    app = create_app(api_settings=settings, agent=IdleAgent())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    lines = [f"### {name}: {counts['inquiries']:,} inquiries, "
             f"{counts['conversations']:,} conversations, {counts['escalations']:,} escalations, "
             f"{counts['signals']:,} signals, {counts['feedback']:,} ratings, "
             f"{counts['citations']:,} citations, {n_accounts} accounts, {N_TOPICS} topics "
             f"(generated in {generated_s:.0f} s)", "",
             "| route | p50 ms | p95 ms | target p95 | |", "|---|---|---|---|---|"]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {KEY}"}) as client:
            cold_accounts = timed(client, "/v1/accounts", 1)[0]
            cold_content = timed(client, "/v1/insights/content", 1)[0]
            ids = [a["account_id"] for a in client.get("/v1/accounts?limit=1000").json()["items"]]
            rng = random.Random(3)
            week_ago = quote((utcnow() - timedelta(days=7)).isoformat())
            routes: dict[str, Callable[[], list[float]]] = {
                "GET /healthz (HTTP floor)": lambda: timed(client, "/healthz", repeats),
                "GET /v1/accounts?sort=risk": lambda: timed(client, "/v1/accounts?sort=risk",
                                                            repeats),
                "GET /v1/accounts?sort=expansion": lambda: timed(
                    client, "/v1/accounts?sort=expansion", repeats),
                "GET /v1/accounts/{id}": lambda: [timed(client, f"/v1/accounts/{rng.choice(ids)}",
                                                        1)[0] for _ in range(repeats)],
                "GET /v1/accounts.csv": lambda: timed(client, "/v1/accounts.csv", repeats),
                "GET /v1/insights/content": lambda: timed(client, "/v1/insights/content",
                                                          repeats),
                # What the console asks for: the last 7 days from now, computed per request.
                "GET /v1/insights/topics?since=(7 days ago)": lambda: timed(
                    client, f"/v1/insights/topics?since={week_ago}", repeats),
                "GET /v1/insights/topics (stored copy)": lambda: timed(
                    client, "/v1/insights/topics", repeats),
            }
            for route, measure in routes.items():
                values = measure()
                high = p95(values)
                floor = route.startswith("GET /healthz")
                verdict = "" if floor else ("ok" if high <= TARGET_P95_MS else "OVER")
                lines.append(f"| {route} | {statistics.median(values):.1f} | {high:.1f} | "
                             f"{'' if floor else f'{TARGET_P95_MS:.0f}'} | {verdict} |")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    lines += ["", f"Recomputing (maintenance pass, not on a page's path): account health "
                  f"{statistics.median(refresh_ms):.0f} ms, content table "
                  f"{statistics.median(content_ms):.0f} ms; the topics page's figures "
                  f"(insights.topics.top_topics, 7 days, no HTTP) "
                  f"{statistics.median(topics_ms):.0f} ms (median of 3). First page read "
                  f"after start-up: /v1/accounts {cold_accounts:.0f} ms, /v1/insights/content "
                  f"{cold_content:.0f} ms.", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200, help="per route")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if args.inquiries < 1 or args.accounts < 1 or args.requests < 1:
        parser.error("--inquiries, --accounts and --requests must be at least 1")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s) {sorted(unknown)}: use sqlite and/or postgresql")
    import tempfile

    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kotae-insights-bench-") as tmp:
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'kotae.sqlite3'}"
            else:
                from tests.support.postgres import shared_server

                url = shared_server().create_database()
            lines = run_backend(backend, url, args.inquiries, args.accounts, args.requests)
            print("\n".join(lines), flush=True)
            out += lines
    return 0


if __name__ == "__main__":
    sys.exit(main())
