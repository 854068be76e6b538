"""Two API hosts sharing one index: two real uvicorn processes with the real agent, each with a
folder of its own (no shared files), one real PostgreSQL (catalog, inquiries, outbox) and one
real `chroma run` server (vectors), all on 127.0.0.1 (KOTAE_CATALOG=database)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from retrieval.db_catalog import DatabaseCatalog
from retrieval.vectors import VectorIndex
from tests.integration.test_api_harness import KEYS, ROOT, WEBHOOK_SECRET, auth, webhook_receiver
from tests.support.net import free_port, wait_until
from tests.support.postgres import shared_server

pytestmark = pytest.mark.slow

ARTICLES = {
    "kb-invite": ("Invite people to a workspace",
                  "To invite people, open Settings > Members and choose Invite. Enter their "
                  "email addresses; each person gets a link that is valid for seven days.", "en"),
    "kb-ja-invoice": ("請求書のダウンロード",
                      "請求書は「設定」>「請求」>「請求書」からPDFでダウンロードできます。"
                      "過去12か月分が表示されます。", "ja"),
}


class Host:
    """One API process: its own folder, the shared database and Chroma server."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name, self.folder, self.env = name, folder, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (folder / "uvicorn.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api:create_app", "--factory", "--host",
             "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log,
            env={**os.environ, **env, "KOTAE_STORE_DIR": str(folder / "store")})

    def ready(self) -> bool:
        if self.process.poll() is not None:
            self.log.flush()
            pytest.fail(f"host {self.name} exited: {Path(self.log.name).read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def call(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.base}{path}", headers=auth(role), timeout=60,
                             **kwargs)

    def ask(self, text: str, **body: Any) -> dict[str, Any]:
        response = self.call("POST", "/v1/inquiries", "widget", json={"text": text, **body})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def pending_flag(url: str) -> str | None:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        row = db.execute("SELECT value FROM catalog_meta WHERE key = 'pending'").fetchone()
    return None if row is None else str(row[0])


def cited(result: dict[str, Any]) -> list[str]:
    """Return the documents an answer cites (citations name chunks: doc#n)."""
    return sorted({c["id"].split("#")[0] for c in result["decision"]["citations"]})


def put_quietly(host: Host, doc_id: str, body: dict[str, Any]) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the host may be killed under it
        host.call("PUT", f"/v1/kb/documents/{doc_id}", json=body)


def big_article(n: int) -> str:
    return "\n\n".join(f"## Step {i}\n\nRotate the audit key number {i} of attempt {n} from the "
                       f"security page, then confirm it with the second administrator. "
                       f"Keys rotated this way expire after {i + 30} days." for i in range(40))


def test_two_hosts_share_one_index(tmp_path: Path, chroma_port: int) -> None:
    started = time.monotonic()
    database = shared_server().create_database()
    with webhook_receiver() as receiver:
        env = {
            "DATABASE_URL": database,
            "KOTAE_CATALOG": "database",
            "KOTAE_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
            "KOTAE_CATALOG_POLL_S": "0.2",
            "KOTAE_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
            "KOTAE_MAINTENANCE_S": "0.3",
            "KOTAE_WEBHOOK_URL": receiver.url,
            "KOTAE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "KOTAE_WEBHOOK_POLL_S": "0.05",
            # An event A had claimed when it was killed is sent by B once the claim runs out.
            "KOTAE_WEBHOOK_CLAIM_S": "1",
            "KOTAE_RATE_LIMIT_IP_PER_S": "0",
        }
        folders = {name: tmp_path / name for name in ("a", "b")}
        for folder in folders.values():
            folder.mkdir()
        hosts = [Host(name, folder, env) for name, folder in folders.items()]
        try:
            wait_until(lambda: all(host.ready() for host in hosts), timeout_s=120, every_s=0.2,
                       what="both hosts ready")
            print(f"both hosts ready after {time.monotonic() - started:.1f} s")
            run_scenario(hosts, database, chroma_port, receiver)
        finally:
            for host in hosts:
                host.stop()
    # The hosts kept nothing of the index in their folders: no catalog, no Chroma files.
    for folder in folders.values():
        assert not list(folder.rglob("catalog.sqlite3")) and not list(folder.rglob("*.bin"))
    print(f"two hosts: {time.monotonic() - started:.1f} s")


