"""A store follows its embedding model, and a model that reads both languages searches across them.

Real Chroma, the real local models (MiniLM, English only; multilingual-e5-small, every
language): changing KOTAE_EMBEDDER on an existing store re-embeds every chunk, never leaving
vectors of two models side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.chunking import embedded_text
from retrieval.embeddings import HashingEmbedder
from retrieval.indexer import Indexer
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document, Ticket

pytestmark = pytest.mark.integration


def documents() -> list[Document]:
    return [
        Document(id="kb-slack", title="Connect Slack",
                 text="Open Workspace settings > Integrations > Slack and click Connect. Pick "
                      "the channels that receive task notifications.", language="en"),
        Document(id="kb-password", title="Reset your password",
                 text="On the sign-in page choose Forgot password; we e-mail you a link that "
                      "is valid for 30 minutes.", language="en"),
        Document(id="kb-export", title="Export a project",
                 text="Export a project as CSV or JSON from the project menu > Export.",
                 language="en"),
        Document(id="kb-ja-invoice", title="請求書払い（銀行振込）の申し込み",
                 text="Businessプランで10シート以上のお客様は、請求書に基づく銀行振込でお支払い"
                      "いただけます。「請求」＞「支払い方法」から申し込んでください。",
                 language="ja"),
        Document(id="kb-ja-2sv", title="2段階認証の設定",
                 text="「プロフィール」＞「セキュリティ」で認証アプリを登録します。機種変更の前に"
                      "設定を移してください。", language="ja"),
        Document(id="kb-ja-calendar", title="Googleカレンダー連携",
                 text="期限のあるタスクをGoogleカレンダーに表示できます。「連携」からGoogle"
                      "アカウントを接続してください。", language="ja"),
    ]


def tickets() -> list[Ticket]:
    return [Ticket(id="T-1", subject="Slack", body="Slack notifications stopped after the update",
                   resolution="Reconnect Slack in Integrations.", tag="bug", language="en"),
            Ticket(id="T-2", subject=None, body="請求書払いに変更したいです",
                   resolution="「支払い方法」から申し込めます。", tag="usage_question",
                   language="ja")]


def _stored(store: KnowledgeStore, source: str) -> dict[str, np.ndarray]:
    return store.vectors.stored(source, sorted(store.catalog.chunk_ids(source)))


def _made_by(embedder: Any, store: KnowledgeStore, source: str) -> float:
    """Return the worst cosine between each stored vector and what `embedder` makes of its
    chunk: ~1 when every vector is that model's."""
    _, rows = store.lexical(source)
    stored = _stored(store, source)
    ids = sorted(stored)
    fresh = embedder.embed_documents([embedded_text(rows[i].source, rows[i].title,
                                                    rows[i].heading, rows[i].text) for i in ids])
    return float(min(float(stored[i] @ fresh[n]) for n, i in enumerate(ids)))


def test_changing_the_model_re_embeds_every_chunk_and_back(
        tmp_path: Path, local_embedder: Any, e5_embedder: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    indexer = Indexer(store, local_embedder)
    indexer.sync("kb", documents())
    indexer.sync("ticket", tickets())
    english = {c for c in store.catalog.chunk_ids("kb") if not c.startswith("kb-ja-")}
    assert set(_stored(store, "kb")) == english  # MiniLM embeds English chunks only

    with caplog.at_level(logging.WARNING, logger="retrieval.indexer"):
        e5 = Indexer(store, e5_embedder)
    assert "re-embedding its 5 chunks" not in caplog.text  # every chunk, Japanese too
    assert f"this run uses {e5_embedder.name}: re-embedding its 8 chunks" in caplog.text
    assert "re-embedded 8 chunks" in caplog.text
    assert store.embedder_name == e5_embedder.name and store.vector_languages is None
    for source in ("kb", "ticket"):
        assert set(_stored(store, source)) == store.catalog.chunk_ids(source)
        assert _made_by(e5_embedder, store, source) > 0.999  # no MiniLM vector left
    # The documents' hashes now name the new model: a sync re-embeds nothing.
    report = e5.sync("kb", documents())
    assert (report.unchanged, report.updated, report.embedded) == (6, 0, 0)

    # Searching works, across languages: the English Slack article for a Japanese question.
    retriever = HybridRetriever(store, e5_embedder)
    hits = retriever.search("Slackと連携する方法を教えてください", k=3, mode="vector",
                            group_by_document=True)
    assert hits[0].doc_id == "kb-slack" and hits[0].vector_score is not None

    # And back: MiniLM's vectors again, the Japanese chunks without one.
    Indexer(store, local_embedder)
    assert set(_stored(store, "kb")) == english
    assert _made_by(local_embedder, store, "kb") > 0.999
    assert store.embedder_name == local_embedder.name
    store.close()


def test_a_model_of_another_dimension_gets_a_new_collection(
        tmp_path: Path, local_embedder: Any) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, local_embedder).sync("kb", documents())
    small = HashingEmbedder(dim=64)
    small.name = "hashing-64"
    Indexer(store, small)
    assert store.vectors.dimension("kb") == 64  # Chroma would refuse 64-d rows in a 384-d one
    assert set(_stored(store, "kb")) == store.catalog.chunk_ids("kb")
    store.close()


