"""Hybrid retrieval over the demo data with the real model, a Chroma server, OpenAI embeddings."""

import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from retrieval.embeddings import HashingEmbedder, OpenAIEmbedder
from retrieval.indexer import Indexer
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document, Ticket
from retrieval.vectors import COLLECTIONS, DEFAULT_EF_SEARCH, AnnVectors, VectorIndex
from tests.support.openai_stub import OpenAIStub

pytestmark = pytest.mark.integration


def test_a_japanese_query_finds_the_japanese_article(demo_store: Any, local_embedder: Any) -> None:
    retriever = HybridRetriever(demo_store, local_embedder)
    cases = {
        "請求書払いの申し込み方法を教えてください": "kb-ja-invoice-payment-application",
        "適格請求書の登録番号はどこに書いてありますか": "kb-ja-qualified-invoice",
        "Safariでタスク名を入力中にEnterで確定すると途中で登録されてしまう": "kb-ja-ime-enter-safari",
    }
    for query, expected in cases.items():
        hits = retriever.search(query, k=3, group_by_document=True)
        assert hits[0].language == "ja", query
        assert expected in [h.doc_id for h in hits], (query, [h.doc_id for h in hits])


def test_an_english_query_is_not_flooded_by_japanese_chunks(demo_store: Any,
                                                             local_embedder: Any) -> None:
    retriever = HybridRetriever(demo_store, local_embedder)
    for query in ("How do I set up SAML SSO?", "How do I export my data?",
                  "Google Calendar shows duplicate recurring tasks"):
        hits = retriever.search(query, k=5)
        japanese = [h for h in hits if h.language == "ja"]
        assert len(japanese) <= 1, (query, [h.doc_id for h in hits])
        assert hits[0].language == "en"


def test_filters_and_result_fields(demo_store: Any, local_embedder: Any) -> None:
    retriever = HybridRetriever(demo_store, local_embedder)
    hits = retriever.search("SAML SSO", k=5, language="ja")
    assert hits and all(h.language == "ja" for h in hits)
    top = retriever.search("How do I set up SAML SSO with Okta?", k=1)[0]
    assert top.doc_id == "kb-saml-sso-okta" and top.url and top.title and top.text
    assert top.vector_score is not None and top.lexical_score is not None


def test_past_tickets_come_back_with_resolution_and_tag(demo_store: Any,
                                                        local_embedder: Any) -> None:
    retriever = HybridRetriever(demo_store, local_embedder)
    hits = retriever.search("CSV export of a big project times out", source="ticket", k=3)
    assert hits and hits[0].source == "ticket"
    assert hits[0].resolution and hits[0].tag in {"bug", "usage_question", "success_opportunity"}
    bugs = retriever.search("export times out", source="ticket", k=5, filters={"tag": "bug"})
    assert bugs and all(h.tag == "bug" for h in bugs)


def test_the_in_memory_vector_copy_ranks_like_chroma(demo_store_dir: Path,
                                                    local_embedder: Any) -> None:
    """Exact search over the in-memory copy and Chroma's index agree on the demo data."""
    flat_store = KnowledgeStore.open(StoreConfig(demo_store_dir))
    chroma_store = KnowledgeStore.open(StoreConfig(demo_store_dir, flat_max_chunks=0,
                                                   ann_vectors=False))
    ann_store = KnowledgeStore.open(StoreConfig(demo_store_dir, flat_max_chunks=0,
                                                ann_build_threads=1))
    try:
        flat = HybridRetriever(flat_store, local_embedder)
        chroma = HybridRetriever(chroma_store, local_embedder)
        ann = HybridRetriever(ann_store, local_embedder)
        for source in ("kb", "ticket"):
            assert ann_store.ann_vectors(source, wait=True) is not None
        queries = ["How do I set up SAML SSO with Okta?", "export a project to CSV times out",
                   "請求書払いの申し込み方法", "2段階認証 機種変更", "add seats to our plan"]
        for query in queries:
            for source in ("kb", "ticket"):
                a = flat.search(query, source=source, k=5, mode="vector")
                b = chroma.search(query, source=source, k=5, mode="vector")
                assert [h.id for h in a] == [h.id for h in b], (query, source)
                for x, y in zip(a, b, strict=True):
                    assert x.vector_score == pytest.approx(y.vector_score, abs=1e-4)
                # The HNSW copy: the same hits with the same scores (the order of two hits
                # scored alike to 1e-6 could differ).
                c = {h.id: h.vector_score for h in
                     ann.search(query, source=source, k=5, mode="vector")}
                assert set(c) == {h.id for h in a}, (query, source)
                for x in a:
                    assert c[x.id] == pytest.approx(x.vector_score, abs=1e-4)
                assert {h.id for h in ann.search(query, source=source, k=5)} == \
                    {h.id for h in flat.search(query, source=source, k=5)}, (query, source)
        assert flat_store.flat_vectors("kb") is not None
        assert chroma_store.flat_vectors("kb") is None and chroma_store.vector_copy("kb") is None
        assert ann_store.flat_vectors("kb") is None
        assert isinstance(ann_store.vector_copy("kb"), AnnVectors)
        # a filter the copy does not index goes to Chroma and still applies
        bugs = flat.search("export times out", source="ticket", k=5, filters={"tag": "bug"})
        assert bugs and all(h.tag == "bug" for h in bugs)
    finally:
        flat_store.close()
        chroma_store.close()
        ann_store.close()