def run_scenario(hosts: list[Host], database: str, chroma_port: int, receiver: Any) -> None:
    a, b = hosts
    begun = time.monotonic()
    # Ingest through host A.
    for doc_id, (title, text, language) in ARTICLES.items():
        response = a.call("PUT", f"/v1/kb/documents/{doc_id}",
                          json={"title": title, "text": text, "language": language})
        assert response.status_code == 200, response.text

    print(f"ingested on A: {time.monotonic() - begun:.1f} s")
    # B reads the shared index on its next poll (0.2 s here); asked before that, it answered
    # from what it had read so far (once in a CI run: escalated).
    def caught_up() -> bool:
        return all(any(h["doc_id"] == doc_id for h in b.call(
            "GET", "/v1/search", "agent", params={"q": title, "k": 3}).json()["hits"])
            for doc_id, (title, _text, _language) in ARTICLES.items())

    wait_until(caught_up, timeout_s=10, every_s=0.05, what="A's articles searchable on B")
    # An inquiry on host B answered from it, in English and in Japanese.
    english = b.ask("How do I invite people to my workspace?")
    assert english["status"] == "answered", english["decision"]
    assert cited(english) == ["kb-invite"]
    japanese = b.ask("請求書はどこからダウンロードできますか？")
    assert japanese["status"] == "answered", japanese["decision"]
    assert cited(japanese) == ["kb-ja-invoice"]

    print(f"answered on B: {time.monotonic() - begun:.1f} s")
    # An admin upsert on A becomes searchable on B. How soon is printed, not asserted: about a
    # poll on a quiet machine, 2.5 s once on a loaded CI machine; the wait's bound is the check.
    for doc_id, title, text, query, language in (
            ("kb-export", "Export reports", "Export any report as a CSV file from the report's "
             "menu: choose Export, then CSV.", "export a report as CSV", "en"),
            ("kb-ja-sso", "シングルサインオン", "SAML によるシングルサインオンは「セキュリティ」から"
             "設定します。", "シングルサインオンの設定", "ja")):
        put = a.call("PUT", f"/v1/kb/documents/{doc_id}",
                     json={"title": title, "text": text, "language": language})
        assert put.status_code == 200, put.text
        upserted = time.monotonic()

        def found(query: str = query, doc_id: str = doc_id) -> bool:
            hits = b.call("GET", "/v1/search", "agent", params={"q": query, "k": 3}).json()
            return any(h["doc_id"] == doc_id for h in hits["hits"])

        wait_until(found, timeout_s=10, every_s=0.05, what=f"{doc_id} searchable on B")
        delay = time.monotonic() - upserted
        print(f"{doc_id} upserted on A, found on B after {delay:.2f} s")
    index = httpx.get(f"{b.base}/readyz").json()["index"]
    assert index["shared"] and index["lag_s"] < 10

    print(f"upserts found on B: {time.monotonic() - begun:.1f} s")
    # A resolution learned on B is taught to A's tagger.
    question = "The zorblax gadget makes a quiet humming noise when idle."
    before = a.ask(question)["decision"]["tag"]
    taught = next(t for t in ("success_opportunity", "usage_question") if t != before)
    escalated = b.ask(f"{question} I want to talk to a person.")
    assert escalated["status"] == "escalated", escalated["decision"]
    escalation = escalated["escalation_id"]
    resolved = b.call("POST", f"/v1/escalations/{escalation}/resolve", "agent",
                      json={"answer": "That hum is normal for the zorblax gadget.", "tag": taught})
    assert resolved.status_code == 200, resolved.text
    approved = b.call("POST", f"/v1/precedents/{escalation}/approve", "agent")
    assert approved.status_code == 200 and approved.json()["learned"] is True, approved.text
    wait_until(lambda: a.ask(question)["decision"]["tag"] == taught, timeout_s=15, every_s=0.3,
               what=f"A's tagger taught {taught!r} by B")

    print(f"tagger taught: {time.monotonic() - begun:.1f} s")
    # A SIGKILL of A in the middle of a write (Chroma has the new vectors, the catalog not
    # yet), repaired by B's next write.
    catalog = DatabaseCatalog(database, migrate=False)
    vectors = VectorIndex.open(None, host="127.0.0.1", port=chroma_port)
    for attempt in range(8):
        known = vectors.ids("kb")
        assert known == catalog.chunk_ids("kb")
        body = {"title": "Audit keys", "text": big_article(attempt)}
        writing = threading.Thread(target=put_quietly, args=(a, f"kb-audit-{attempt}", body),
                                   daemon=True)
        writing.start()
        while writing.is_alive() and len(vectors.ids("kb")) == len(known):
            pass
        if writing.is_alive():
            a.process.send_signal(signal.SIGKILL)
            a.process.wait(timeout=10)
            # Caught between the two: the flag is up and Chroma holds chunks the catalog
            # lacks. Killed later (the catalog written, the flag not yet cleared, or both),
            # there is nothing to repair that this test can see: start A again, try again.
            if pending_flag(database) == "1" and vectors.ids("kb") - catalog.chunk_ids("kb"):
                break
            a.stop()
            a = Host("a", a.folder, a.env)
            hosts.append(a)
            wait_until(a.ready, timeout_s=120, every_s=0.2, what="host A restarted")
    assert a.process.poll() is not None, "A was never caught between Chroma and the catalog"
    orphans = vectors.ids("kb") - catalog.chunk_ids("kb")
    assert orphans and all(c.startswith("kb-audit-") for c in orphans)
    repair = b.call("PUT", "/v1/kb/documents/kb-after",
                    json={"title": "After the crash", "text": "Written by host B."})
    assert repair.status_code == 200, repair.text
    assert pending_flag(database) == "0"
    assert vectors.ids("kb") == catalog.chunk_ids("kb")
    catalog.close()

    print(f"repaired: {time.monotonic() - begun:.1f} s")
    # Webhooks: every event delivered once, whichever host claimed it.
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as db:
        events = {str(r[0]) for r in db.execute("SELECT id FROM webhook_outbox").fetchall()}
    assert events
    wait_until(lambda: {d.headers.get("X-Kotae-Delivery") for d in receiver.deliveries} >= events,
               timeout_s=15, what="every webhook event delivered")
    counts = Counter(d.headers.get("X-Kotae-Delivery") for d in receiver.deliveries)
    assert [e for e, n in counts.items() if n > 1] == []