def test_a_searcher_with_another_model_does_not_read_the_stores_vectors(
        tmp_path: Path, local_embedder: Any, e5_embedder: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, e5_embedder).sync("kb", documents())
    stale = HybridRetriever(store, local_embedder)  # a process that still runs MiniLM
    with caplog.at_level(logging.WARNING, logger="retrieval.search"):
        hits = stale.search("Connect Slack to get notifications", k=3)
    assert hits and all(h.vector_score is None for h in hits)  # BM25 alone
    assert "searching without them" in caplog.text
    assert not stale.search("Connect Slack", k=3, mode="vector")
    store.close()


def test_an_interrupted_re_embedding_is_finished_by_the_next_writer(
        tmp_path: Path, local_embedder: Any, e5_embedder: Any) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, local_embedder).sync("kb", documents())
    store.begin_reembedding()  # then the process died: the store is between models
    store.vectors.drop("kb")
    assert store.embedder_name == ""
    assert not HybridRetriever(store, local_embedder).search("Slack", k=3, mode="vector")
    Indexer(store, e5_embedder)
    assert store.embedder_name == e5_embedder.name
    assert set(_stored(store, "kb")) == store.catalog.chunk_ids("kb")
    assert _made_by(e5_embedder, store, "kb") > 0.999
    store.close()


@pytest.mark.parametrize(("question", "language", "answer"), [
    ("Slackと連携するにはどうすればいいですか？", "ja", "kb-slack"),
    ("プロジェクトをCSVで書き出すことはできますか？", "ja", "kb-export"),
    ("How do I register an authenticator app for two-step verification?", "en", "kb-ja-2sv"),
    ("How do I show tasks with due dates in Google Calendar?", "en", "kb-ja-calendar"),
])
def test_a_question_finds_the_only_answer_in_the_other_language_by_vector(
        tmp_path: Path, e5_embedder: Any, question: str, language: str, answer: str) -> None:
    store = KnowledgeStore.open(StoreConfig(tmp_path / "store"))
    Indexer(store, e5_embedder).sync("kb", documents())
    retriever = HybridRetriever(store, e5_embedder)
    hits = retriever.search(question, k=3, mode="vector", group_by_document=True,
                            query_language=language)
    assert hits[0].doc_id == answer, [(h.doc_id, round(h.vector_score or 0, 3)) for h in hits]
    hybrid = retriever.search(question, k=3, group_by_document=True, query_language=language)
    assert answer in [h.doc_id for h in hybrid]
    store.close()


DEMO_KB = Path(__file__).resolve().parents[2] / "data" / "demo" / "kb"
#: English articles and, for each, a Japanese question of the demo eval only it answers;
#: beside them Japanese articles on neighbouring subjects (the demo's own).
MIXED = ["kb-accessibility", "kb-forms", "kb-api-tokens-and-rate-limits",
         "kb-ja-getting-started", "kb-ja-members-and-roles", "kb-ja-two-step-verification",
         "kb-ja-plans-and-pricing", "kb-ja-security-compliance", "kb-ja-ime-enter-safari"]