def test_the_store_works_against_a_chroma_server(tmp_path: Path, chroma_port: int,
                                                 hashing_embedder: Any) -> None:
    config = StoreConfig(tmp_path / "store", chroma_host="127.0.0.1", chroma_port=chroma_port)
    store = KnowledgeStore.open(config)
    indexer = Indexer(store, hashing_embedder)
    docs = [Document(id="kb-sso", title="SAML SSO", text="Set up SAML SSO with Okta.",
                     language="en"),
            Document(id="kb-export", title="Export", text="Export projects as CSV or JSON.",
                     language="en")]
    indexer.sync("kb", docs)
    indexer.sync("ticket", [Ticket(id="T-1", body="SSO login fails", resolution="Check the "
                                   "certificate", tag="bug")])
    assert store.vectors.count("kb") == 2
    hits = HybridRetriever(store, hashing_embedder).search("okta sso", k=1)
    assert hits[0].doc_id == "kb-sso"
    indexer.sync("kb", docs[:1])
    assert store.vectors.count("kb") == 1
    store.close()
    # A collection made with Chroma's default search breadth is widened by the next store
    # that opens it, over HTTP as in the embedded store.
    client = store.vectors.client
    assert _ef_search(client, COLLECTIONS["kb"]) == DEFAULT_EF_SEARCH == 150
    client.create_collection("old_" + COLLECTIONS["kb"], embedding_function=None,
                             configuration={"hnsw": {"space": "cosine"}})
    assert _ef_search(client, "old_" + COLLECTIONS["kb"]) == 100
    assert VectorIndex(client, prefix="old_").count("kb") == 0
    assert _ef_search(client, "old_" + COLLECTIONS["kb"]) == 150


def test_the_hnsw_search_breadth_is_the_stores_setting(tmp_path: Path,
                                                       hashing_embedder: Any) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, hashing_embedder).sync("kb", [Document(id="kb-1", title="Export",
                                                           text="Export projects as CSV.")])
    client = store.vectors.client
    assert _ef_search(client, COLLECTIONS["kb"]) == 150
    store.close()
    wider = KnowledgeStore.open(StoreConfig(tmp_path / "store", hnsw_ef_search=220))
    assert wider.vectors.count("kb") == 1  # the data stays; only the search breadth changes
    assert _ef_search(wider.vectors.client, COLLECTIONS["kb"]) == 220
    hits = HybridRetriever(wider, hashing_embedder).search("export csv", k=1)
    assert [h.doc_id for h in hits] == ["kb-1"]
    wider.close()
    with pytest.raises(ValueError, match="ef_search must be at least 1"):
        VectorIndex(client, ef_search=0)


