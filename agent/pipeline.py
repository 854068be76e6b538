"""The triage pipeline: understand -> retrieve -> tag -> decide -> answer or escalate -> signals.

One `Agent` object serves both modes. Offline, answers are quoted from the best grounding (a
knowledge-base section, or the resolution of a near-duplicate past ticket). With a chat model,
the model writes a grounded answer and judges tag and action with structured output; whenever
it fails, the offline decision stands (or the inquiry escalates, as the policy says).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from agent import drafting, followups
from agent.answerability import WORD_FEATURES, margin
from agent.grounding import AgentDeps, Grounding, citation_of, own_precedent, retrieved_citations
from agent.guards import detect_conversation_injection
from agent.markup import complete_tables
from agent.pii import redact_pii
from agent.precedent import clean_resolution
from agent.reading import (
    _clean_resolution,
    _language_lead,
    _link_target,
    _link_text,
    _quote,
    _rare_words,
    _signal,
    _titled,
    asked_text,
    asks_something,
    heading_glosses,
    named_things,
    part_asks_for,
    recognised_intent,
)
from agent.tagger import TagPrediction
from agent.types import (
    Citation,
    Decision,
    Escalation,
    Inquiry,
    ReasonCode,
    Signal,
    SignalKind,
)
from retrieval.embeddings import cosine_scale, embedder_reads
from retrieval.locks import FairSlots
from retrieval.passages import QuestionView, question_parts
from retrieval.search import HybridRetriever, SearchHit
from retrieval.textproc import detect_language, query_window
from retrieval.types import Document, Ticket

if TYPE_CHECKING:
    from insights.gaps import Article

log = logging.getLogger("kotae.agent")
# Below this grounding nothing retrieved is about the question at all: whatever the tagger
# says, it is not a report about this product, so it escalates as low_confidence.
_ON_TOPIC = 0.15
# A low-confidence escalation's draft quotes its best source only from this answer probability
# (or grounding score, without a fitted model), and not when the question names a thing no
# source mentions (Discord, PayPal). Of the 103 such drafts of the demo, help-centre, follow-up
# and cross-lingual sets, 42 fall under the two rules, and 2 of those 42 quoted an article that
# answers the question; 40 quoted one about something else, which an agent might send.
_QUOTE_FLOOR = 0.10
Language = Literal["en", "ja"]
# A grounding found through a dictionary translation of the question is weaker evidence
# than one in the question's own language (demo eval: BENCHMARKS.md, cross-lingual).
CROSS_LINGUAL_DISCOUNT = 0.85
# A follow-up naming something of its own is answered from the article about it (its title names
# it) when that scores at least this share of the source chosen otherwise.
FOLLOW_UP_ABOUT = 0.9
# Phrase lists (breakage, expansion intent, follow-ups, workarounds, greetings) are policy
# data: agent/default_policy.yaml and a company's own policy file (agent.policy).


class Agent:
    """Decide what to do with each customer inquiry."""

    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps
        self.policy = deps.policy
        self.prompts = deps.prompts
        self._retraining = threading.Lock()
        self._cpu = FairSlots(max(1, deps.cpu_slots))

    @property
    def retriever(self) -> HybridRetriever:
        """Return the retriever (for the API's search route)."""
        return self.deps.retriever

    @property
    def mode(self) -> Literal["offline", "llm"]:
        """Return offline or llm."""
        return "llm" if self.deps.llm is not None else "offline"

    # ------------------------------------------------------------------ public API

    def handle(
        self, inquiry: Inquiry, *, on_token: Callable[[str], None] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> Decision:
        """Tag an inquiry and answer it or escalate it, with citations and signals.

        `exclude`: sources (document or ticket ids) not to ground in, as when a past ticket is
        replayed against the others (eval calibrate).
        """
        started = self.deps.clock()
        with self._cpu:
            decision, groundings = self._offline(inquiry, exclude)
        # The guards (injection, human request, sensitive topics, rules, sentiment) are
        # deterministic and final; the model only judges what retrieval and tagging could.
        escalation = decision.escalation
        if self.deps.llm is not None and (escalation is None or escalation.reason in (
                ReasonCode.LOW_CONFIDENCE, ReasonCode.BUG_REPORT)):
            from agent.llm_mode import decide_with_llm  # late: the LLM stack loads on demand

            decision = decide_with_llm(self, inquiry, decision, groundings=groundings,
                                       on_token=on_token)
        elif on_token is not None and decision.answer:
            for piece in re.findall(r"\S+\s*|\s+", decision.answer):
                on_token(piece)
        decision.latency_ms = round((self.deps.clock() - started) * 1000, 2)
        decision.inquiry_id = inquiry.id
        decision.conversation_id = inquiry.conversation_id
        return decision

    def learn(self, ticket: Ticket) -> None:
        """Index a resolved escalation as a labelled past ticket, retrievable at once."""
        if self.deps.indexer is None:
            raise RuntimeError("this agent was built without an indexer")
        if ticket.resolution:  # reused for others: no greeting, names, signature or PII
            ticket = replace(ticket, resolution=clean_resolution(ticket.resolution, self.policy)
                             or None)
        self.deps.indexer.upsert("ticket", ticket)
        self.refresh_tagger()

    def warm_up(self) -> None:
        """Load what the first inquiry would otherwise wait for: indexes, analysers, models.

        The BM25 matrices and exact vector copies are built on first use (seconds on a
        large store); the API calls this before it reports ready. Above the exact copy's
        limit, this starts the HNSW copy's build, which finishes in the background while
        Chroma answers. No chat model is called; a short English text is embedded (and a
        Japanese one where the model reads Japanese; remotely, with a remote embedder).
        """
        for text, language in (("How do I invite people?", "en"), ("メンバーを招待する方法は？", "ja")):
            self.deps.tagger.predict(text, self.tagging_embedding(text, language))
            for source in ("kb", "ticket"):
                self.deps.retriever.search(text, source=source, k=1)

    def follow_index(self) -> bool:
        """Keep the search caches current with a catalog other hosts write too (the API calls
        this once it is warm); False for a store of this host's own."""
        return self.deps.retriever.store.follow()

    def index_status(self) -> dict[str, Any]:
        """Say how current this process's search caches are with the catalog (/readyz)."""
        return self.deps.retriever.store.index_status()

    def tagging_embedding(self, text: str, language: str) -> np.ndarray:
        """Return the embedding the tagger reads: zeros in a language the model cannot read.

        The tagger learns such tickets from their terms alone (agent.factory.train_tagger).
        """
        if not embedder_reads(self.deps.embedder, language):
            return np.zeros(self.deps.embedder.dim, dtype=np.float32)
        return np.asarray(self.deps.embedder.embed_query(text))

    def close(self) -> None:
        """Release the store the agent searches and the glossary (the API calls this at
        shutdown)."""
        self.deps.retriever.store.close()
        if self.deps.translator is not None:
            self.deps.translator.close()

    def refresh_tagger(self) -> bool:
        """Retrain the tagger if its training data changed since; return whether it did.

        `learn` calls this after indexing a resolution; other processes sharing the store
        (several API workers) call it now and then to catch up with theirs.
        """
        basis, retrain = self.deps.tagger_basis, self.deps.retrain_tagger
        if basis is None or retrain is None:
            return False
        with self._retraining:
            current = basis()  # read before training: a change during it retrains next time
            if current == self.deps.tagger_trained_on:
                return False
            self.deps.tagger = retrain()
            self.deps.tagger_trained_on = current
        return True

    def upsert_document(self, doc: Document) -> str:
        """Add or replace a knowledge-base document; return added, updated or unchanged."""
        if self.deps.indexer is None:
            raise RuntimeError("this agent was built without an indexer")
        return self.deps.indexer.upsert("kb", doc)

    def delete_document(self, doc_id: str) -> bool:
        """Delete a knowledge-base document; return whether it existed."""
        if self.deps.indexer is None:
            raise RuntimeError("this agent was built without an indexer")
        return self.deps.indexer.delete("kb", [doc_id]) > 0

    def kb_articles(self) -> tuple[list[Article], np.ndarray]:
        """Return the knowledge base's articles and one unit vector each (the mean of its
        chunks'), read from the index without embedding anything again (the API's conflicts
        route compares them)."""
        from insights.gaps import kb_articles  # late: insights are not the agent's own

        return kb_articles(self.deps.retriever.store)

    # ------------------------------------------------------------------ understanding

    def conversation_language(self, inquiry: Inquiry) -> Language:
        """Return the language to answer in."""
        if inquiry.language:
            return inquiry.language
        customer_turns = [m.text for m in inquiry.history if m.role == "customer"]
        text = inquiry.text
        if len(re.findall(r"\w", text)) < 6 and customer_turns:
            text = " ".join([*customer_turns[-2:], text])
        return detect_language(text)

    def retrieval_query(self, inquiry: Inquiry) -> str:
        """Return the text to search with: a follow-up borrows the previous question."""
        return followups.retrieval_query(self, inquiry)

    def follow_up_focus(self, inquiry: Inquiry, query: str) -> list[str]:
        """Return what a follow-up asks about of its own (agent.followups)."""
        return followups.follow_up_focus(self, inquiry, query)

    def unknown_names(self, inquiry: Inquiry, query: str) -> list[str]:
        """Return the things a follow-up names that no source mentions (agent.followups)."""
        return followups.unknown_names(self, inquiry, query)

    # ------------------------------------------------------------------ offline decision

    def _offline(self, inquiry: Inquiry,
                 exclude: frozenset[str] = frozenset()) -> tuple[Decision, list[Grounding]]:
        text = inquiry.text.strip()
        language = self.conversation_language(inquiry)
        query = self.retrieval_query(inquiry)
        own_text = query_window(inquiry.text)  # the last message's own words
        flags: list[str] = []
        thresholds = self.policy.thresholds

        # Every customer turn, and recent ones read together: an attempt earlier in the
        # conversation keeps it escalated, since the model would read it there.
        injection = detect_conversation_injection(
            [m.text for m in inquiry.history if m.role == "customer"] + [text], self.policy)
        # The answer is written in the conversation's language, but what the model can read
        # is the query's own: an English question in a Japanese widget keeps its vectors.
        query_language = detect_language(query)
        tag = self.deps.tagger.predict(query, self.tagging_embedding(query, query_language))
        # Breakage or expansion words in the policy decide the tag when the tagger is unsure.
        tag, cue = self.policy.cue_tag(text, tag)
        groundings = [g for g in (self.ground(query, query_language, exclude)
                                  if injection is None else [])
                      if not own_precedent(g, inquiry.conversation_id)]
        focus = self.follow_up_focus(inquiry, query) if injection is None else []
        if focus:
            groundings = followups.on_focus(self, groundings, focus, query, query_language,
                                            exclude, own=own_text)
        # What the question names; a follow-up that names something of its own is about that
        # ("Teamsの場合は？" after a chat-integration question).
        own_names = named_things(own_text) if focus else []
        best = self._choose(groundings, language, own_names, follow_up=bool(own_names))
        confidence = best.confidence if best else 0.0
        retrieved = retrieved_citations(groundings)

        reason: ReasonCode | None = None
        detail = ""
        asked_about_bug = False
        sentiment = self.policy.sentiment(text)
        human = self.policy.human_requested(text)
        sensitive = self.policy.sensitive_topic(text)
        rule = self.policy.rule(text)
        if injection is not None:
            reason = ReasonCode.INJECTION_ATTEMPT
            detail = f"{injection.kind} ({injection.where}): {injection.evidence!r}"
        elif human is not None:
            reason, detail = ReasonCode.HUMAN_REQUESTED, f"customer wrote {human.text!r}"
        elif sensitive is not None:
            reason, detail = ReasonCode.SENSITIVE_TOPIC, f"{sensitive.name}: {sensitive.text!r}"
        elif rule is not None:
            reason, detail = ReasonCode.POLICY, f"rule {rule[0].name}: {rule[0].detail}"
        elif sentiment <= thresholds.negative_sentiment:
            reason, detail = ReasonCode.NEGATIVE_SENTIMENT, f"sentiment {sentiment:.2f}"
        elif tag.tag in self.policy.spec.always_escalate_tags:
            reason, detail = ReasonCode.POLICY, f"tag {tag.tag} always goes to a human"
        elif (tag.tag == self.policy.spec.bug.tag and confidence >= _ON_TOPIC and (
                tag.confidence >= thresholds.tag_min_confidence or cue is not None)):
            workaround = self._known_workaround(groundings, language)
            if workaround is not None and self.policy.spec.answer_known_bugs:
                # Quoted from the part that says how to get round it, not the symptoms; the
                # LLM's context reads the same passage.
                remedied = self._remedy_passage(workaround, query, query_language)
                groundings = [remedied if g is workaround else g for g in groundings]
                best, confidence = remedied, remedied.confidence
                flags.append("known_bug")
            elif asks_something(own_text, self.policy):
                # A question about the symptom ("Did the whole import fail?", "bug?"), not a
                # report of it: the documentation may explain the behaviour (rows without a
                # title are skipped; subtasks are hidden on the board by default). It is
                # answered as any question is, if the answer decision trusts the source;
                # otherwise it goes to engineering as a bug report below.
                asked_about_bug = True
            else:
                reason, detail = ReasonCode.BUG_REPORT, "no documented workaround found"
        evidence = self.answer_evidence(best, groundings, language, tag, inquiry)
        floor = thresholds.answer_min_confidence
        model = self.policy.answerability(self.deps.embedder.name)
        if best is not None and model is not None:
            # How often an answer like this one was right (agent.answerability), not the score.
            confidence, floor = model.probability(evidence), model.threshold
        if asked_about_bug:
            if best is None or confidence < floor:
                reason, detail = ReasonCode.BUG_REPORT, "no documented workaround found"
            else:
                flags.append("documented_behaviour")
        unknown = self.unknown_names(inquiry, query) if injection is None else []
        if not unknown and focus and injection is None:
            # A follow-up whose own words are Latin words no source uses, none of them a name
            # unknown_names has read ("what about discord", written without a capital; not the
            # "Sarah" greeted): what it asks about is not documented either.
            lexical, _rows = self.deps.retriever.store.lexical("kb")
            terms = self.deps.retriever.store.analyzer.terms
            named = {t for name in named_things(own_text) for t in terms(name)}
            if (all(t.isascii() and t.isalpha() and t not in named for t in focus)
                    and not any(lexical.knows(t) for t in focus)):
                unknown = list(focus)
        if reason is None and unknown:
            # A follow-up about something no source mentions ("And with Mattermost?" after a
            # calendar question): the previous question's article does not answer it.
            reason = ReasonCode.LOW_CONFIDENCE
            detail = f"the follow-up asks about {', '.join(unknown)}, which no source mentions"
            best = None  # the agent's draft quotes nothing: the previous article does not answer
        elif (reason is None and best is not None and focus
                and best.evidence.get("follow_up_focus", 1.0) <= 0.0):
            # The source quotes none of the follow-up's own words: it answers the previous
            # question again.
            reason = ReasonCode.LOW_CONFIDENCE
            detail = (f"the follow-up's own words ({', '.join(focus)}) are not in "
                      f"{best.hit.doc_id}")
        if reason is None and (best is None or confidence < floor):
            reason = ReasonCode.LOW_CONFIDENCE
            detail = (f"best grounding {confidence:.2f} < {floor:.2f}"
                      + (f" ({best.hit.doc_id})" if best else " (nothing retrieved)"))

        # A follow-up is tagged with the question it borrows: only its own words raise signals
        # ("Thanks!" after an upsell question raised an expansion signal of its own).
        own = tag if query == own_text else replace(tag, tag="", confidence=0.0)
        signals = self.signals(inquiry, own, sentiment, sensitive_name=(
            sensitive.name if sensitive else None)) if injection is None else []
        intent = (self._intent_answer(tag, language, query, query_language)
                  if reason == ReasonCode.LOW_CONFIDENCE and not unknown else None)
        if intent is not None:
            answer, citations, prompt_version = intent
            return Decision(
                action="answer", answer=answer, citations=citations, tag=tag.tag,
                tag_confidence=round(tag.confidence, 4), confidence=round(tag.confidence, 4),
                language=language, signals=signals, flags=[*flags, "intent_answer"],
                mode="offline", prompt_version=prompt_version, retrieved=retrieved,
                candidate=citations[0] if citations else None, evidence=evidence,
            ), groundings
        if reason is None and best is not None:
            answer, prompt_version = self.compose_answer(best, language)
            citations = [citation_of(best.hit, confidence)]
            return Decision(
                action="answer", answer=answer, citations=citations, tag=tag.tag,
                tag_confidence=round(tag.confidence, 4), confidence=round(confidence, 4),
                language=language, signals=signals, flags=flags, mode="offline",
                prompt_version=prompt_version, retrieved=retrieved, candidate=citations[0],
                evidence=evidence,
            ), groundings
        assert reason is not None
        unrelated = confidence < _QUOTE_FLOOR or evidence.get("unknown_name") == 1.0
        quoted = None if reason == ReasonCode.LOW_CONFIDENCE and unrelated else best
        notice, draft, prompt_version = self.escalation_texts(
            reason, quoted, language, inquiry, topic=sensitive.name if sensitive else None,
            request=any(s.kind == SignalKind.EXPANSION for s in signals))
        if self.policy.spec.redact_pii and redact_pii(text).kinds:
            flags.append("pii_present")
        return Decision(
            action="escalate", answer=notice, citations=[], tag=tag.tag,
            tag_confidence=round(tag.confidence, 4), confidence=round(confidence, 4),
            escalation=Escalation(reason=reason, detail=detail, draft=draft),
            language=language, signals=signals, flags=flags, mode="offline",
            prompt_version=prompt_version, retrieved=retrieved,
            candidate=citation_of(best.hit, confidence) if best is not None else None,
            evidence=evidence,
        ), groundings

    def answer_evidence(self, best: Grounding | None, groundings: Sequence[Grounding],
                        language: str, tag: TagPrediction, inquiry: Inquiry) -> dict[str, float]:
        """Return what the answer decision reads about the source it would answer from."""
        if best is None:
            return {}
        others = [g.confidence for g in groundings if g.hit.doc_id != best.hit.doc_id]
        values = {
            **best.evidence,
            "confidence": best.confidence,
            "margin": margin(best.confidence, others),
            "precedent": float(best.kind == "precedent"),
            "same_language": float(best.hit.language == language),
            "tag_confidence": tag.confidence,
            "follow_up": float(any(m.role == "customer" for m in inquiry.history)),
        }
        values.setdefault("translated", 0.0)
        if best.wordless and best.by_vectors is not None:
            # Words could not be compared (groundings): the score and its lead over the other
            # articles are the vectors', for every article alike.
            values.update(confidence=best.by_vectors, margin=margin(best.by_vectors, [
                g.by_vectors for g in groundings
                if g.hit.doc_id != best.hit.doc_id and g.by_vectors is not None]))
        return {k: round(float(v), 4) for k, v in values.items()}

    def question_view(self, query: str, query_language: str) -> QuestionView:
        """Return the question as passage selection reads it, with its parts when it has more
        than one (each part that asks, by its form, for steps or for a figure)."""
        store = self.deps.retriever.store
        vector_trusted = embedder_reads(self.deps.embedder, query_language)
        foreign_heading: Callable[[str], set[str]] | None = None
        if self.deps.translator is not None and self.deps.translator.target == query_language:
            foreign_heading = functools.partial(heading_glosses, self.deps.translator)

        def topic_terms(text: str, cues: list[str]) -> list[str]:
            # The words that ask for steps ("方法", "how to") are the question's form, not its
            # topic: neither the passage nor the confidence should look for them.
            form = {t for cue in cues for t in store.analyzer.terms(cue)}
            return [t for t in store.analyzer.terms(text) if t not in form]

        def view(text: str) -> QuestionView:
            cues = self.policy.procedure_cues(text)
            return QuestionView(
                terms=topic_terms(text, cues), procedural=bool(cues), language=query_language,
                quantity=self.policy.asks_quantity(text), names_limits=self.policy.asks_quantity,
                foreign_heading=foreign_heading,
                embedding=self.deps.embedder.embed_query(text) if vector_trusted else None)

        question = view(query)
        pieces = question_parts(query)
        if len(pieces) > 1:
            asking = [n for n, p in enumerate(pieces) if part_asks_for(p, self.policy)]
            # Two things asked, or one asked after context (whose own section the whole
            # question finds): each asking part is answered too. A part with hardly a word of
            # its own ("How do I avoid it?", "回避方法はありますか？") is read with the sentence
            # before it, which says what it is about: alone, its one word chose any section.
            def part_text(n: int) -> str:
                thin = len(set(topic_terms(pieces[n], self.policy.procedure_cues(pieces[n])))) < 2
                return f"{pieces[n - 1]} {pieces[n]}" if n and thin else pieces[n]

            question.parts = [view(part_text(n)) for n in asking]
        return question

    def ground(self, query: str, query_language: str | None = None,
               exclude: frozenset[str] = frozenset()) -> list[Grounding]:
        """Search the knowledge base and past tickets, and score what comes back.

        Searches run in the query's own language (detected from its text unless given), which
        decides whether the embedding model can read it.
        """
        query_language = query_language or detect_language(query)
        retriever = self.deps.retriever
        kb_hits = retriever.search(query, source="kb", k=self.deps.kb_k,
                                   query_language=query_language, group_by_document=True)
        ticket_hits = retriever.search(query, source="ticket", k=self.deps.ticket_k + len(exclude),
                                       query_language=query_language)
        if exclude:
            kb_hits = [h for h in kb_hits if h.doc_id not in exclude]
            ticket_hits = [h for h in ticket_hits if h.doc_id not in exclude][:self.deps.ticket_k]
        found = self.groundings(query, query_language, kb_hits, ticket_hits)
        extra = self._cross_lingual(query, query_language, found)
        if not extra:
            return found
        # One grounding per chunk (an English article may be found both ways), best first:
        # the LLM's context and the decision's retrieved list read them in this order.
        best: dict[str, Grounding] = {}
        for g in [*found, *extra]:
            if g.hit.id not in best or g.confidence > best[g.hit.id].confidence:
                best[g.hit.id] = g
        return sorted(best.values(), key=lambda g: -g.confidence)

    def _cross_lingual(self, query: str, query_language: str,
                       found: Sequence[Grounding]) -> list[Grounding]:
        """Ground a question in the articles of the glossary's other language, through the
        question's words looked up in a dictionary.

        Only when nothing found so far is good enough: an article in the customer's language
        is the better answer. A model that reads both languages searched them already, but a
        short question's vector sits closer to any article in its own language than to the
        one in the other language that answers it ("タイマーって2つのタスクで同時に動かせます
        か？": e5-small put the English time-tracking article 8th of 9, behind every Japanese
        one), and the dictionary's words find it by name ("timer"). The evidence is weaker
        than a question in the articles' own language (a word's glosses are guesses at its
        sense), so the confidence is discounted by CROSS_LINGUAL_DISCOUNT.
        """
        translator = self.deps.translator
        floor = self.policy.thresholds.answer_min_confidence
        if (translator is None or translator.source != query_language
                or any(g.confidence >= floor for g in found)):
            return []
        try:
            translation = translator.translate(query)
        except sqlite3.Error as exc:  # the glossary went bad under us: answer without it
            log.warning("cross-lingual search skipped: the glossary cannot be read (%s)", exc)
            return []
        if not translation:
            return []
        hits = self.deps.retriever.search(
            translation.text, source="kb", k=self.deps.kb_k, language=translator.target,
            query_language=translator.target, group_by_document=True)
        # groundings() returns them best first, and one discount keeps that order.
        return [replace(g, confidence=g.confidence * CROSS_LINGUAL_DISCOUNT,
                        evidence={**g.evidence, "translated": 1.0})
                for g in self.groundings(translation.text, translator.target, hits, [],
                                         groups=translation.groups, form=query)]

    def groundings(
        self, query: str, query_language: str, kb_hits: Sequence[SearchHit],
        ticket_hits: Sequence[SearchHit], *, groups: Sequence[Sequence[str]] | None = None,
        form: str | None = None,
    ) -> list[Grounding]:
        """Score every retrieved source for how well it answers the query (0..1).

        `groups`: the query's words as alternative terms each (a translated question);
        by default each of the query's own terms is one word. `form`: the question as asked,
        when the query is its translation: whether it asks for steps or a figure is read
        from it ("APIのレート制限は？" asks for a figure; its glosses "rate restrict" do not).
        """
        store = self.deps.retriever.store
        vector_trusted = embedder_reads(self.deps.embedder, query_language)
        question = self.question_view(query, query_language)
        if form is not None:
            question.procedural |= bool(self.policy.procedure_cues(form))
            question.quantity |= self.policy.asks_quantity(form)
        if groups is None:
            groups = [(term,) for term in dict.fromkeys(question.terms)]
        # Cosines are read on the embedder's declared scale (0: unrelated, 1: an answer), so
        # that the weights below and the policy's thresholds hold for any model.
        scale = cosine_scale(self.deps.embedder, query_language)
        translated = self._glossary_groups(query, query_language, kb_hits, ticket_hits)
        asked = asked_text(query, self.policy)
        out: list[Grounding] = []
        for source, hits in (("kb", kb_hits), ("ticket", ticket_hits)):
            if not hits:
                continue
            lexical, _rows = store.lexical(source)
            top_score = max(h.score for h in hits) or 1.0
            # The question's rarest word, and the share of its words the source never uses;
            # for an article in the other language, of the question's words in that language
            # (the glossary's), where there are any.
            rarest, rarest_known, unknown = _rare_words(lexical, groups)
            rare_translated = (_rare_words(lexical, translated[1])
                               if translated is not None else None)
            # A product, service or format the question names that no source mentions
            # ("PayPal", "GraphQL", "Slackに"): the source shares the question's other words,
            # but not what it asks about. Only the sentences that ask count: a place, a team
            # or a device in the context ("We're in London.", "Our CFO wants ...") is the
            # customer's situation, not what they ask about.
            unknown_name = float(any(
                not all(lexical.knows(t) for t in store.analyzer.terms(name))
                for name in named_things(asked)))
            for hit in hits:
                cosine = hit.vector_score if hit.vector_score is not None else 0.0
                same_language = hit.language == query_language
                semantic = min(1.0, max(0.0, scale.relative(cosine, same_language=same_language)))
                # Coverage of what an answer would quote (the section, when it is short), in
                # the passage's language: a Japanese question's words through the glossary.
                passage = self.deps.retriever.passage(hit, question)
                words, rare = groups, (rarest, rarest_known)
                if not same_language and translated is not None and \
                        hit.language == translated[0] and rare_translated is not None:
                    words, rare = translated[1], rare_translated[:2]
                # An article in the other language with no glossary between the two: no word of
                # the question can be in it, so word overlap says nothing either way. The
                # vectors (a model that reads both) are the evidence (below).
                wordless = not same_language and words is groups and vector_trusted \
                    and hit.vector_score is not None
                coverage = lexical.group_coverage(passage.chunk_ids, words)
                both = hit.vector_rank is not None and hit.lexical_rank is not None
                # How similar the quoted passage itself is (search's cosine is its best chunk's,
                # which may lie in another section than the one quoted).
                quoted = (self.deps.retriever.store.similarities(
                    source, question.embedding, passage.chunk_ids)
                    if question.embedding is not None and source == "kb" else {})
                passage_cosine = (scale.relative(max(quoted.values()),
                                                 same_language=same_language)
                                  if quoted else (scale.relative(cosine, same_language=same_language)
                                                  if hit.vector_score is not None else 0.0))
                # In a language the model cannot read there are no vectors (retrieval.search):
                # the BM25 coverage is all the evidence. 0.9 of 0.85-1.0 kept the demo eval's
                # wrong-answer rate within its gate with the most cases right. Re-checked with
                # passage coverage: 0.8-0.95 all give the same 18 wrong answers; 0.9 and 0.95
                # tie, 0.85 and 0.8 answer fewer Japanese cases right (BENCHMARKS.md).
                conf = 0.6 * semantic + 0.4 * coverage if vector_trusted else 0.9 * coverage
                if not both and vector_trusted:
                    conf *= 0.85  # one leg alone is weaker evidence
                # The fused ranking weighs term frequency and both legs together; a source
                # ranked well below the top one is less likely to be the answer.
                conf *= 0.7 + 0.3 * max(0.0, hit.score) / top_score
                evidence = {
                    # on the model's scale (0: unrelated, 1: an answer), whatever the model
                    "cosine": (scale.relative(cosine, same_language=same_language)
                               if hit.vector_score is not None else 0.0),
                    "vector": float(vector_trusted), "coverage": coverage,
                    "passage_match": passage.score,
                    "rare_found": float(bool(rare[0]) and lexical.group_coverage(
                        passage.chunk_ids, rare[0]) > 0),
                    "rare_known_found": float(bool(rare[1]) and lexical.group_coverage(
                        passage.chunk_ids, rare[1]) > 0),
                    "passage_cosine": passage_cosine,
                    "unknown": unknown, "unknown_name": unknown_name, "both_legs": float(both),
                    "fused": max(0.0, hit.score) / top_score,
                    "terms": math.log1p(len(groups)),
                }
                stand_in = min(1.0, max(0.0, passage_cosine))
                by_vectors = ((0.6 * semantic + 0.4 * stand_in)
                              * (0.7 + 0.3 * max(0.0, hit.score) / top_score)
                              if vector_trusted and hit.vector_score is not None else None)
                if wordless:
                    # What the answer decision reads: the quoted passage's cosine stands in for
                    # the share of the question's words it holds, and the grounding score and
                    # its lead are the vectors' (answer_evidence); the features that only words
                    # can give are unknown (agent.answerability.WORD_FEATURES). The search order
                    # keeps `conf`: ranked by vectors alone, an unrelated article in the other
                    # language overtook the right one in the question's (help-centre set).
                    for name in WORD_FEATURES:
                        evidence.pop(name, None)
                    evidence["coverage"] = stand_in
                if source == "ticket":
                    similar_enough = (scale.to_reference(cosine, same_language=same_language)
                                      >= self.policy.thresholds.precedent_min_similarity)
                    if not hit.resolution or not (similar_enough or (not vector_trusted
                                                                     and coverage >= 0.8)):
                        continue
                    out.append(Grounding(hit, conf, "precedent", passage, evidence,
                                         by_vectors, wordless))
                else:
                    out.append(Grounding(hit, conf, "kb", passage, evidence, by_vectors,
                                         wordless))
        out.sort(key=lambda g: -g.confidence)
        return out

    def _glossary_groups(self, query: str, query_language: str, *hit_lists: Sequence[SearchHit],
                         ) -> tuple[str, Sequence[Sequence[str]]] | None:
        """Return the question's words in another language, when a source in that language
        was found by a model that reads both: (language, alternative terms per word)."""
        translator = self.deps.translator
        if (translator is None or translator.source != query_language
                or not any(h.language == translator.target for hits in hit_lists for h in hits)):
            return None
        try:
            translation = translator.translate(query)
        except sqlite3.Error as exc:  # the glossary went bad under us: answer without it
            log.warning("glossary skipped: it cannot be read (%s)", exc)
            return None
        if not translation or not translation.groups:
            return None
        return translator.target, translation.groups

    def _intent_answer(self, tag: TagPrediction, language: str, query: str,
                       query_language: str) -> tuple[str, list[Citation], str] | None:
        """Answer with what the taxonomy gives a confidently recognised label: its article
        (the passage of it that answers the question), or else its reply."""
        if not recognised_intent(tag, self.deps.tagger.neighbour_floors,
                                 self.policy.thresholds):
            return None
        spec = next((t for t in self.deps.tagger.taxonomy.tags if t.name == tag.tag), None)
        if spec is None:
            return None
        # The vectors and the softmax find some intent near anything ("hlo", "Fuckoff", a
        # product the bot does not sell); the tag's own tickets must share a word with it.
        if not self.deps.tagger.words_support(
                tag.tag, self.deps.retriever.store.analyzer.terms(query)):
            return None
        if spec.article:
            hits = self.deps.retriever.search(query, source="kb", k=1, mode="lexical",
                                              filters={"doc_id": spec.article})
            found = self.groundings(query, query_language, hits, [])
            if found:
                text, version = self.compose_answer(found[0], language)
                return text, [citation_of(found[0].hit, tag.confidence)], version
        reply = spec.answer_in(language)
        if reply is None:
            return None
        return reply, [], "taxonomy_answer@1"

    def _choose(self, groundings: Sequence[Grounding], language: str,
                names: Sequence[str] = (), *, follow_up: bool = False) -> Grounding | None:
        """Pick the source to answer from: same language first, knowledge base over tickets.

        Same language first only among sources about as good as the best in the other
        language: an article in the customer's language that merely mentions what is asked
        (a getting-started guide's line on the chat integration) does not replace a clearly
        better article in the other language about it.
        `names`: what a follow-up names of its own (named_things), when `follow_up`: an
        article whose title (or quoted section's heading) names them, scoring nearly as well as
        the chosen source (FOLLOW_UP_ABOUT), is the answer: the follow-up switched to them
        ("and on Entra ID instead?" after an Okta question). One that scores far lower is not
        ("and on Business?" after a rate-limit question stays with the passage that gives it,
        not the article on the Business trial).
        """
        if not groundings:
            return None
        floor = self.policy.thresholds.answer_min_confidence
        lead = _language_lead(groundings, language)
        titled = [g for g in groundings if g.kind == "kb" and g.confidence >= floor
                  and _titled(g, names)]
        for candidates in (
            [g for g in groundings if g.hit.language == language and g.kind == "kb"
             and g.confidence >= lead],
            [g for g in groundings if g.hit.language == language and g.confidence >= lead],
            list(groundings),
        ):
            good = [g for g in candidates if g.confidence >= floor]
            if good:
                # Prefer the canonical article unless a precedent is clearly better.
                kb = [g for g in good if g.kind == "kb"]
                top = good[0]
                if kb and top.kind == "precedent" and top.confidence - kb[0].confidence < 0.1:
                    top = kb[0]
                if follow_up and titled and top.kind == "kb" and not _titled(top, names):
                    same = [g for g in titled if g.hit.language == language]
                    about = (same or titled)[0]
                    if about.confidence >= FOLLOW_UP_ABOUT * top.confidence:
                        return about
                return top
        return groundings[0]

    def _remedy_passage(self, grounding: Grounding, query: str,
                        query_language: str) -> Grounding:
        """Return a known issue's grounding quoting the sections that say how to get round it
        or fix it (the policy's workaround_section), where the article has them."""
        if grounding.kind != "kb":
            return grounding
        question = self.question_view(query, query_language)
        question.remedy = self.policy.states_remedy
        return replace(grounding, passage=self.deps.retriever.passage(grounding.hit, question))

    def _known_workaround(self, groundings: Sequence[Grounding],
                          language: str | None = None) -> Grounding | None:
        """Return the best source documenting a workaround, one in `language` first."""
        floor = self.policy.thresholds.answer_min_confidence
        # The customer's language first, among sources about as good as the best article in
        # the other language (as _choose does).
        lead = _language_lead(groundings, language) if language else 0.0
        for g in sorted(groundings, key=lambda g: (g.hit.language != language
                                                   or g.confidence < lead)):
            text = g.hit.resolution if g.kind == "precedent" else g.passage.section
            # The heading too: a known-issue article often names the issue in the heading
            # ("Known issue: ...", "既知の不具合：...") and its symptoms in the section.
            haystack = f"{g.hit.title}\n{g.hit.heading}\n{text or ''}"
            if g.confidence >= floor and self.policy.mentions_workaround(haystack):
                return g
        return None

    # ------------------------------------------------------------------ composing text

    def compose_answer(self, grounding: Grounding, language: str) -> tuple[str, str]:
        """Write the offline answer from a grounding; return text and template version."""
        hit = grounding.hit
        if grounding.kind == "precedent":
            passage = _clean_resolution(hit.resolution or hit.text, self.policy)
            rendered = self.prompts.render(f"answer_precedent_{language}", passage=passage)
        else:
            # Each part under its heading; a table quoted from its middle gets its header.
            passage = complete_tables(grounding.passage.text, grounding.passage.section)
            more = ""
            if grounding.passage.omitted:
                quoted = "、".join if language == "ja" else ", ".join
                names = quoted(f"「{h}」" if language == "ja" else f"**{h}**"
                               for h in grounding.passage.omitted)
                more = "\n\n" + self.prompts.render(f"answer_more_{language}",
                                                     headings=names).text.strip()
            # An article in another language (a Japanese question grounded in an English
            # article, retrieval.crosslingual) is quoted as written, and the customer told so.
            other = {hit.language, language} == {"en", "ja"}  # the templates name the two
            name = "answer_kb_crosslingual" if other else "answer_kb"
            rendered = self.prompts.render(
                f"{name}_{language}", title=_link_text(hit.title), passage=passage.strip(),
                url=_link_target(hit.url or hit.doc_id), more=more)
        return rendered.text.strip(), rendered.tag

    def escalation_texts(
        self, reason: ReasonCode, best: Grounding | None, language: str, inquiry: Inquiry,
        *, topic: str | None = None, request: bool = False,
    ) -> tuple[str, str, str]:
        """Return the customer notice, the agent's draft, and the template version
        (agent.drafting)."""
        return drafting.escalation_texts(self.prompts, self.policy, self.deps.signature_for(
            language), reason, best, language, topic=topic, request=request)

    # ------------------------------------------------------------------ signals

    def signals(
        self, inquiry: Inquiry, tag: TagPrediction, sentiment: float, *,
        sensitive_name: str | None,
    ) -> list[Signal]:
        """Raise expansion and churn-risk signals for the account's CSM.

        What counts and what the CSM is told (in each language) is policy data.
        """
        account = inquiry.customer.account_id if inquiry.customer else None
        text = inquiry.text
        out: list[Signal] = []
        churn = self.policy.churn_intent(text)
        leaving = churn is not None or sensitive_name == "cancellation"
        expansion = None if leaving else self.policy.expansion(text, tag)
        if expansion is not None:
            spec = self.policy.spec.expansion
            confidence = tag.confidence if tag.tag == spec.tag else spec.confidence
            out.append(_signal(SignalKind.EXPANSION, account, _quote(text, expansion.words),
                               expansion.texts, confidence))
        if leaving or sentiment <= self.policy.thresholds.negative_sentiment:
            if leaving:
                texts = self.policy.churn_texts(words=churn.text if churn else "cancel",
                                                sentiment=sentiment)
                confidence = 0.9
            else:
                texts = self.policy.churn_texts(words=None, sentiment=sentiment)
                confidence = min(1.0, 0.5 + abs(sentiment) / 2)
            out.append(_signal(SignalKind.CHURN_RISK, account, _quote(text, None), texts,
                               confidence))
        return out
