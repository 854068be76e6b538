"""Chunks in a language the embedding model cannot read get no vector; BM25 serves them.

The local MiniLM is English-only (Japanese is mostly [UNK]): its Japanese vectors ranked the
demo eval's Japanese cases worse than BM25 alone, and embedding them was ~43 % of the demo
ingest's model work.
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.factory import train_tagger
from retrieval.catalog import Catalog
from retrieval.embeddings import FloatArray, HashingEmbedder
from retrieval.indexer import Indexer
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document, Ticket

pytestmark = pytest.mark.integration


class EnglishOnly(HashingEmbedder):
    """The fake embedder, declaring (like the local MiniLM) that it reads English only."""

    languages = frozenset({"en"})

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.embedded: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: Any) -> FloatArray:
        self.embedded += list(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> FloatArray:
        self.queries.append(text)
        return super().embed_query(text)


def documents() -> list[Document]:
    return [
        Document(id="kb-export", title="Export", text="Export a project as a CSV file.",
                 language="en"),
        Document(id="kb-sso", title="SAML SSO", text="Configure SAML single sign-on with Okta.",
                 language="en"),
        Document(id="kb-ja-export", title="書き出し",
                 text="プロジェクトをCSVファイルで書き出す方法。", language="ja"),
        Document(id="kb-ja-2sv", title="二段階認証",
                 text="機種変更のときは二段階認証を設定し直してください。", language="ja"),
    ]


def test_only_the_models_languages_are_embedded_and_searched_by_vector(tmp_path: Path) -> None:
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    indexer = Indexer(store, embedder)
    report = indexer.sync("kb", documents())
    assert (report.added, report.chunks, report.embedded) == (4, 4, 2)
    assert "4 chunks (2 embedded)" in report.line("kb")
    assert store.vector_languages == frozenset({"en"})
    assert store.vectors.ids("kb") == {"kb-export#0", "kb-sso#0"}
    assert all(not any("\u3040" <= ch <= "\u9fff" for ch in text) for text in embedder.embedded)
    assert len(store.lexical("kb")[1]) == 4  # BM25 knows every chunk
    flat = store.flat_vectors("kb")
    assert flat is not None and len(flat.ids) == 2

    retriever = HybridRetriever(store, embedder)
    embedder.queries.clear()
    hits = retriever.search("二段階認証を設定し直す", k=2)
    assert hits[0].doc_id == "kb-ja-2sv" and hits[0].vector_score is None
    assert hits[0].lexical_score is not None
    assert embedder.queries == []  # the query was not embedded for nothing
    assert retriever.search("二段階認証を設定し直す", k=2, mode="vector") == []
    embedder.queries.clear()
    english = retriever.search("SAML single sign-on", k=1)[0]
    assert english.doc_id == "kb-sso" and english.vector_score is not None
    assert embedder.queries == ["SAML single sign-on"]

    # Unchanged: nothing is embedded again, and a new indexer finds nothing to repair.
    embedder.embedded.clear()
    again = Indexer(store, embedder).sync("kb", documents())
    assert (again.unchanged, again.added, again.updated) == (4, 0, 0)
    assert embedder.embedded == []
    store.close()


def test_a_japanese_edit_or_interrupted_write_does_not_bring_vectors_back(tmp_path: Path) -> None:
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    indexer = Indexer(store, embedder)
    indexer.sync("kb", documents())
    indexer.upsert("kb", Document(id="kb-ja-export", title="書き出し",
                                  text="プロジェクトをJSONファイルで書き出す方法。", language="ja"))
    # An English article rewritten in Japanese loses its vector.
    indexer.upsert("kb", Document(id="kb-sso", title="シングルサインオン",
                                  text="OktaでSAMLシングルサインオンを設定します。", language="ja"))
    assert store.vectors.ids("kb") == {"kb-export#0"}
    # A writer that stopped mid-step: the repair neither re-embeds Japanese documents nor
    # leaves a stray vector behind.
    store.vectors.upsert("kb", ["kb-ja-2sv#0"], np.ones((1, 64), dtype=np.float32),
                         [{"doc_id": "kb-ja-2sv", "language": "ja"}], ["stray"])
    store.catalog.set_meta("pending", "1")
    repaired = Indexer(store, embedder)
    assert store.vectors.ids("kb") == {"kb-export#0"}
    docs = [*documents()[:1],
            Document(id="kb-sso", title="シングルサインオン",
                     text="OktaでSAMLシングルサインオンを設定します。", language="ja"),
            Document(id="kb-ja-export", title="書き出し",
                     text="プロジェクトをJSONファイルで書き出す方法。", language="ja"),
            documents()[3]]
    assert repaired.sync("kb", docs).unchanged == 4
    store.close()


def test_a_store_written_before_follows_the_models_languages(tmp_path: Path) -> None:
    """Vectors of every language (an older store), then the model's only, then all again."""
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, embedder, vector_languages=None).sync("kb", documents())
    assert len(store.vectors.ids("kb")) == 4 and store.vector_languages is None
    before = store.flat_vectors("kb")
    assert before is not None and len(before.ids) == 4
    assert isinstance(store.catalog, Catalog)
    with store.catalog.transaction() as db:  # as a store from before the setting
        db.execute("DELETE FROM meta WHERE key = 'vector_languages'")

    indexer = Indexer(store, embedder)
    assert store.vectors.ids("kb") == {"kb-export#0", "kb-sso#0"}
    assert store.vector_languages == frozenset({"en"})
    after = store.flat_vectors("kb")  # a copy made before the switch is not kept
    assert after is not None and len(after.ids) == 2
    assert indexer.sync("kb", documents()).unchanged == 4

    # A model that reads every language: the Japanese documents are embedded again.
    everything = Indexer(store, embedder, vector_languages=None)
    report = everything.sync("kb", documents())
    assert (report.updated, report.unchanged, report.embedded) == (2, 2, 2)
    assert len(store.vectors.ids("kb")) == 4
    store.close()


