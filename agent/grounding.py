"""What both deciders (offline, in agent.pipeline, and the model's, agent.llm_mode) share.

A grounding is a candidate source with how sure the agent is that it answers the question;
`GroundedAgent` is what the LLM decider asks of the agent that found them, so that it sits
below the pipeline and never imports it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from agent.messages import DEFAULT_SIGNATURE_JA
from agent.policy import Policy
from agent.tagger import Tagger
from agent.types import Citation, Inquiry, ReasonCode
from prompts import PromptLibrary
from retrieval.crosslingual import QueryTranslator
from retrieval.embeddings import Embedder
from retrieval.indexer import Indexer
from retrieval.passages import Passage
from retrieval.search import HybridRetriever, SearchHit


@dataclass(frozen=True)
class Grounding:
    """A candidate source for an answer, with how sure we are it answers the question."""

    hit: SearchHit
    confidence: float
    kind: Literal["kb", "precedent"]
    passage: Passage  # what an answer from this source quotes (HybridRetriever.passage)
    # what the confidence was measured from, for the answerability model (agent.answerability)
    evidence: dict[str, float] = field(default_factory=dict)
    # The grounding score from the vectors alone (the quoted passage's cosine in place of the
    # share of the question's words it holds), where there are vectors: what an article in the
    # other language with no glossary between the two is judged and compared on.
    by_vectors: float | None = None
    wordless: bool = False  # no word of the question can be in it (that other language)


@dataclass
class AgentDeps:
    """Everything the agent needs, passed in explicitly (no globals)."""

    retriever: HybridRetriever
    embedder: Embedder
    tagger: Tagger
    policy: Policy
    prompts: PromptLibrary
    indexer: Indexer | None = None
    llm: object | None = None  # agent.llm.ChatModel; typed loosely to keep this module light
    signature: str = "Support team"
    # The sign-off of drafts in another language than English ({"ja": ...}); `signature`
    # signs the rest.
    signatures: dict[str, str] = field(default_factory=lambda: {"ja": DEFAULT_SIGNATURE_JA})
    kb_k: int = 5
    ticket_k: int = 5
    clock: Callable[[], float] = time.perf_counter
    retrain_tagger: Callable[[], Tagger] | None = None
    # Japanese question -> English search words (retrieval.crosslingual); None: no glossary.
    translator: QueryTranslator | None = None
    # What the tagger's training data is now, and what it was when the tagger was trained:
    # when they differ (another worker learned a resolution), refresh_tagger retrains.
    tagger_basis: Callable[[], object] | None = None
    tagger_trained_on: object = None
    extra: dict[str, object] = field(default_factory=dict)
    # Offline passes run at once (CPU-bound: more threads only fight over the GIL and starve
    # the API's event loop); the model calls after them are not limited by this.
    cpu_slots: int = field(default_factory=lambda: len(os.sched_getaffinity(0)) if hasattr(
        os, "sched_getaffinity") else os.cpu_count() or 1)

    def signature_for(self, language: str) -> str:
        """Return how a draft in `language` is signed."""
        return self.signatures.get(language, self.signature)


class GroundedAgent(Protocol):
    """What the LLM decider needs from the agent (agent.pipeline.Agent)."""

    deps: AgentDeps
    policy: Policy
    prompts: PromptLibrary

    def retrieval_query(self, inquiry: Inquiry) -> str: ...

    def ground(self, query: str, query_language: str | None = None,
               exclude: frozenset[str] = frozenset()) -> list[Grounding]: ...

    def escalation_texts(
        self, reason: ReasonCode, best: Grounding | None, language: str, inquiry: Inquiry,
        *, topic: str | None = None, request: bool = False,
    ) -> tuple[str, str, str]: ...


def own_precedent(grounding: Grounding, conversation_id: str | None) -> bool:
    """Tell whether a grounding is the resolution of this very conversation (never reused in it)."""
    return conversation_id is not None and grounding.hit.metadata.get(
        "conversation_id") == conversation_id


def retrieved_citations(groundings: Sequence[Grounding]) -> list[Citation]:
    """Return the sources retrieved, best first, each document once (an English article found
    by a Japanese question's own words and again through the glossary was listed twice)."""
    out: dict[tuple[str, str], Citation] = {}
    for g in groundings:
        cited = citation_of(g.hit, g.confidence)
        out.setdefault((cited.source, cited.id), cited)
    return list(out.values())


def citation_of(hit: SearchHit, score: float) -> Citation:
    """Return the citation of a retrieved source (its document, not the chunk)."""
    return Citation(id=hit.doc_id, title=hit.title, url=hit.url,
                    source="ticket" if hit.source == "ticket" else "kb", score=round(score, 4))