def test_writers_of_one_store_take_turns(tmp_path: Path, hashing_embedder: Any) -> None:
    # Two writers of one document used to interleave their Chroma and catalog steps, leaving
    # the catalog with one version and Chroma with the other (and a re-PUT "unchanged").
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    indexer = Indexer(store, hashing_embedder)
    other_process = KnowledgeStore.open(StoreConfig(tmp_path / "store"))  # its own lock file
    outcome: list[str] = []
    doc = Document(id="kb-1", title="請求書", text="請求書払いの申し込み方法。Invoices monthly.",
                   language="ja")
    writer = threading.Thread(target=lambda: outcome.append(indexer.upsert("kb", doc)))
    with other_process.writing(), other_process.writing():  # re-entrant in one thread
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and not outcome  # waiting for the other writer
    writer.join(30)
    assert outcome == ["added"]
    with store.writing():  # the lock is free again, and a writer may call in while holding it
        assert indexer.upsert("kb", replace(doc, text="Invoices are sent monthly.")) == "updated"
        assert indexer.delete("kb", ["kb-1"]) == 1
    assert store.vectors.count("kb") == 0 and store.catalog.chunk_ids("kb") == set()
    store.close()
    other_process.close()


class _GatedEmbedder(HashingEmbedder):
    """Holds its second embed_documents call until released, as a slow batch would."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.calls = 0
        self.in_second_batch = threading.Event()
        self.release = threading.Event()

    def embed_documents(self, texts: Any) -> Any:
        self.calls += 1
        if self.calls == 2:
            self.in_second_batch.set()
            self.release.wait(30)
        return super().embed_documents(texts)


def test_an_upsert_during_a_long_sync_is_stored_between_its_batches(tmp_path: Path) -> None:
    # A re-ingest (ingest_kb.py) used to hold the writer lock while it embedded each batch
    # and took it again at once for the next, so an API upsert from another process waited
    # behind the whole re-ingest. Batches are now embedded before the lock is taken.
    gated = _GatedEmbedder()
    ingest = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    api_side = KnowledgeStore.open(StoreConfig(tmp_path / "store"))  # its own lock file
    articles = [Document(id=f"kb-{i:03d}", title=f"Article {i}", text=f"How to export {i}.",
                         language="en") for i in range(100)]  # two batches
    syncing = threading.Thread(target=lambda: Indexer(ingest, gated).sync("kb", articles))
    syncing.start()
    outcome: list[str] = []
    try:
        assert gated.in_second_batch.wait(30)
        new = Document(id="kb-ja", title="請求書", text="請求書払いの申し込み方法。",
                       language="ja")
        writer = threading.Thread(
            target=lambda: outcome.append(Indexer(api_side, HashingEmbedder(dim=64)).upsert(
                "kb", new)))
        writer.start()
        writer.join(10)
        assert outcome == ["added"], "the upsert waited for the re-ingest's batch to embed"
        assert syncing.is_alive()
    finally:
        gated.release.set()
        syncing.join(30)
    assert not syncing.is_alive()
    assert set(api_side.catalog.hashes("kb")) == {a.id for a in articles} | {"kb-ja"}
    assert api_side.vectors.ids("kb") == api_side.catalog.chunk_ids("kb")
    ingest.close()
    api_side.close()


def test_a_writer_that_embedded_an_older_view_still_removes_the_stale_chunks(
        tmp_path: Path) -> None:
    # A writer embeds before it takes the lock, so another writer may store the same
    # document in between. Whether the document exists, and which chunks it had, must be
    # read under the lock, or the other writer's extra chunks stay in Chroma for good.
    gated = _GatedEmbedder()
    gated.calls = 1  # its first call is the one held
    first = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    second = KnowledgeStore.open(StoreConfig(tmp_path / "store"))  # its own lock file
    short = Document(id="X", title="X", text="Short answer.", language="en")
    long = Document(id="X", title="X", text=" ".join(f"word{i}" for i in range(3000)),
                    language="en")
    outcome: list[str] = []
    writer = threading.Thread(target=lambda: outcome.append(Indexer(first, gated).upsert(
        "kb", short)))
    writer.start()
    try:
        assert gated.in_second_batch.wait(30)
        assert Indexer(second, HashingEmbedder(dim=64)).upsert("kb", long) == "added"
        assert len(second.catalog.chunk_ids("kb")) > 5
    finally:
        gated.release.set()
        writer.join(30)
    assert outcome == ["updated"]  # it found the other writer's version under the lock
    assert first.vectors.ids("kb") == first.catalog.chunk_ids("kb") == {"X#0"}
    first.close()
    second.close()


def test_a_long_lived_writer_repairs_what_a_crashed_one_left(
        tmp_path: Path, hashing_embedder: Any) -> None:
    # The API's Indexer checks the crash flag when it starts; a writer in another process
    # that dies mid-store later leaves the flag up, and the next store must settle it
    # rather than reuse the flag and leave the orphan vectors forever.
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    live = Indexer(store, hashing_embedder)
    live.upsert("kb", Document(id="A", title="A", text="Alpha.", language="en"))
    crashed = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    crashed.catalog.set_meta("pending", "1")  # vectors written, catalog not: then SIGKILL
    crashed.vectors.upsert("kb", ["B#0"], hashing_embedder.embed_documents(["Beta."]),
                           [{"doc_id": "B", "language": "en"}], ["Beta."])
    crashed.close()
    assert live.upsert("kb", Document(id="C", title="C", text="Gamma.", language="en")) == "added"
    assert store.vectors.ids("kb") == store.catalog.chunk_ids("kb") == {"A#0", "C#0"}
    assert store.catalog.get_meta("pending") == "0"
    store.close()


def _ef_search(client: Any, name: str) -> int:
    return int(client.get_collection(name).configuration["hnsw"]["ef_search"])


def test_openai_embeddings_are_selectable(tmp_path: Path) -> None:
    with OpenAIStub() as stub:
        embedder = OpenAIEmbedder(api_key="sk-test", base_url=stub.base_url)
        store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
        Indexer(store, embedder).sync("kb", [Document(id="a", title="A", text="alpha text"),
                                            Document(id="b", title="B", text="beta text")])
        assert store.embedder_name == "openai:text-embedding-3-small"
        vectors = store.vectors.embeddings("kb", ["a#0"])
        assert vectors.shape == (1, embedder.dim)
        store.close()


def test_learning_a_ticket_leaves_the_knowledge_base_indexes_alone(
        tmp_path: Path, hashing_embedder: Any) -> None:
    """Each source has its own generation: a resolution must not rebuild the KB's indexes."""
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    indexer = Indexer(store, hashing_embedder)
    indexer.sync("kb", [Document(id=f"kb-{i}", title=f"Article {i}", text=f"How to export {i}.",
                                 language="en") for i in range(3)])
    indexer.upsert("ticket", Ticket(id="T-1", subject=None, body="Export fails",
                                    resolution="Retry.", tag="bug", language="en"))
    kb_lexical, kb_flat = store.lexical("kb")[0], store.flat_vectors("kb")
    tickets_before = store.lexical("ticket")[0]
    indexer.upsert("ticket", Ticket(id="T-2", subject=None, body="エクスポートできない",
                                    resolution="再試行してください。", tag="bug", language="ja"))
    assert store.lexical("kb")[0] is kb_lexical and store.flat_vectors("kb") is kb_flat
    tickets_after, rows = store.lexical("ticket")
    assert tickets_after is not tickets_before and len(rows) == 2
    indexer.upsert("kb", Document(id="kb-9", title="New", text="Invite members.", language="en"))
    assert store.lexical("kb")[0] is not kb_lexical and store.flat_vectors("kb") is not kb_flat
    assert len(store.lexical("kb")[1]) == 4
    store.close()