def test_the_hnsw_copy_holds_the_embedded_languages_without_looking_for_the_rest(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store", flat_max_chunks=1))
    indexer = Indexer(store, embedder)
    more = [Document(id=f"kb-report-{i}", title=f"Report {i}", text=f"Export report {i}.",
                     language="en") for i in range(6)]
    indexer.sync("kb", documents() + more)
    ann = store.ann_vectors("kb", wait=True)
    assert ann is not None and len(ann) == 8 and "kb-ja-export#0" not in ann
    looked_up: list[list[str]] = []
    stored = store.vectors.stored

    def counted(source: str, ids: Any) -> Any:
        looked_up.append(list(ids))
        return stored(source, ids)

    store.vectors.stored = counted  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="retrieval.store"):
        indexer.upsert("kb", Document(id="kb-export", title="Export",
                                      text="Export a project as a JSON file.", language="en"))
        assert store.ann_vectors("kb") is ann and len(ann) == 8  # updated in place
    assert looked_up == [["kb-export#0"]]  # not the Japanese chunks, which have no vector
    assert "no vector" not in caplog.text
    store.close()


def test_the_tagger_learns_japanese_tickets_from_their_terms(tmp_path: Path) -> None:
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    tickets = [Ticket(id=f"T-{i}", subject=subject, body=body, language=language, tag=tag,
                      resolution="Done.")
               for i, (subject, body, language, tag) in enumerate([
                   ("Export crashes", "The CSV export crashes with an error.", "en", "bug"),
                   ("Export broken", "Export fails with error 500 every time.", "en", "bug"),
                   ("How to export", "How do I export a project to CSV?", "en", "usage_question"),
                   ("Export question", "Where is the export button?", "en", "usage_question"),
                   ("書き出しエラー", "CSVの書き出しでエラーになり落ちます。", "ja", "bug"),
                   ("書き出し不具合", "書き出しが毎回エラーで失敗します。", "ja", "bug"),
                   ("書き出し方法", "CSVで書き出す方法を教えてください。", "ja", "usage_question"),
                   ("書き出しの場所", "書き出しボタンはどこですか。", "ja", "usage_question"),
               ])]
    Indexer(store, embedder).sync("ticket", tickets)
    assert len(store.vectors.ids("ticket")) == 4
    tagger = train_tagger(store, embedder)
    zero = np.zeros(embedder.dim, dtype=np.float32)
    assert tagger.predict("書き出しでエラーになり落ちます", zero).tag == "bug"
    assert tagger.predict("書き出す方法を教えてください", zero).tag == "usage_question"
    assert tagger.predict("The export crashes with an error",
                          embedder.embed_query("The export crashes with an error")).tag == "bug"
    store.close()


def test_a_lost_english_vector_is_reported_and_a_language_string_refused(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    with pytest.raises(ValueError, match="collection of language codes"):
        Indexer(store, embedder, vector_languages="en")
    Indexer(store, embedder).sync("ticket", [
        Ticket(id="T-1", body="The export crashes.", language="en", tag="bug"),
        Ticket(id="T-2", body="書き出しで落ちます。", language="ja", tag="bug"),
        Ticket(id="T-3", body="How do I export?", language="en", tag="usage_question")])
    store.vectors.delete("ticket", ["T-1"])  # lost behind the catalog's back
    with caplog.at_level(logging.WARNING, logger="kotae.agent"):
        train_tagger(store, embedder)
    assert "1 labelled tickets have no vector (e.g. T-1)" in caplog.text
    store.close()


def test_a_region_qualified_language_is_embedded_as_its_language(tmp_path: Path) -> None:
    # A help-desk export writes "en-US" and "ja-JP": the model reads "en", so the first is
    # embedded and the second is not, exactly as with bare codes.
    embedder = EnglishOnly()
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    docs = [Document(id="kb-us", title="Export", text="Export a project as a CSV file.",
                     language="en-US"),
            Document(id="kb-jp", title="書き出し", text="プロジェクトをCSVで書き出す。",
                     language="ja-JP")]
    report = Indexer(store, embedder).sync("kb", docs)
    assert (report.chunks, report.embedded) == (2, 1)
    assert store.vectors.ids("kb") == {"kb-us#0"}
    rows = store.lexical("kb")[1]
    assert {r.doc_id: r.language for r in rows.values()} == {"kb-us": "en", "kb-jp": "ja"}
    retriever = HybridRetriever(store, embedder)
    for tag in ("en", "en-US"):  # a caller's tag finds what was stored as "en"
        hit = retriever.search("export a project to CSV", k=1, language=tag,
                               query_language=tag)[0]
        assert hit.doc_id == "kb-us" and hit.vector_score is not None
    assert retriever.search("CSVで書き出す", k=1, language=["ja-JP"])[0].doc_id == "kb-jp"
