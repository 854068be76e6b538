"""Hybrid search: Chroma vectors and BM25 side by side, fused by reciprocal rank."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from retrieval.catalog import ChunkRow
from retrieval.embeddings import CosineScale, Embedder, cosine_scale, reads
from retrieval.passages import (
    QUOTE_MAX_TOKENS,
    Passage,
    PassageSelector,
    QuestionView,
    SectionView,
    document_sections,
    links_only,
)
from retrieval.store import KnowledgeStore
from retrieval.textproc import detect_language, language_code
from retrieval.vectors import AnnVectors, FlatVectors, VectorHit

Mode = Literal["hybrid", "vector", "lexical"]

log = logging.getLogger(__name__)
_Value = TypeVar("_Value")


def _of_generation(caches: dict[str, tuple[dict[str, ChunkRow], dict[str, _Value]]],
                   source: str, rows: dict[str, ChunkRow]) -> dict[str, _Value]:
    """Return a source's cache for the store's current chunk rows, emptied when the rows are
    a new generation (an ingest replaced them)."""
    cached = caches.get(source)
    if cached is None or cached[0] is not rows:
        cached = caches[source] = (rows, {})
    return cached[1]


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk, with where it came from and why it ranked."""

    id: str
    doc_id: str
    source: str
    title: str
    url: str | None
    language: str
    text: str
    heading: str
    section: int
    score: float  # fused reciprocal-rank score
    vector_score: float | None  # cosine similarity, when the vector leg found it
    lexical_score: float | None  # BM25, when the lexical leg found it
    vector_rank: int | None = None
    lexical_rank: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # The vector evidence search ranked on, on REFERENCE_SCALE: the chunk's cosine, and for a
    # document search blended with how similar the whole document is (FusionConfig).
    vector_reference: float | None = None

    @property
    def resolution(self) -> str | None:
        """Return a past ticket's resolution."""
        value = self.metadata.get("resolution")
        return str(value) if value else None

    @property
    def tag(self) -> str | None:
        """Return a past ticket's tag."""
        value = self.metadata.get("tag")
        return str(value) if value else None


@dataclass(frozen=True)
class FusionConfig:
    """How the two legs are combined.

    `convex` (the default) adds the cosine similarity and the query-normalised BM25 score
    with weight `alpha` on the vector side (Bruch et al., 2023, found this beats reciprocal
    rank fusion); `rrf` fuses ranks only. When the embedder does not read the query's language
    (Japanese with the English-only local model), a hybrid search is BM25 alone.
    """

    method: Literal["convex", "rrf"] = "convex"
    alpha: float = 0.9  # chosen on the odd half of StackFAQ (bench/stackfaq_retrieval.py --sweep-alpha)
    rrf_k: float = 60.0
    candidates: int = 50
    # Where the exact in-memory copy is not used (above its size limit), Chroma is asked for
    # this many times `candidates`, unfiltered, and the query's language is kept from those
    # (a filtered query is ~10x slower). Chroma's cost grows with the results it returns:
    # bench/overfetch_agreement.py measures the trade (at 64,779 chunks, 1.5x agreed with the
    # exact search as often as 3x did; 1x lost one English top document of 262).
    vector_over_fetch: float = 1.5
    vector_weight: float = 1.0
    lexical_weight: float = 1.0
    # A match in another language than the query's counts for less: an English question
    # should not be answered with Japanese articles that happen to share "SSO". Only where
    # the model cannot compare the two languages (MiniLM reads English only, so such a match
    # is lexical): a model that reads both ranks them on calibrated cosines instead, and
    # this weight made a Japanese question miss every English article that answers it
    # (multilingual-e5, demo eval: top-1 0 of 16; docs/BENCHMARKS.md).
    cross_language_weight: float = 0.35
    # A chunk that is only links to other articles (a "Related articles" list) counts for this
    # share of its score. 0.5 stopped Japanese articles' 関連記事 lists from ranking first for
    # English questions by the English titles they link to, but moved the answer model's
    # evidence enough to fail the help-centre gate without a refit (docs/BENCHMARKS.md,
    # "Document search"): off until the answer model is refitted with it.
    links_weight: float = 1.0
    # In a search for documents, a chunk's cosine is blended with this share of the mean cosine
    # of its document's chunks: how much the document as a whole is about the question. One
    # chunk's cosine alone ranked threads whose one answer mentions the topic above the thread
    # about it (StackFAQ with multilingual-e5, hybrid MAP: 0 -> 0.940, 0.3 -> 0.948, 0.5 ->
    # 0.952; bench/stackfaq_retrieval.py --document-weight). At 0.5 a short question about one
    # section of a long article lost its article ("The board view does not load"), and with
    # 0.3 the help-centre gate failed without a refit of the answer model: off by default.
    document_weight: float = 0.0