def test_the_taxonomy_is_read_again_only_when_its_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retrieval.store
    from retrieval.loaders import TagSpec, Taxonomy, load_taxonomy

    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    assert store.taxonomy() == Taxonomy.default()  # nothing saved yet
    first = Taxonomy((TagSpec("bug", "broken"), TagSpec("請求", "billing questions / 請求")))
    store.save_taxonomy(first)
    reads: list[Path | None] = []

    def counted(path: Path | None) -> Taxonomy:
        reads.append(path)
        return load_taxonomy(path)

    monkeypatch.setattr(retrieval.store, "load_taxonomy", counted)
    assert store.taxonomy() == store.taxonomy() == first
    assert len(reads) == 1
    second = Taxonomy((TagSpec("usage_question", "how do I"),))
    store.save_taxonomy(second)
    assert store.taxonomy() == second
    assert len(reads) == 2
    store.close()


def test_the_hnsw_copy_follows_document_changes_in_both_languages(
        tmp_path: Path, hashing_embedder: Any) -> None:
    """Above the exact copy's limit: built in the background, then kept up to date in place."""
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store", flat_max_chunks=2))
    indexer = Indexer(store, hashing_embedder)
    indexer.sync("kb", [Document(id=f"kb-en-{i}", title=f"Report {i}",
                                 text=f"How to export report {i} as a CSV file.", language="en")
                        for i in range(8)]
                 + [Document(id=f"kb-ja-{i}", title=f"レポート{i}",
                             text=f"レポート{i}をCSVファイルで書き出す方法。", language="ja")
                    for i in range(4)])
    assert store.ann_vectors("kb") is None  # the first call starts the build; Chroma answers
    ann = store.ann_vectors("kb", wait=True)
    assert isinstance(ann, AnnVectors) and len(ann) == len(store.lexical("kb")[1]) == 12
    retriever = HybridRetriever(store, hashing_embedder)

    def top(query: str) -> str:
        return retriever.search(query, k=1, mode="vector")[0].doc_id

    indexer.upsert("kb", Document(id="kb-en-1", title="SAML single sign-on",
                                  text="Configure SAML single sign-on with Okta.", language="en"))
    assert store.ann_vectors("kb") is ann  # updated in place, not rebuilt
    assert top("SAML single sign-on with Okta") == "kb-en-1"
    indexer.upsert("kb", Document(id="kb-ja-2", title="二段階認証",
                                  text="機種変更のときは二段階認証を設定し直してください。",
                                  language="ja"))
    assert store.ann_vectors("kb") is ann and top("機種変更 二段階認証") == "kb-ja-2"
    indexer.delete("kb", ["kb-en-3"])
    assert store.ann_vectors("kb") is ann and len(ann) == 11 and ann.removed == 3
    assert "kb-en-3#0" not in ann
    assert "kb-en-3" not in {h.doc_id for h in retriever.search("export report 3", k=12,
                                                                 mode="vector")}
    # A copy that has lost a quarter of its keys is rebuilt (in the background) instead.
    indexer.upsert("kb", Document(id="kb-en-4", title="Seats", text="Add seats to the plan.",
                                  language="en"))
    assert store.ann_vectors("kb") is None
    rebuilt = store.ann_vectors("kb", wait=True)
    assert rebuilt is not None and rebuilt is not ann and rebuilt.removed == 0
    assert len(rebuilt) == 11 and top("add seats to the plan") == "kb-en-4"
    store.close()