def test_migrate_moves_a_store_onto_postgresql_and_a_chroma_server(tmp_path: Path,
                                                                   chroma_port: int) -> None:
    from retrieval.db_catalog import main as db_catalog
    from retrieval.embeddings import HashingEmbedder
    from retrieval.indexer import Indexer
    from retrieval.search import HybridRetriever
    from retrieval.store import KnowledgeStore, StoreConfig
    from retrieval.types import Document

    embedder = HashingEmbedder(dim=64)
    folder = tmp_path / "store"
    embedded = KnowledgeStore.open(StoreConfig(folder))
    documents = [Document(id=doc_id, title=title, text=text, language=language)
                 for doc_id, (title, text, language) in ARTICLES.items()]
    Indexer(embedded, embedder).sync("kb", documents)
    expected = {q: [h.doc_id for h in HybridRetriever(embedded, embedder).search(q, k=1)]
                for q in ("invite people", "請求書 ダウンロード")}
    ids = embedded.vectors.ids("kb")
    embedded.close()
    database = shared_server().create_database()
    port = chroma_port
    chroma = f"http://127.0.0.1:{port}"
    stray = VectorIndex.open(None, host="127.0.0.1", port=port)  # left by an earlier copy
    stray.upsert("kb", ["kb-gone#0"], embedder.embed_documents(["gone"]),
                 [{"doc_id": "kb-gone", "source": "kb"}], ["gone"])
    assert db_catalog(["migrate", "--store", str(folder), "--database-url", database,
                       "--chroma-url", chroma]) == 0
    shared = KnowledgeStore.open(StoreConfig(tmp_path / "host", chroma_host="127.0.0.1",
                                             chroma_port=port, catalog_url=database))
    assert shared.vectors.ids("kb") == ids | {"kb-gone#0"}
    Indexer(shared, embedder)  # the first writer reconciles the server with the catalog
    assert shared.vectors.ids("kb") == ids == shared.catalog.chunk_ids("kb")
    for query, hits in expected.items():
        assert [h.doc_id for h in HybridRetriever(shared, embedder).search(query, k=1)] == hits
    shared.close()