class HybridRetriever:
    """Search one store with vectors and BM25 and fuse the two rankings."""

    def __init__(
        self, store: KnowledgeStore, embedder: Embedder, fusion: FusionConfig | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        # The languages the model reads (None: all). The vector leg searches within the
        # query's language, and only when the model reads it.
        self._vector_languages: frozenset[str] | None = getattr(embedder, "languages", None)
        self._selector = PassageSelector()
        # source -> (the store's chunk rows it was built from, document id -> its rows)
        self._documents: dict[str, tuple[dict[str, ChunkRow], dict[str, list[ChunkRow]]]] = {}
        # A model that reads several languages and declares how its cosines sit across them
        # (CosineScale.cross_language) is searched one language at a time and the lists are
        # merged; one that declares nothing (the OpenAI embeddings, not measured offline) is
        # searched over every language at once, as before.
        self._merges_languages = (
            (self._vector_languages is None or len(self._vector_languages) > 1)
            and isinstance(getattr(embedder, "cosine_scale", None), CosineScale))
        self._warned_model = False
        # source -> (the chunk rows they were read from, chunk id -> whether it is only links)
        self._link_lists: dict[str, tuple[dict[str, ChunkRow], dict[str, bool]]] = {}
        # source -> (the chunk rows they were read from, document id -> its sections): the
        # sections keep what they measured of themselves (steps, figures, table labels)
        self._sections: dict[str, tuple[dict[str, ChunkRow], dict[str, list[SectionView]]]] = {}

    def search(
        self,
        query: str,
        *,
        source: str = "kb",
        k: int = 5,
        language: str | list[str] | None = None,
        filters: dict[str, Any] | None = None,
        query_language: str | None = None,
        mode: Mode = "hybrid",
        group_by_document: bool = False,
    ) -> list[SearchHit]:
        """Return the k best chunks for a query, optionally filtered by language or metadata."""
        cfg = self.fusion
        query_language = (language_code(query_language) if query_language
                          else detect_language(query))
        base_filters = dict(filters or {})
        if language:  # 'en-US' finds what was stored as 'en'
            base_filters["language"] = (language_code(language) if isinstance(language, str)
                                        else [language_code(code) for code in language])
        lexical, rows = self.store.lexical(source)
        depth = max(cfg.candidates, k * (4 if group_by_document else 1))

        fused: dict[str, dict[str, Any]] = {}
        # A model that cannot read the query's language leaves the hybrid search to BM25: its
        # vectors of Japanese text, mostly [UNK], ranked worse than BM25 alone (demo eval,
        # Japanese cases: recall@5 0.572 against 0.549, MRR 0.751 against 0.681), and those
        # chunks are not embedded at all (retrieval.indexer.Indexer).
        trusted = reads(self._vector_languages, query_language)
        # Vectors made by another model, or being replaced by one (retrieval.indexer), are
        # never compared with this model's: the search is BM25 alone until they match.
        same_model = self.store.embedded_with(source) == self.embedder.name
        if not same_model and not self._warned_model:
            self._warned_model = True
            log.warning("the %s vectors of %s were made with %r, not with %r: searching "
                        "without them until the store is re-embedded", source,
                        self.store.config.path, self.store.embedded_with(source),
                        self.embedder.name)
        compared = False  # whether the vector leg ranked candidates of several languages
        if same_model and (mode == "vector" or (mode == "hybrid" and trusted)):
            vector_filters = dict(base_filters)
            embedding = self.embedder.embed_query(query)
            restrict = self._vector_languages is not None and "language" not in vector_filters
            copy = (self.store.vector_copy(source)
                    if set(vector_filters) <= {"language"} else None)
            wanted = vector_filters.get("language")
            if restrict or isinstance(wanted, str) or not self._merges_languages:
                hits = self._vector_hits(source, embedding, depth, k, query_language,
                                         restrict, vector_filters, copy, rows)
            else:
                # A model that reads every language: each language is searched on its own and
                # the results merged on calibrated cosines, so that a Japanese question finds
                # the English article that answers it, not an unrelated Japanese one that
                # shares its language (the same-language bias: CosineScale.cross_language).
                languages = (list(wanted) if wanted is not None else
                             copy.languages if copy is not None else
                             sorted({row.language for row in rows.values()}))
                hits = []
                for lang in languages:
                    lang_filters = {**vector_filters, "language": lang}
                    hits += self._vector_hits(source, embedding, depth, k, query_language,
                                              False, lang_filters, copy, rows)
                compared = len(languages) > 1
            scale = cosine_scale(self.embedder, query_language)
            scored = [(scale.to_reference(h.similarity,
                                          same_language=rows[h.id].language == query_language),
                       h) for h in hits if h.id in rows]
            scored.sort(key=lambda sh: -sh[0])  # stable: ties keep the copy's order
            scored = scored[:depth]
            whole = (self._document_cosines(source, embedding, [h for _, h in scored], rows,
                                            scale, query_language)
                     if group_by_document and cfg.document_weight > 0 else {})
            for rank, (adjusted, hit) in enumerate(scored):
                entry = fused.setdefault(hit.id, {})
                entry["vector_score"], entry["vector_rank"] = hit.similarity, rank + 1
                doc = rows[hit.id].doc_id
                entry["vector_adjusted"] = (adjusted if doc not in whole else
                                            (1 - cfg.document_weight) * adjusted
                                            + cfg.document_weight * whole[doc])
        if mode in ("hybrid", "lexical"):
            lexical_filters = {k: v for k, v in base_filters.items() if isinstance(v, str | list)}
            terms = self.store.analyzer.terms(query)
            for rank, lhit in enumerate(lexical.search(terms, depth, lexical_filters or None)):
                entry = fused.setdefault(lhit.id, {})
                entry["lexical_score"], entry["lexical_rank"] = lhit.score, rank + 1
        self._fuse(fused, rows, query_language, compared)
        if source != "ticket" and cfg.links_weight != 1.0:
            # A list of links to other articles ("Related articles") answers nothing itself, but
            # it holds their titles, often in the other language: it matched the articles it
            # links to, by words and vectors alike, and put its own article above them.
            for chunk_id, entry in fused.items():
                if self._only_links(source, rows, chunk_id):
                    entry["score"] *= cfg.links_weight

        ranked = sorted(fused.items(), key=lambda kv: (-kv[1]["score"], kv[0]))
        results: list[SearchHit] = []
        seen_docs: set[str] = set()
        for chunk_id, entry in ranked:
            row = rows[chunk_id]
            if group_by_document:
                if row.doc_id in seen_docs:
                    continue
                seen_docs.add(row.doc_id)
            results.append(SearchHit(
                id=chunk_id, doc_id=row.doc_id, source=source, title=row.title, url=row.url,
                language=row.language, text=row.text, heading=row.heading, section=row.section,
                score=float(entry["score"]), vector_score=entry.get("vector_score"),
                lexical_score=entry.get("lexical_score"), vector_rank=entry.get("vector_rank"),
                lexical_rank=entry.get("lexical_rank"), metadata=row.metadata,
                vector_reference=entry.get("vector_adjusted"),
            ))
            if len(results) == k:
                break
        return results

    def _document_cosines(self, source: str, embedding: Any, hits: Sequence[VectorHit],
                          rows: dict[str, ChunkRow], scale: CosineScale,
                          query_language: str) -> dict[str, float]:
        """Return, for each document the vector leg found, the mean of its chunks' cosines to
        the query on the reference scale: how much the document as a whole is about it."""
        by_doc = self._by_document(source, rows)
        docs = list(dict.fromkeys(rows[h.id].doc_id for h in hits))
        ids = [r.chunk_id for d in docs for r in by_doc.get(d, [])
               if not self._only_links(source, rows, r.chunk_id)]
        cosines = self.store.similarities(source, embedding, ids)
        sums: dict[str, list[float]] = {}
        for chunk_id, cosine in cosines.items():
            row = rows[chunk_id]
            sums.setdefault(row.doc_id, []).append(scale.to_reference(
                cosine, same_language=row.language == query_language))
        return {d: sum(v) / len(v) for d, v in sums.items() if v}

    def _by_document(self, source: str, rows: dict[str, ChunkRow]) -> dict[str, list[ChunkRow]]:
        """Return a source's chunk rows by document (cached per generation)."""
        cached = self._documents.get(source)
        if cached is None or cached[0] is not rows:
            by_doc: dict[str, list[ChunkRow]] = {}
            for row in rows.values():
                by_doc.setdefault(row.doc_id, []).append(row)
            cached = (rows, by_doc)
            self._documents[source] = cached
        return cached[1]

    def _only_links(self, source: str, rows: dict[str, ChunkRow], chunk_id: str) -> bool:
        """Tell whether a chunk is only links to other articles (cached per generation)."""
        known = _of_generation(self._link_lists, source, rows)
        if chunk_id not in known:
            known[chunk_id] = links_only(rows[chunk_id].text)
        return known[chunk_id]

    def _vector_hits(self, source: str, embedding: Any, depth: int, k: int,
                     query_language: str, restrict: bool, vector_filters: dict[str, Any],
                     copy: FlatVectors | AnnVectors | None,
                     rows: dict[str, ChunkRow]) -> list[VectorHit]:
        """Return the vector leg's hits, best first: in the query's language when `restrict`,
        else as `vector_filters` say (the exact or HNSW copy when there is one, else Chroma)."""
        cfg = self.fusion
        if copy is not None:
            wanted = vector_filters.get("language")
            languages = ([query_language] if restrict else
                         None if wanted is None else
                         [wanted] if isinstance(wanted, str) else list(wanted))
            return copy.query(embedding, depth, languages)
        if restrict:
            # A metadata filter makes Chroma search far slower (about 10x at 10k chunks),
            # so the language restriction is applied to an over-fetched unfiltered result,
            # and the filtered query is used only when too few same-language hits remain.
            fetch = max(depth, round(depth * cfg.vector_over_fetch))
            over = self.store.vectors.query(source, embedding, fetch, vector_filters or None)
            hits = [h for h in over if h.id in rows
                    and rows[h.id].language == query_language][:depth]
            if len(hits) < min(depth, k * 2) and len(over) >= fetch:
                hits = self.store.vectors.query(source, embedding, depth,
                                                {**vector_filters, "language": query_language})
            return hits
        return self.store.vectors.query(source, embedding, depth, vector_filters or None)

    def _fuse(self, fused: dict[str, dict[str, Any]], rows: dict[str, Any],
              query_language: str, compared: bool) -> None:
        """Give every candidate one score from its vector and lexical evidence.

        Cosines enter on the reference scale (CosineScale.to_reference: the same number means
        as much whatever the model), with another language's offset added. A candidate in
        another language than the query's counts for `cross_language_weight` of its score,
        unless the vector leg `compared` the languages (a model that reads both).
        """
        cfg = self.fusion
        vector_scores = [e["vector_adjusted"] for e in fused.values() if "vector_adjusted" in e]
        lexical_scores = [e["lexical_score"] for e in fused.values() if "lexical_score" in e]
        # A candidate the vector leg did not return is at most as similar as its worst hit (its
        # language's worst, when the languages were searched one by one).
        vector_floor = min(vector_scores) if vector_scores else 0.0
        floors: dict[str, float] = {}
        for chunk_id, entry in fused.items():
            if compared and "vector_adjusted" in entry:
                language = rows[chunk_id].language
                floors[language] = min(floors.get(language, entry["vector_adjusted"]),
                                       entry["vector_adjusted"])
        lexical_top = max(lexical_scores) if lexical_scores else 1.0
        alpha = cfg.alpha
        if not vector_scores:
            alpha = 0.0
        elif not lexical_scores:
            alpha = 1.0
        for chunk_id, entry in fused.items():
            language = rows[chunk_id].language
            if cfg.method == "rrf":
                score = 0.0
                if "vector_rank" in entry:
                    score += self._weight(cfg.vector_weight, language, query_language,
                                          compared) / (cfg.rrf_k + entry["vector_rank"])
                if "lexical_rank" in entry:
                    score += self._weight(cfg.lexical_weight, language, query_language,
                                          compared) / (cfg.rrf_k + entry["lexical_rank"])
            else:
                vector = entry.get("vector_adjusted", floors.get(language, vector_floor))
                lexical = entry.get("lexical_score", 0.0) / lexical_top if lexical_top else 0.0
                score = self._weight(alpha * vector + (1 - alpha) * lexical, language,
                                     query_language, compared)
            entry["score"] = score

    def _weight(self, weight: float, doc_language: str, query_language: str,
                compared: bool) -> float:
        if doc_language == query_language or compared:
            return weight
        return weight * self.fusion.cross_language_weight

    def passage(self, hit: SearchHit, question: QuestionView | None = None) -> Passage:
        """Return what an answer quotes from a hit.

        A past ticket is one chunk. For an article, with the question: the passage of the
        article that answers it (retrieval.passages), whichever section search matched;
        without: the hit's section, or only its chunk when the section is longer than
        QUOTE_MAX_TOKENS.
        """
        if hit.source == "ticket":
            return Passage([hit.id], hit.text, hit.text)
        sections = self.sections(hit.source, hit.doc_id)
        if question is None or not sections:
            own = next((s for s in sections if s.index == hit.section), None)
            if own is None:
                return Passage([hit.id], hit.text, hit.text)
            if own.tokens > QUOTE_MAX_TOKENS:
                return Passage([hit.id], hit.text, own.text, (own.heading,))
            return Passage(own.chunk_ids, own.text, own.text, (own.heading,))
        lexical, _rows = self.store.lexical(hit.source)
        analyze = self.store.analyzer.terms
        similarity = None
        if question.embedding is not None:
            embedding = question.embedding

            scale = cosine_scale(self.embedder, question.language)

            def similarity(ids: Sequence[str], own: np.ndarray | None) -> dict[str, float]:
                # on the model's own scale (0: unrelated, 1: an answer), as the weights assume;
                # a part of the question compared as itself where it has its own embedding
                rows = self.store.lexical(hit.source)[1]
                vector = own if own is not None else embedding
                return {c: scale.relative(cos, same_language=rows[c].language
                                          == (question.language or rows[c].language))
                        for c, cos in self.store.similarities(hit.source, vector, ids).items()}

        return self._selector.select(question, sections, set(analyze(hit.title)), lexical,
                                     analyze, similarity, anchor=hit.id)

    def sections(self, source: str, doc_id: str) -> list[SectionView]:
        """Return the sections of an indexed document, in order (cached per generation)."""
        _, rows = self.store.lexical(source)
        known = _of_generation(self._sections, source, rows)
        if doc_id not in known:
            known[doc_id] = document_sections(self._by_document(source, rows).get(doc_id, []))
        return known[doc_id]
