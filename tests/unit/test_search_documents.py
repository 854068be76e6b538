"""Document search: a list of links does not rank its article, and the whole document's
similarity counts (retrieval.search.FusionConfig.links_weight and document_weight)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.embeddings import REFERENCE_SCALE, HashingEmbedder
from retrieval.indexer import Indexer
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document

CURRENCY = Document(
    id="kb-currency", title="Expenses paid abroad", language="en", text=(
        "# Expenses paid abroad\n\nEnter what you paid in the currency of the receipt.\n\n"
        "## Conversion\n\nAmounts are converted with the rate of the previous business day.\n"))
TRAVEL = Document(
    id="kb-travel", title="Travel allowances", language="en", text=(
        "# Travel allowances\n\nSet daily allowances for business trips.\n\n"
        "## Daily allowance\n\nSet one amount per day and per grade.\n\n"
        "## Related articles\n\n"
        "- [Foreign currency exchange rate](https://help.example/foreign-currency-exchange-rate)\n"
        "- [Approval flows](https://help.example/approval-flows)\n"))
# One thread about exports throughout, one about settings whose last section mentions exports.
EXPORTS = Document(
    id="kb-exports", title="Exports", language="en", text=(
        "# Exports\n\nExport tasks to CSV.\n\n## CSV export columns\n\nThe CSV export has one "
        "row per task.\n\n## CSV export size\n\nA CSV export holds up to 10,000 tasks.\n"))
SETTINGS = Document(
    id="kb-settings", title="Settings", language="en", text=(
        "# Settings\n\nChange the workspace name.\n\n## Themes\n\nPick a dark or light theme.\n\n"
        "## Time zone\n\nPick the time zone of the workspace.\n\n## CSV export\n\n"
        "Export tasks to CSV export from the settings page.\n"))


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:
    store = KnowledgeStore.open(StoreConfig(Path(tmp_path_factory.mktemp("store"))))
    embedder = HashingEmbedder(dim=128)
    Indexer(store, embedder).sync("kb", [CURRENCY, TRAVEL, EXPORTS, SETTINGS])
    return HybridRetriever(store, embedder)


@pytest.mark.parametrize("mode", ["hybrid", "vector"])
def test_a_related_articles_list_does_not_rank_its_own_article(
        retriever: HybridRetriever, mode: str) -> None:
    query = "exchange rate of a currency"
    fusion = retriever.fusion
    try:
        retriever.fusion = replace(fusion, links_weight=1.0)
        unweighted = retriever.search(query, k=4, mode=mode)  # type: ignore[arg-type]
        retriever.fusion = replace(fusion, links_weight=0.5)
        weighted = retriever.search(query, k=4, mode=mode)  # type: ignore[arg-type]
    finally:
        retriever.fusion = fusion
    links = next(h for h in unweighted if h.heading == "Related articles")
    again = next(h for h in weighted if h.id == links.id)
    assert again.score == pytest.approx(links.score * 0.5)
    # The list matched the question best by its words; weighted, the article about it leads.
    assert unweighted[0].id == links.id
    assert weighted[0].doc_id == "kb-currency"


def test_a_documents_vector_evidence_blends_its_chunk_with_the_whole_document(
        retriever: HybridRetriever) -> None:
    query = "CSV export"
    fusion = retriever.fusion
    try:
        retriever.fusion = replace(fusion, document_weight=0.0)
        chunks = retriever.search(query, k=4, mode="vector", group_by_document=True)
        retriever.fusion = replace(fusion, document_weight=0.5)
        documents = retriever.search(query, k=4, mode="vector", group_by_document=True)
        ungrouped = retriever.search(query, k=4, mode="vector")
    finally:
        retriever.fusion = fusion
    embedding = retriever.embedder.embed_query(query)
    for hit in chunks:  # the chunk's own cosine, on the reference scale (this model's)
        assert hit.vector_reference == pytest.approx(REFERENCE_SCALE.to_reference(
            hit.vector_score or 0.0))
    for hit in documents:
        ids = [c for s in retriever.sections("kb", hit.doc_id) if not s.links_only
               for c in s.chunk_ids]  # a list of links says nothing about its document
        cosines = retriever.store.similarities("kb", embedding, ids)
        mean = sum(cosines.values()) / len(cosines)
        assert hit.vector_reference == pytest.approx(0.5 * (hit.vector_score or 0.0) + 0.5 * mean)
    # The article about exports throughout ranks above the one with one section on them.
    order = [h.doc_id for h in documents]
    assert order.index("kb-exports") < order.index("kb-settings")
    # A search for chunks (past tickets, the LLM's context) ranks on the chunk alone.
    assert all(h.vector_reference == pytest.approx(h.vector_score) for h in ungrouped)