def test_chunks_without_a_vector_are_left_out_of_the_hnsw_copy_until_written_again(
        tmp_path: Path, hashing_embedder: Any) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store", flat_max_chunks=1))
    indexer = Indexer(store, hashing_embedder)
    indexer.sync("kb", [Document(id="kb-1", title="Export", text="Export to CSV.", language="en"),
                        Document(id="kb-2", title="書き出し", text="CSVで書き出す。", language="ja")])
    store.vectors.delete("kb", ["kb-2#0"])  # vectors lost behind the catalog's back
    ann = store.ann_vectors("kb", wait=True)
    assert ann is not None and len(ann) == 1 and "kb-2#0" not in ann
    retriever = HybridRetriever(store, hashing_embedder)
    assert retriever.search("CSVで書き出す", k=2)[0].doc_id == "kb-2"  # BM25 still finds it
    indexer.upsert("kb", Document(id="kb-2", title="書き出し", text="CSVファイルで書き出す。",
                                  language="ja"))
    assert store.ann_vectors("kb") is ann and len(ann) == 2  # added in place
    assert retriever.search("CSVファイルで書き出す", k=1, mode="vector")[0].doc_id == "kb-2"
    store.close()


def test_a_failed_hnsw_copy_leaves_chroma_answering_and_is_tried_again_later(
        tmp_path: Path, hashing_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store", flat_max_chunks=1))
    builds: list[str] = []
    run = store._ann_run

    def counted(source: str, *args: Any) -> None:
        builds.append(source)
        run(source, *args)

    monkeypatch.setattr(store, "_ann_run", counted)
    indexer = Indexer(store, hashing_embedder)
    docs = [Document(id="kb-1", title="Export", text="Export to CSV.", language="en"),
            Document(id="kb-2", title="書き出し", text="CSVで書き出す。", language="ja")]
    indexer.sync("kb", docs)
    stored = store.vectors.stored

    def unreachable(source: str, ids: Any) -> Any:
        raise RuntimeError("Chroma server unreachable")

    monkeypatch.setattr(store.vectors, "stored", unreachable)
    retriever = HybridRetriever(store, hashing_embedder)
    assert store.ann_vectors("kb", wait=True) is None and builds == ["kb"]
    assert retriever.search("Export to CSV", k=2)[0].doc_id == "kb-1"  # through Chroma
    indexer.upsert("kb", Document(id="kb-3", title="Seats", text="Add seats.", language="en"))
    assert store.ann_vectors("kb", wait=True) is None
    assert builds == ["kb"]  # not tried again at once, even after a change
    monkeypatch.setattr(store.vectors, "stored", stored)
    monkeypatch.setattr("retrieval.store.ANN_RETRY_S", 0.0)
    ann = store.ann_vectors("kb", wait=True)
    assert ann is not None and len(ann) == 3 and builds == ["kb", "kb"]
    # An update that fails inside a search drops the copy; the search itself still answers.
    monkeypatch.setattr(store.vectors, "stored", unreachable)
    monkeypatch.setattr("retrieval.store.ANN_RETRY_S", 60.0)
    indexer.upsert("kb", Document(id="kb-4", title="請求書", text="請求書払いの方法。",
                                  language="ja"))
    assert retriever.search("請求書払い", k=1)[0].doc_id == "kb-4"
    assert store.ann_vectors("kb") is None and len(builds) == 2
    store.close()


def test_a_large_change_reaches_the_hnsw_copy_in_the_background(
        tmp_path: Path, hashing_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """More changed chunks than a search should wait for: Chroma answers while they are added."""
    monkeypatch.setattr("retrieval.store.ANN_INLINE_CHANGES", 2)
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store", flat_max_chunks=1,
                                            ann_build_threads=1))
    indexer = Indexer(store, hashing_embedder)
    docs = [Document(id=f"kb-{i}", title=f"Guide {i}", text=f"How to use feature {i}.",
                     language="en" if i % 2 else "ja") for i in range(40)]
    indexer.sync("kb", docs)
    ann = store.ann_vectors("kb", wait=True)
    assert ann is not None and len(ann) == 40
    indexer.sync("kb", docs + [Document(id=f"kb-new-{i}", title=f"新しい記事{i}",
                                        text=f"新機能{i}の使い方。", language="ja")
                               for i in range(3)])
    assert store.ann_vectors("kb") is None  # 3 new chunks > 2: added in the background
    assert store.ann_vectors("kb", wait=True) is ann and len(ann) == 43 and ann.removed == 0
    assert "kb-new-2#0" in ann
    store.close()