@pytest.mark.parametrize(("question", "answer"), [
    ("スクリーンリーダーには対応していますか？視覚障害のある社員がいます。", "kb-accessibility"),
    ("APIを叩いていたら429が返ってきました。Businessプランの上限っていくつですか？",
     "kb-api-tokens-and-rate-limits"),
])
def test_without_the_language_offset_a_japanese_article_outranks_the_english_answer(
        e5_article_store: Callable[[Sequence[str]], Path], e5_embedder: Any, question: str,
        answer: str) -> None:
    """The same-language bias the calibrated merge corrects (CosineScale.cross_language)."""
    from retrieval.loaders import load_knowledge_base

    # The articles indexed once for both questions (only read here).
    files = [Path(d.origin).name for d in load_knowledge_base(DEMO_KB).documents
             if d.id in MIXED and d.origin]
    assert len(files) == len(MIXED)
    store = KnowledgeStore.open(StoreConfig(e5_article_store(files)))
    try:
        assert set(store.catalog.hashes("kb")) == set(MIXED)
        ranked = {}
        for label, embedder in (("calibrated", e5_embedder),
                                ("plain", _PlainCosines(e5_embedder))):
            hits = HybridRetriever(store, embedder).search(
                question, k=len(MIXED), mode="vector", group_by_document=True,
                query_language="ja")
            ranked[label] = [h.doc_id for h in hits]
    finally:
        store.close()
    assert ranked["calibrated"][0] == answer, ranked
    assert ranked["plain"][0].startswith("kb-ja-"), ranked


class _PlainCosines:
    """The e5 embedder with no cross-language offset in its scale."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name, self.dim, self.languages = inner.name, inner.dim, inner.languages
        self.cosine_scale = replace(inner.cosine_scale, cross_language=0.0)
        self.cosine_scales = {lang: replace(scale, cross_language=0.0)
                              for lang, scale in inner.cosine_scales.items()}

    def embed_query(self, text: str) -> Any:
        return self._inner.embed_query(text)

    def embed_documents(self, texts: Any) -> Any:
        return self._inner.embed_documents(texts)


def test_ingest_kb_follows_kotae_embedder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, e5_files: Any) -> None:
    import ingest_kb
    from settings import load_settings

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "slack.md").write_text("# Connect Slack\n\nOpen Integrations > Slack and click "
                                 "Connect.\n", encoding="utf-8")
    (kb / "ja-invoice.md").write_text("# 請求書払い\n\n「請求」＞「支払い方法」から申し込めます。\n",
                                      encoding="utf-8")
    store_dir = tmp_path / "store"
    argv = ["--kb", str(kb), "--store", str(store_dir), "--no-progress"]
    monkeypatch.setenv("KOTAE_EMBEDDER", "local")
    assert ingest_kb.run(argv) == 0  # MiniLM: the English chunk only
    assert "2 chunks (1 embedded)" in capsys.readouterr().out

    monkeypatch.setenv("KOTAE_EMBEDDER", "e5")
    with caplog.at_level(logging.WARNING, logger="retrieval.indexer"):
        assert ingest_kb.run(argv) == 0
    assert "re-embedded 2 chunks with local-multilingual-e5-small-int8" in caplog.text
    assert "added 0, updated 0, unchanged 2" in capsys.readouterr().out  # nothing twice
    store = KnowledgeStore.open(StoreConfig(store_dir))
    assert store.embedder_name == load_settings().embedder_name
    assert store.vectors.count("kb") == 2
    store.close()


def test_the_embedder_setting_names_each_model(e5_files: Any) -> None:
    from errors import ConfigError
    from retrieval.embeddings import LocalE5Embedder
    from settings import load_settings

    e5 = load_settings(embedder="e5")
    assert e5.embedder_name == "local-multilingual-e5-small-int8"
    assert e5.embedder_languages is None
    assert isinstance(e5.embedder_factory()(), LocalE5Embedder)
    assert load_settings(embedder="local").embedder_languages == frozenset({"en"})
    assert load_settings().embedder == "e5"  # the default reads both languages
    with pytest.raises(ConfigError, match="'local', 'e5' or 'openai'"):
        load_settings(embedder="minilm")
