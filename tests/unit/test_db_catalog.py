"""The index catalog in the operational database (KOTAE_CATALOG=database), on a real SQLite
file: the embedded catalog's interface, the writer lease, crash repair, and moving a store's
catalog in with `python -m retrieval.db_catalog migrate`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retrieval.catalog import Catalog
from retrieval.db_catalog import DatabaseCatalog, _process_token, main
from retrieval.embeddings import HashingEmbedder
from retrieval.indexer import Indexer
from retrieval.loaders import TagSpec, Taxonomy
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document, Ticket
from tests.support.postgres import BACKENDS, database_url


def documents() -> list[Document]:
    return [
        Document(id="kb-export", title="Export", text="Export a project as a CSV file from "
                 "the project menu.", language="en"),
        Document(id="kb-sso", title="SAML SSO", text="Configure SAML single sign-on with Okta "
                 "in the security settings.", language="en"),
        Document(id="kb-ja-export", title="書き出し",
                 text="プロジェクトをCSVファイルで書き出すには、メニューから選びます。", language="ja"),
    ]


def tickets() -> list[Ticket]:
    return [Ticket(id="t1", subject="Invoice", body="Where is my invoice?", tag="billing",
                   resolution="Billing > Invoices.", language="en"),
            Ticket(id="t2", subject="請求書", body="請求書はどこですか", tag="billing",
                   resolution="請求 > 請求書 から。", language="ja")]


def database_store(tmp_path: Path, name: str = "host", url: str | None = None
                   ) -> KnowledgeStore:
    url = url or f"sqlite:///{tmp_path / 'kotae.sqlite3'}"
    return KnowledgeStore.open(StoreConfig(tmp_path / name, catalog_url=url))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_database_catalog_indexes_and_searches_as_the_embedded_one(
        tmp_path: Path, backend: str) -> None:
    embedded = KnowledgeStore.open(StoreConfig(tmp_path / "embedded"))
    shared = database_store(tmp_path, url=database_url(backend, tmp_path, fresh=True))
    assert isinstance(shared.catalog, DatabaseCatalog) and shared.catalog.shared
    embedder = HashingEmbedder(dim=64)
    for store in (embedded, shared):
        indexer = Indexer(store, embedder)
        report = indexer.sync("kb", documents())
        assert (report.added, report.failed) == (3, 0)
        assert indexer.sync("ticket", tickets()).added == 2
        assert indexer.sync("kb", documents()).unchanged == 3  # re-runnable: hashes kept
    assert shared.catalog.counts() == embedded.catalog.counts()
    assert shared.catalog.hashes("kb") == embedded.catalog.hashes("kb")
    assert ([(r.chunk_id, r.terms, r.metadata) for r in shared.catalog.iter_chunks("ticket")]
            == [(r.chunk_id, r.terms, r.metadata) for r in embedded.catalog.iter_chunks("ticket")])
    assert shared.catalog.document("kb", "kb-sso") == embedded.catalog.document("kb", "kb-sso")
    assert shared.catalog.section_chunks("kb", "kb-export", 0) == \
        embedded.catalog.section_chunks("kb", "kb-export", 0)
    for query in ("export a CSV", "SAML Okta", "書き出す 方法"):
        hits = [[h.doc_id for h in HybridRetriever(store, embedder).search(query, k=2)]
                for store in (embedded, shared)]
        assert hits[0] == hits[1], query
    before = shared.catalog.generation("kb", fresh=True)
    assert Indexer(shared, embedder).delete("kb", ["kb-sso"]) == 1
    assert shared.catalog.generation("kb") == before + 1  # seen at once by its own writer
    assert "kb-sso" not in shared.catalog.hashes("kb")
    assert shared.vectors.ids("kb") == shared.catalog.chunk_ids("kb")
    for store in (embedded, shared):
        store.close()


def test_a_second_process_sees_a_change_within_a_poll_and_reports_its_lag(
        tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=64)
    # Two processes' stores (here in one folder: the embedded Chroma stands for a server)
    writer, reader = database_store(tmp_path), database_store(tmp_path)
    Indexer(writer, embedder).sync("kb", documents()[:1])
    assert reader.index_status()["behind"]  # nothing built yet
    reader.refresh_caches()
    status = reader.index_status()
    assert status["shared"] and not status["behind"] and status["lag_s"] == 0
    Indexer(writer, embedder).upsert("kb", documents()[1])
    time.sleep(0.3)  # the generation is re-read every 0.25 s
    status = reader.index_status()
    assert status["behind"] and status["cached_generation"] < status["generation"]
    assert reader.follow(0.05)
    deadline = time.monotonic() + 5
    while reader.index_status()["behind"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not reader.index_status()["behind"]
    _, rows = reader.lexical("kb")
    assert {r.doc_id for r in rows.values()} == {"kb-export", "kb-sso"}
    writer.close()
    reader.close()


def test_the_taxonomy_lives_in_the_shared_catalog(tmp_path: Path) -> None:
    a, b = database_store(tmp_path, "a"), database_store(tmp_path, "b")
    assert b.taxonomy() == Taxonomy.default()
    taxonomy = Taxonomy((TagSpec("billing", "Invoices", ("請求書はどこ",)), TagSpec("bug", "")))
    a.save_taxonomy(taxonomy)
    assert b.taxonomy() == taxonomy
    assert not (tmp_path / "a" / "taxonomy.json").exists()
    a.close()
    b.close()


def test_writers_on_postgresql_take_turns_through_an_advisory_lock(tmp_path: Path) -> None:
    url = database_url("postgresql", tmp_path, fresh=True)
    first, second = DatabaseCatalog(url), DatabaseCatalog(url, migrate=False)
    order: list[str] = []
    with first.writer_lock():
        def wait_turn() -> None:
            with second.writer_lock():
                order.append("second")

        thread = threading.Thread(target=wait_turn)
        thread.start()
        time.sleep(0.3)
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    first.close()
    second.close()


def test_writers_take_turns_through_a_lease_and_a_dead_writers_is_taken_over(
        tmp_path: Path) -> None:
    catalog = DatabaseCatalog(f"sqlite:///{tmp_path / 'kotae.sqlite3'}")
    order: list[str] = []
    with catalog.writer_lock():
        other = DatabaseCatalog(catalog.url, migrate=False)

        def second() -> None:
            with other.writer_lock():
                order.append("second")

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(timeout=5)
    assert order == ["first", "second"]
    # A process that died holding the lease (SIGKILL) does not hold up the next writer.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    token = _process_token(gone.pid)
    gone.wait()
    catalog.set_meta("writer", token)
    started = time.monotonic()
    with catalog.writer_lock():
        assert catalog.get_meta("writer") == _process_token()
    assert time.monotonic() - started < 2
    assert catalog.get_meta("writer") == ""
    catalog.close()
    other.close()


def test_a_write_stopped_between_chroma_and_the_catalog_is_repaired_by_the_next_writer(
        tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=64)
    store = database_store(tmp_path)
    Indexer(store, embedder).sync("kb", documents())
    # As a writer killed after Chroma took a new chunk's vector, before the catalog did.
    store.catalog.set_meta("pending", "1")
    store.vectors.upsert("kb", ["kb-orphan#0"], embedder.embed_documents(["orphan"]),
                         [{"doc_id": "kb-orphan", "source": "kb"}], ["orphan"])
    store.vectors.delete("kb", ["kb-sso#0"])  # and lost one it was replacing
    other = database_store(tmp_path)  # another process (sharing the vectors)
    Indexer(other, embedder).upsert("kb", Document(id="kb-new", title="New", text="A new page.",
                                                   language="en"))
    assert other.catalog.get_meta("pending") == "0"
    assert "kb-orphan#0" not in other.vectors.ids("kb")
    assert other.catalog.hashes("kb")["kb-sso"] == ""  # rewritten by the next sync
    assert Indexer(other, embedder).sync("kb", [*documents(), Document(
        id="kb-new", title="New", text="A new page.", language="en")]).updated == 1
    assert other.vectors.ids("kb") == other.catalog.chunk_ids("kb")
    store.close()
    other.close()


def test_migrate_copies_a_stores_catalog_into_the_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    embedder = HashingEmbedder(dim=64)
    folder = tmp_path / "store"
    embedded = KnowledgeStore.open(StoreConfig(folder))
    Indexer(embedded, embedder).sync("kb", documents())
    Indexer(embedded, embedder).sync("ticket", tickets())
    embedded.save_taxonomy(Taxonomy((TagSpec("billing", "請求"), TagSpec("bug", ""))))
    counts = embedded.catalog.counts()
    expected = [h.doc_id for h in HybridRetriever(embedded, embedder).search("CSV export")]
    embedded.close()
    url = f"sqlite:///{tmp_path / 'kotae.sqlite3'}"

    assert main(["migrate", "--store", str(folder), "--database-url", url]) == 0
    assert "kb: 3 documents, ticket: 2 documents" in capsys.readouterr().out
    shared = KnowledgeStore.open(StoreConfig(folder, catalog_url=url))
    assert shared.catalog.counts() == counts
    assert shared.taxonomy().names == ["billing", "bug"]
    assert shared.embedder_name == embedder.name
    assert [h.doc_id for h in HybridRetriever(shared, embedder).search("CSV export")] == expected
    assert Indexer(shared, embedder).sync("kb", documents()).unchanged == 3
    shared.close()

    assert main(["migrate", "--store", str(folder), "--database-url", url]) == 1
    assert "--replace" in capsys.readouterr().err
    assert main(["migrate", "--store", str(folder), "--database-url", url, "--replace"]) == 0
    assert main(["migrate", "--store", str(tmp_path / "nothing"), "--database-url", url]) == 1
    assert "not a Kotae store" in capsys.readouterr().err
    catalog = Catalog(folder / "catalog.sqlite3")  # the store's own file is left as it was
    assert catalog.counts() == counts
    catalog.close()
    assert json.loads(DatabaseCatalog(url, migrate=False).get_meta("taxonomy") or "{}")["tags"]


def test_settings_name_the_shared_catalog_and_the_chroma_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from errors import ConfigError
    from settings import load_settings

    monkeypatch.setenv("KOTAE_CATALOG", "database")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://kotae@db.internal/kotae")
    monkeypatch.setenv("KOTAE_CHROMA_URL", "http://chroma.internal:8001")
    store = load_settings(store_dir=tmp_path).store
    assert store.catalog_url == "postgresql+psycopg://kotae@db.internal/kotae"
    assert (store.chroma_host, store.chroma_port) == ("chroma.internal", 8001)
    monkeypatch.delenv("KOTAE_CATALOG")
    assert load_settings(store_dir=tmp_path).store.catalog_url is None  # the default: a file
    for bad in ("https://chroma.internal", "http://chroma.internal:8000/api", "http://:8000"):
        monkeypatch.setenv("KOTAE_CHROMA_URL", bad)
        with pytest.raises(ConfigError, match="KOTAE_CHROMA_URL"):
            load_settings(store_dir=tmp_path)