def test_an_answer_quotes_a_short_section_whole_and_a_long_one_by_its_chunk(
    tmp_path: Path,
) -> None:
    sentence = "Open Settings, choose Export and pick the CSV format for project {n}. "
    short = "".join(sentence.format(n=i) for i in range(12))  # ~2 chunks, well under 450 tokens
    long = "".join(sentence.format(n=i) for i in range(60))  # ~900 tokens: several chunks
    text = f"# Export\n\n## Short steps\n\n{short}\n\n## Long steps\n\n{long}\n"
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, HashingEmbedder(dim=64), max_tokens=120).sync(
        "kb", [Document(id="kb-export", title="Export", text=text, language="en")])
    retriever = HybridRetriever(store, HashingEmbedder(dim=64))
    rows = store.lexical("kb")[1]
    by_section: dict[int, list[str]] = {}
    for chunk_id, row in rows.items():
        by_section.setdefault(row.section, []).append(chunk_id)
    short_section, long_section = sorted(s for s, ids in by_section.items() if len(ids) > 1)
    short_hit = next(h for h in retriever.search("project 3 CSV format", k=20)
                     if h.section == short_section)
    passage = retriever.passage(short_hit)
    assert sorted(passage.chunk_ids) == sorted(by_section[short_section])
    assert "project 0." in passage.text and "project 11." in passage.text
    long_hit = next(h for h in retriever.search("project 42 CSV format", k=20)
                    if h.section == long_section)
    assert retriever.passage(long_hit).chunk_ids == [long_hit.id]
    assert retriever.passage(long_hit).text == long_hit.text


