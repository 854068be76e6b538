"""Assemble an Agent from settings: open the store, load models, train the tagger."""

from __future__ import annotations

import logging

import numpy as np

from agent.grounding import AgentDeps
from agent.pipeline import Agent
from agent.policy import Policy
from agent.tagger import NEIGHBOUR_SAMPLE, Tagger
from prompts import PromptLibrary
from retrieval.crosslingual import GlossaryError, QueryTranslator, load_translator
from retrieval.embeddings import Embedder, embed_queries, embedder_reads
from retrieval.indexer import Indexer
from retrieval.loaders import Taxonomy
from retrieval.search import HybridRetriever
from retrieval.store import KnowledgeStore
from settings import Settings

log = logging.getLogger("kotae.agent")


def _labelled(store: KnowledgeStore, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    """Return the store's tickets labelled with a tag of the taxonomy: (chunk, text, tag)."""
    names = set(taxonomy.names)
    _, rows = store.lexical("ticket")
    return [(r.chunk_id, r.text, str(r.metadata.get("tag"))) for r in rows.values()
            if r.metadata.get("tag") in names]


def labelled_tickets(store: KnowledgeStore) -> tuple[Taxonomy, frozenset[tuple[str, str, int]]]:
    """Return what the tagger learns from: the taxonomy and the labelled tickets.

    Cheap while the catalog is unchanged (the ticket rows are cached), so a worker can ask
    often whether another process taught the store something its tagger has not seen.
    """
    taxonomy = store.taxonomy()
    return taxonomy, frozenset((chunk, tag, hash(text))
                               for chunk, text, tag in _labelled(store, taxonomy))


def train_tagger(store: KnowledgeStore, embedder: Embedder) -> Tagger:
    """Learn the tagger from the store's labelled tickets and the taxonomy's examples."""
    taxonomy = store.taxonomy()
    labelled = _labelled(store, taxonomy)
    texts = [t for _, t, _ in labelled]
    labels = [tag for _, _, tag in labelled]
    # Tickets in a language the model does not read have no vector (retrieval.indexer): they
    # are learnt from their terms, as inquiries in that language are tagged
    # (agent.pipeline.Agent.tagging_embedding).
    zero = np.zeros(embedder.dim, dtype=np.float32)
    vectors: list[np.ndarray] = []
    if labelled:
        _, rows = store.lexical("ticket")  # cached: the rows _labelled read
        ids = [i for i, _, _ in labelled]
        found = store.vectors.stored("ticket", ids)
        lost = [i for i in ids if i not in found
                and embedder_reads(embedder, rows[i].language)]
        if lost:
            log.warning("%d labelled tickets have no vector (e.g. %s): re-run ingest_kb.py to "
                        "repair the index", len(lost), lost[0])
        vectors.append(np.vstack([found.get(i, zero) for i in ids]))
    examples = [(text, spec.name) for spec in taxonomy.tags
                for text in [*spec.examples, spec.description] if text.strip()]
    if examples:
        texts += [t for t, _ in examples]
        labels += [name for _, name in examples]
        # Every example is embedded, whatever its language: giving the Japanese ones zeros
        # (as their inquiries get) tagged the demo eval 0.832 instead of 0.840.
        vectors.append(embedder.embed_documents([t for t, _ in examples]))
    if not texts:
        return Tagger.train(taxonomy, [], np.zeros((0, embedder.dim)), [])
    matrix = np.vstack(vectors)
    tagger = Tagger.train(taxonomy, texts, matrix, labels)
    if any(spec.answer or spec.article for spec in taxonomy.tags):
        # The taxonomy answers some tags by itself (agent.pipeline, intent answers): how near a
        # question must come to the tickets of its tag is learnt from the tickets, some of
        # them read as questions.
        embedded = [i for i in range(len(texts)) if matrix[i].any()]
        step = max(1, len(embedded) // NEIGHBOUR_SAMPLE)
        asked = embedded[::step][:NEIGHBOUR_SAMPLE]
        queries = embed_queries(embedder, [texts[i] for i in asked])
        floors = tagger.remember(matrix, labels, dict(zip(asked, queries, strict=True)))
        # An intent is answered only for a question that shares a word with its tickets
        # (agent.pipeline, intent answers): "hlo" or "Fuckoff" came within the floors of a
        # product-recommendation intent in a shop's bot traffic (HINT3 Curekart).
        # (The store's cached rows drop their terms once BM25 has them, so they are analysed
        # again here: 0.5 s for CLINC150's 15,000 rows.)
        tagger.learn_words([store.analyzer.terms(t) for t in texts], labels)
        log.info("intent answers: nearest-ticket similarity floors %s (%d tickets read as "
                 "questions)", "none" if floors is None else f"{floors[0]:.3f} / {floors[1]:.3f}",
                 len(asked))
    return tagger


def _translator(settings: Settings, store: KnowledgeStore,
                embedder: Embedder) -> QueryTranslator | None:
    """The Japanese-English glossary, when it is on and prepared; a missing or unreadable one
    leaves it off with a warning.

    With a model that reads Japanese it says how much of a Japanese question an English
    passage covers, and searches the English articles with the question's glosses when
    nothing the vectors found is good enough (Agent._cross_lingual)."""
    if not settings.cross_lingual:
        return None
    try:
        translator = load_translator(settings.model_dir, store.analyzer)
    except GlossaryError as exc:
        log.warning("%s; Japanese questions are searched in Japanese articles only", exc)
        return None
    if translator is None:
        log.warning("no Japanese-English glossary in %s: Japanese questions are searched in "
                    "Japanese articles only; run `make models` to prepare it",
                    settings.model_dir)
    return translator


def build_agent(settings: Settings, *, store: KnowledgeStore | None = None,
                embedder: Embedder | None = None, llm: object | None = None) -> Agent:
    """Build the agent the settings describe."""
    store = store or KnowledgeStore.open(settings.store)
    embedder = embedder or settings.embedder_factory()()
    indexer = Indexer(store, embedder)
    if llm is None and settings.use_llm:
        from agent.llm import OpenAIChatModel

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        llm = OpenAIChatModel(model=settings.chat_model, api_key=key,
                              base_url=settings.openai_base_url,
                              timeout=settings.openai_timeout_s,
                              max_retries=settings.llm_max_retries,
                              max_tokens=settings.llm_max_tokens)
    trained_on = labelled_tickets(store)  # read before training: a later change retrains
    deps = AgentDeps(
        retriever=HybridRetriever(store, embedder),
        embedder=embedder,
        tagger=train_tagger(store, embedder),
        policy=Policy.load(settings.policy_path),
        prompts=PromptLibrary(),
        indexer=indexer,
        llm=llm,
        signature=settings.signature,
        signatures=settings.signatures(),
        retrain_tagger=lambda: train_tagger(store, embedder),
        tagger_basis=lambda: labelled_tickets(store),
        tagger_trained_on=trained_on,
        translator=_translator(settings, store, embedder),
    )
    deps.extra["context_tokens"] = settings.llm_context_tokens
    deps.extra["llm_deadline_s"] = settings.llm_deadline_s
    return Agent(deps)
