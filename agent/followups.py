"""Follow-ups: the question a later message borrows, what it asks of its own, and the sources
judged on that (a switch of topic, or something no source mentions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from agent.grounding import AgentDeps, Grounding
from agent.policy import Policy
from agent.reading import named_things
from agent.types import Inquiry
from retrieval.passages import QuestionView
from retrieval.search import SearchHit
from retrieval.textproc import query_window


class Agent(Protocol):
    """What follow-ups need of the agent (agent.pipeline.Agent)."""

    deps: AgentDeps

    @property
    def policy(self) -> Policy: ...

    def question_view(self, query: str, query_language: str) -> QuestionView: ...

    def groundings(self, query: str, query_language: str, kb_hits: Sequence[SearchHit],
                   ticket_hits: Sequence[SearchHit], *,
                   groups: Sequence[Sequence[str]] | None = None) -> list[Grounding]: ...

# A follow-up's own words (those its previous question did not have, that the knowledge base
# uses): a source whose quoted passage holds none of them answers the previous question, not
# the follow-up; its score is multiplied by this, and it is not answered from.
FOLLOW_UP_OFF_FOCUS = 0.5


def retrieval_query(agent: Agent, inquiry: Inquiry) -> str:
    """Return the text to search with: a follow-up borrows the previous question."""
    previous = [m.text for m in inquiry.history if m.role == "customer"]
    text = query_window(inquiry.text)  # bounded: a long paste costs what a question does
    if not previous:
        return text
    terms = agent.deps.retriever.store.analyzer.terms(text)
    if len(terms) <= 6 or agent.policy.follow_up(text):
        return f"{query_window(previous[-1])}\n{text}"
    return text

def follow_up_focus(agent: Agent, inquiry: Inquiry, query: str) -> list[str]:
    """Return what a follow-up asks about that the question it borrows did not: its own
    search terms that are not the previous question's (none when nothing was borrowed)."""
    if query == query_window(inquiry.text):
        return []
    previous = [m.text for m in inquiry.history if m.role == "customer"]
    terms = agent.deps.retriever.store.analyzer.terms
    text = query_window(inquiry.text)
    before = set(terms(query_window(previous[-1]))) if previous else set()
    # The words that ask for steps or for a figure ("is there a cap", "何人まで") are the
    # follow-up's form, not what it is about.
    form = {t for cue in [*agent.policy.procedure_cues(text), *agent.policy.quantity_cues(text),
                          *agent.policy.conversational_cues(text)]
            for t in terms(cue)}
    return [t for t in dict.fromkeys(terms(text))
            if t not in before and t not in form and not t.isdigit()]

def unknown_names(agent: Agent, inquiry: Inquiry, query: str) -> list[str]:
    """Return the things a follow-up names that its previous question did not and that no
    source mentions ("And with Mattermost?"): what it asks about is not documented."""
    if query == query_window(inquiry.text):
        return []
    lexical, _rows = agent.deps.retriever.store.lexical("kb")
    terms = agent.deps.retriever.store.analyzer.terms
    text = query_window(inquiry.text)
    before = set(terms(query)) - set(terms(text))
    # "my Pixel", "our Berlin office": the customer's own thing, not what they ask about.
    own = {name for name in named_things(text)
           if any(agent.policy.names_own_thing(text[max(0, at.start() - 24):at.start()])
                  for at in re.finditer(re.escape(name), text))}
    return [name for name in named_things(text)
            if (words := terms(name)) and not any(lexical.knows(t) for t in words)
            and not set(words) & before and name not in own]

def on_focus(agent: Agent, groundings: Sequence[Grounding], focus: Sequence[str], query: str,
              query_language: str, exclude: frozenset[str] = frozenset(),
              own: str | None = None) -> list[Grounding]:
    """Score a follow-up's groundings on its own words too: a source that holds them in
    the passage it would quote answers the follow-up; one that holds only the previous
    question's answers that again. The passage of an article holding them elsewhere is
    chosen again with the follow-up as a part of the question of its own, and the articles
    the follow-up's own words find are candidates too (a switch of topic: "and on Entra ID
    instead?" after an Okta question).

    Against a source in the other language only the words in Latin script (names such as
    "Entra ID", written the same in both) can be compared; without any, it keeps its score.
    """
    lexical, _rows = agent.deps.retriever.store.lexical("kb")
    # The follow-up's own text (every line of it), not the question it borrows.
    own = own if own is not None else query.rsplit("\n", 1)[-1]
    seen = {g.hit.doc_id for g in groundings}
    hits = [h for h in agent.deps.retriever.search(
                own, source="kb", k=agent.deps.kb_k, query_language=query_language,
                group_by_document=True)
            if h.doc_id not in seen and h.doc_id not in exclude]
    candidates = [*groundings, *agent.groundings(query, query_language, hits, [])]
    out: list[Grounding] = []
    views: tuple[QuestionView, QuestionView] | None = None
    known = [t for t in focus if lexical.knows(t)]
    for g in candidates:
        words = known if g.hit.language == query_language else \
            [t for t in known if t.isascii()]
        if not words or g.kind != "kb":
            out.append(g)
            continue
        groups = [(t,) for t in words]
        held = lexical.group_coverage(g.passage.chunk_ids, groups)
        if held <= 0.0:
            if views is None:  # read once, for the first candidate that needs them
                views = (agent.question_view(query, query_language),
                         agent.question_view(own, query_language))
            question = replace(views[0], parts=[*views[0].parts, views[1]])
            passage = agent.deps.retriever.passage(g.hit, question)
            now = lexical.group_coverage(passage.chunk_ids, groups)
            if now > held:
                g, held = replace(g, passage=passage), now
        evidence = {**g.evidence, "follow_up_focus": round(held, 4)}
        confidence = g.confidence if held > 0.0 else g.confidence * FOLLOW_UP_OFF_FOCUS
        out.append(replace(g, confidence=confidence, evidence=evidence))
    out.sort(key=lambda g: -g.confidence)
    return out