def test_a_new_process_starts_from_the_saved_hnsw_copy(
        tmp_path: Path, hashing_embedder: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Another API worker, or a restart, loads the copy and fetches only what changed since."""
    path = tmp_path / "store"
    docs = ([Document(id=f"kb-en-{i}", title=f"Report {i}",
                      text=f"How to export report {i} as a CSV file.", language="en")
             for i in range(10)]
            + [Document(id=f"kb-ja-{i}", title=f"レポート{i}",
                        text=f"レポート{i}をCSVファイルで書き出す方法。", language="ja")
               for i in range(4)])
    first = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2))
    indexer = Indexer(first, hashing_embedder)
    indexer.sync("kb", docs)
    assert first.ann_vectors("kb", wait=True) is not None
    assert (path / "ann" / "kb" / "current").is_file()
    # Changed after the snapshot was saved; this process never searches again, so only the
    # next process sees the change.
    indexer.upsert("kb", Document(id="kb-en-1", title="SAML single sign-on",
                                  text="Configure SAML single sign-on with Okta.", language="en"))
    first.close()

    def opened(**options: Any) -> tuple[KnowledgeStore, list[str]]:
        store = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2, **options))
        fetched: list[str] = []
        stored = store.vectors.stored

        def counting(source: str, ids: Any) -> Any:
            fetched.extend(ids)
            return stored(source, ids)

        monkeypatch.setattr(store.vectors, "stored", counting)
        return store, fetched

    saved = (path / "ann" / "kb" / "current").read_text()
    queries = ("SAML single sign-on with Okta", "export report 7", "レポート2 書き出す")

    def results(store: KnowledgeStore) -> list[list[tuple[str, float]]]:
        retriever = HybridRetriever(store, hashing_embedder)
        return [[(h.id, round(h.vector_score or 0, 5))
                 for h in retriever.search(query, k=5, mode="vector")] for query in queries]

    second, fetched = opened()
    loaded = second.ann_vectors("kb", wait=True)
    assert loaded is not None and len(loaded) == 14
    assert fetched == ["kb-en-1#0"]  # one chunk from Chroma, not fourteen
    from_snapshot = results(second)
    second.close()
    fresh, fetched_fresh = opened(ann_snapshots=False)
    built = fresh.ann_vectors("kb", wait=True)
    assert built is not None and len(fetched_fresh) == 14
    assert results(fresh) == from_snapshot  # the same as a copy built from Chroma
    fresh.close()

    # One chunk to catch up with is not worth a new snapshot: the first one stays current.
    current = (path / "ann" / "kb" / "current").read_text()
    assert current == saved
    # A damaged snapshot: built anew, with a warning, and nothing fails.
    (path / "ann" / "kb" / current / "ids.json").write_text("{")
    third, fetched = opened()
    with caplog.at_level("WARNING", logger="retrieval.store"):
        rebuilt = third.ann_vectors("kb", wait=True)
    assert rebuilt is not None and len(rebuilt) == 14 and len(fetched) == 14
    assert "could not load the HNSW snapshot of kb" in caplog.text
    third.close()
    assert (path / "ann" / "kb" / "current").read_text() != current  # the rebuild was saved
    # A store whose vectors came from another model does not use it.
    fourth, fetched = opened()
    fourth.catalog.set_meta("embedder", "another-model")
    assert fourth.ann_vectors("kb", wait=True) is not None and len(fetched) == 14
    fourth.close()


def _generated(n: int, note: str = "") -> list[Document]:
    return [Document(id=f"kb-{i}", title=f"Report {i}",
                     text=f"How to export report {i} as a CSV file.{note}", language="en")
            for i in range(n)]


def test_hnsw_snapshots_are_kept_few_and_never_break_a_search(
        tmp_path: Path, hashing_embedder: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    import retrieval.store

    path = tmp_path / "store"
    root = path / "ann" / "kb"

    def ready(**options: Any) -> tuple[KnowledgeStore, AnnVectors | None]:
        store = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2, **options))
        return store, store.ann_vectors("kb", wait=True)

    store = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2))
    Indexer(store, hashing_embedder).sync("kb", _generated(12))
    store.close()
    off, copy = ready(ann_snapshots=False)
    assert copy is not None and len(copy) == 12 and not (path / "ann").exists()
    off.close()

    first, _ = ready()
    first.close()
    saved = (root / "current").read_text()
    (root / "current.stale.tmp").write_text("left by a crashed save")
    # Four of twelve documents edited: more removals than a quarter of the copy, so the
    # next process builds anew rather than load a copy that would be mostly tombstones.
    editor = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2))
    Indexer(editor, hashing_embedder).sync("kb", _generated(4, " Edited."),
                                           delete_missing=False)
    editor.close()
    monkeypatch.setattr(retrieval.store, "_SNAPSHOT_KEEP_S", -1.0)  # nothing is kept long
    with caplog.at_level("INFO", logger="retrieval.store"):
        second, copy = ready()
    assert copy is not None and copy.removed == 0 and len(copy) == 12
    assert "changed since its snapshot; building anew" in caplog.text
    second.close()
    # The rebuild was saved; the one it replaced and the stale pointer file are gone.
    current = (root / "current").read_text()
    assert current != saved
    assert sorted(p.name for p in root.iterdir()) == sorted([current, "current", "save.lock"])

    # A catalog that changed while the copy was built: not saved (a chunk edited and put back
    # meanwhile could hold the other version's vector), but served.
    third = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2, ann_snapshots=True))
    third.catalog.set_meta("embedder", "another-model")  # the snapshot is not usable
    generation = third.catalog.generation

    def moving(source: str, *, fresh: bool = False) -> int:
        return generation(source) + (1 if fresh else 0)

    monkeypatch.setattr(third.catalog, "generation", moving)
    with caplog.at_level("INFO", logger="retrieval.store"):
        assert third.ann_vectors("kb", wait=True) is not None
    assert "not saved, the catalog changed meanwhile" in caplog.text
    assert (root / "current").read_text() == current
    # Put the model back: a store whose vectors are another model's is searched without them.
    third.catalog.set_meta("embedder", hashing_embedder.name)
    third.close()

    # A store folder where snapshots cannot be written: logged, and the copy is served.
    shutil.rmtree(path / "ann")
    (path / "ann").write_text("not a folder")
    caplog.clear()
    with caplog.at_level("WARNING", logger="retrieval.store"):
        fourth, copy = ready()
    assert copy is not None and len(copy) == 12
    assert "could not save the HNSW copy of kb" in caplog.text
    hits = HybridRetriever(fourth, hashing_embedder).search("export report 3", k=1, mode="vector")
    assert hits[0].doc_id == "kb-3"
    fourth.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_a_hnsw_snapshot_is_on_disk_before_it_is_named_current(
        tmp_path: Path, hashing_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a crash or power loss the pointer never names files still in the page cache."""
    import os

    events: list[str] = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(self: Path, target: Any) -> Path:
        events.append(f"replace {self} -> {target}")
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    path = tmp_path / "store"
    store = KnowledgeStore.open(StoreConfig(path, flat_max_chunks=2))
    Indexer(store, hashing_embedder).sync("kb", [
        Document(id=f"kb-{i}", title=f"Report {i}", text=f"How to export report {i} as CSV.",
                 language="en") for i in range(6)])
    assert store.ann_vectors("kb", wait=True) is not None
    store.close()
    root = path / "ann" / "kb"
    folder = root / (root / "current").read_text().strip()
    published = next(n for n, e in enumerate(events) if e.endswith(f"-> {root / 'current'}"))
    flushed = {e.removeprefix("fsync ") for e in events[:published] if e.startswith("fsync ")}
    files = {str(f) for f in folder.iterdir()}
    assert files and files <= flushed, files - flushed
    assert str(folder) in flushed  # the folder's entries too
    assert any(e.startswith(f"fsync {root}/current.") for e in events[:published])  # pointer
    assert f"fsync {root}" in events[published:]  # and the rename


def test_chroma_is_opened_once_when_threads_ask_for_it_together(tmp_path: Path) -> None:
    """A worker loading the HNSW snapshot and the first search opened Chroma at the same time,
    and Chroma's shared-system registry raised KeyError for one of them."""
    import time

    opened: list[int] = []

    def slow_factory() -> Any:
        opened.append(1)
        time.sleep(0.05)  # opening Chroma takes a while: the window two threads met in
        return VectorIndex.open(tmp_path / "fake").client

    for index in (VectorIndex(slow_factory), VectorIndex.open(tmp_path / "real")):
        start = threading.Barrier(8)
        errors: list[BaseException] = []
        seen: list[Any] = []

        def ask(index: VectorIndex = index, start: threading.Barrier = start,
                errors: list[BaseException] = errors, seen: list[Any] = seen) -> None:
            start.wait()
            try:
                seen.append(index._collection("kb" if len(seen) % 2 else "ticket"))
                seen.append(index.client)
            except BaseException as exc:  # the test reports any of them
                errors.append(exc)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len({id(c) for c in seen if not hasattr(c, "count")}) == 1  # one client
        index.close()
        assert index._collection("kb").count() == 0  # opened again after close
        index.close()
    assert opened == [1, 1]
