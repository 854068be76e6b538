"""Knowledge gaps: topics people keep answering by hand because no article covers them.

A topic is a gap in a language when, in that language, at least `min_signals` of its
inquiries were escalated for low confidence or answered and marked unhelpful (👎), and fewer
than half of its answers cited a knowledge-base article. Its draft article is composed from
the support agents' resolutions of those escalations, offline and extractively: each
resolution cleaned as a precedent is (no greeting, sign-off, signature, names or personal
data: agent.precedent.clean_resolution), cut into sentences, near-duplicate sentences
dropped, the most shared resolution first. An admin edits and approves it, and it becomes a
knowledge-base document through the same upsert as PUT /v1/kb/documents.

Functions: ``compute_gaps(session, policy, min_signals=3) -> list[KnowledgeGapRow]``,
``list_gaps(session, status=None)``, ``edit_gap(...)``, ``approve_gap(...)``,
``dismiss_gap(...)``, and ``article_conflicts(articles, vectors, embedder)`` (with
``kb_articles(store)``) for duplicate or contradictory articles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from agent.policy import Policy
from agent.precedent import clean_resolution
from errors import ConflictError, NotFoundError
from insights import embedding
from insights.cluster import FloatArray
from insights.store import centroid_of_row
from retrieval.embeddings import Embedder, cosine_scale, l2_normalize
from retrieval.textproc import Analyzer
from retrieval.types import Document
from storage.models import (
    AnswerCitationRow,
    EscalationRow,
    FeedbackRow,
    InquiryClusterRow,
    InquiryRow,
    InsightClusterRow,
    KnowledgeGapRow,
    new_id,
    utcnow,
)

MIN_SIGNALS = 3
MAX_COVERED = 0.5  # a topic whose answers cite an article at least this often is covered
DRAFT_SENTENCES = 12
_SENTENCE = re.compile(r"[^\n.!?。！？]+(?:[.!?。！？]+|\n|$)")
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*•・])\s*")


def _resolution_text(row: EscalationRow, policy: Policy) -> str:
    # A reviewed precedent is already cleaned (and perhaps edited by its reviewer).
    if row.precedent and row.precedent_status == "approved":
        return row.precedent
    return clean_resolution(row.resolution or "", policy)


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        if _STEP.match(line):  # a numbered or bulleted step stays whole
            out.append(line.strip())
            continue
        out += [s.strip() for s in _SENTENCE.findall(line) if s.strip()]
    return [s for s in out if len(s) > 1]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else float(a == b)


def draft_from(resolutions: Sequence[str], analyzer: Analyzer,
               limit: int = DRAFT_SENTENCES) -> str:
    """Compose an article from cleaned resolutions: shared sentences once, central first."""
    unique = list(dict.fromkeys(r.strip() for r in resolutions if r.strip()))
    if not unique:
        return ""
    terms = [set(analyzer.terms(r)) for r in unique]
    centrality = [sum(_jaccard(t, o) for o in terms) for t in terms]
    order = sorted(range(len(unique)), key=lambda i: (-centrality[i], i))
    kept: list[str] = []
    kept_terms: list[set[str]] = []
    for i in order:
        for sentence in _sentences(unique[i]):
            words = set(analyzer.terms(sentence))
            if any(_jaccard(words, seen) >= 0.6 for seen in kept_terms):
                continue
            if not words and sentence in kept:
                continue
            kept.append(sentence)
            kept_terms.append(words)
            if len(kept) >= limit:
                break
        if len(kept) >= limit:
            break
    return _join(kept)


_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


def grounded(text: str, sources: Sequence[str]) -> bool:
    """Tell whether every number in a text appears in its sources (a model's draft must not
    bring a limit, a price or a count of its own)."""
    known = {n.replace(",", "") for source in sources for n in _DIGITS.findall(source)}
    body = "\n".join(_STEP.sub("", line) for line in text.splitlines())  # "1." is no fact
    return all(n.replace(",", "") in known for n in _DIGITS.findall(body))


def model_draft(llm: Any, prompts: Any, language: str, question: str,
                resolutions: Sequence[str], fallback: str) -> str:
    """Have the model write the article from the cleaned resolutions; keep the extractive
    draft when the model fails, says nothing, or states a number no resolution gives."""
    from agent.llm import ChatMessage, LLMError

    if not resolutions:
        return fallback
    name = "gap_article_ja" if language == "ja" else "gap_article_en"
    rendered = prompts.render(name, question=question,
                              resolutions="\n\n---\n\n".join(resolutions))
    try:
        reply = llm.complete([ChatMessage(role="user", content=rendered.text)],
                             flow="insights_gap_draft", prompt_version=rendered.tag)
    except LLMError:
        return fallback
    text = mask_pii(str(reply.text or "").strip())
    return text if text and grounded(text, resolutions) else fallback


def _join(sentences: list[str]) -> str:
    """Join sentences: steps on their own lines, the rest as running text."""
    lines: list[str] = []
    for s in sentences:
        if _STEP.match(s) or not lines or _STEP.match(lines[-1]):
            lines.append(s)
        else:
            lines[-1] = f"{lines[-1]} {s}" if s[:1].isascii() else f"{lines[-1]}{s}"
    return "\n".join(lines)


@dataclass
class _Signals:
    inquiries: list[str]
    escalations: list[EscalationRow]
    answered: int
    cited: int


def compute_gaps(session: Session, policy: Policy, *, min_signals: int = MIN_SIGNALS,
                 embedder: Embedder | None = None, analyzer: Analyzer | None = None,
                 llm: Any = None, prompts: Any = None) -> list[KnowledgeGapRow]:
    """Find or refresh the gaps of every active topic; return the open ones. With a chat
    model (LLM mode) the draft is the model's, grounded in the resolutions."""
    analyzer = analyzer or Analyzer()
    topics = {t.id: t for t in session.scalars(select(InsightClusterRow).where(
        InsightClusterRow.kind == "topic", InsightClusterRow.status == "active"))}
    rows = session.execute(
        select(InquiryClusterRow.cluster_id, InquiryRow.id, InquiryRow.text, InquiryRow.action,
               InquiryRow.reason, InquiryRow.language)
        .join(InquiryRow, InquiryRow.id == InquiryClusterRow.inquiry_id)
        .where(InquiryClusterRow.kind == "topic",
               InquiryClusterRow.cluster_id.in_(list(topics)))).all()
    ids = [r.id for r in rows]
    unhelpful = set(_chunked(session, select(FeedbackRow.inquiry_id).where(
        FeedbackRow.helpful.is_(False)), FeedbackRow.inquiry_id, ids))
    cited = set(_chunked(session, select(AnswerCitationRow.inquiry_id).where(
        AnswerCitationRow.source == "kb"), AnswerCitationRow.inquiry_id, ids))
    escalation_of: dict[str, list[EscalationRow]] = {}
    for start in range(0, len(ids), 1000):
        for e in session.scalars(select(EscalationRow).where(
                EscalationRow.inquiry_id.in_(ids[start:start + 1000]))):
            escalation_of.setdefault(e.inquiry_id or "", []).append(e)
    signals: dict[tuple[str, str], _Signals] = {}
    text_of: dict[str, str] = {}
    for r in rows:
        key = (r.cluster_id, r.language or "en")
        s = signals.setdefault(key, _Signals([], [], 0, 0))
        text_of[r.id] = r.text
        if r.action == "answer":
            s.answered += 1
            s.cited += r.id in cited
        low = r.action == "escalate" and r.reason == "low_confidence"
        if low or (r.action == "answer" and r.id in unhelpful):
            s.inquiries.append(r.id)
            s.escalations += [e for e in escalation_of.get(r.id, []) if e.status == "resolved"
                              and (e.resolution or "").strip()]
    existing = {(g.topic_id, g.language): g for g in session.scalars(select(KnowledgeGapRow))}
    now = utcnow()
    for (topic_id, language), s in sorted(signals.items()):
        covered = s.answered and s.cited / s.answered >= MAX_COVERED
        gap = existing.get((topic_id, language))
        if gap is not None and gap.status != "open":
            continue  # approved or dismissed: people decided
        if len(s.inquiries) < min_signals or covered:
            continue
        if gap is not None and gap.evidence.get("signals") == len(s.inquiries) and gap.draft:
            continue  # nothing new since it was drafted
        evidence = {"inquiries": s.inquiries[-50:], "signals": len(s.inquiries),
                    "escalations": [e.id for e in s.escalations][-50:],
                    "resolutions": len(s.escalations), "answered": s.answered,
                    "answered_citing_kb": s.cited}
        if gap is not None and gap.reviewer:  # an admin's edits are kept
            gap.evidence, gap.updated_at = evidence, now
            continue
        cleaned = [_resolution_text(e, policy) for e in s.escalations]
        draft = draft_from(cleaned, analyzer)
        title = _title(session, topics[topic_id], s.inquiries, text_of, embedder)
        if llm is not None and prompts is not None:
            draft = model_draft(llm, prompts, language, title,
                                list(dict.fromkeys(c for c in cleaned if c.strip())), draft)
        if gap is None:
            gap = KnowledgeGapRow(id=new_id("gap"), topic_id=topic_id, language=language,
                                  status="open", title=title, draft=draft, evidence=evidence,
                                  created_at=now, updated_at=now)
            session.add(gap)
            existing[(topic_id, language)] = gap
        else:
            gap.evidence, gap.title, gap.draft, gap.updated_at = evidence, title, draft, now
    session.commit()
    return [g for g in existing.values() if g.status == "open"]


def _title(session: Session, topic: InsightClusterRow, inquiry_ids: list[str],
           text_of: dict[str, str], embedder: Embedder | None) -> str:
    """The gap's question: the one of its inquiries nearest the topic's centre."""
    best = inquiry_ids[0]
    if embedder is not None or topic.model:
        ids, vectors = embedding.load_embeddings(session, topic.model, inquiry_ids)
        if ids:
            best = ids[int(np.argmax(vectors @ centroid_of_row(topic)))]
    return mask_pii(text_of[best]).strip()[:300]


def _chunked(session: Session, query: Any, column: Any, values: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(values), 1000):
        found += [r[0] for r in session.execute(query.where(
            column.in_(values[start:start + 1000])))]
    return found


def list_gaps(session: Session, status: str | None = "open") -> list[KnowledgeGapRow]:
    """Return gaps, the ones with the most signals first."""
    query = select(KnowledgeGapRow)
    if status is not None:
        query = query.where(KnowledgeGapRow.status == status)
    return sorted(session.scalars(query), key=lambda g: (-int(g.evidence.get("signals", 0)),
                                                        g.created_at, g.id))


def get_gap(session: Session, gap_id: str) -> KnowledgeGapRow:
    """Return a gap by id."""
    gap = session.get(KnowledgeGapRow, gap_id)
    if gap is None:
        raise NotFoundError(f"no knowledge gap {gap_id!r}")
    return gap


def edit_gap(session: Session, gap_id: str, reviewer: str, *, title: str | None = None,
             draft: str | None = None) -> KnowledgeGapRow:
    """Change a draft's title or text before approving it."""
    gap = get_gap(session, gap_id)
    if gap.status != "open":
        raise ConflictError(f"gap {gap_id} is {gap.status}; only open gaps are edited")
    if title is not None:
        gap.title = title.strip()
    if draft is not None:
        gap.draft = draft.strip()
    gap.reviewer, gap.updated_at = reviewer[:200], utcnow()
    session.commit()
    return gap


def document_id(gap: KnowledgeGapRow) -> str:
    """Return the knowledge-base id an approved gap's article gets."""
    return f"insights/{gap.topic_id}-{gap.language}"


def approve_gap(session: Session, gap_id: str, reviewer: str,
                upsert: Callable[[Document], str], *, title: str | None = None,
                draft: str | None = None) -> tuple[KnowledgeGapRow, str]:
    """Publish a gap's draft (as edited) as a knowledge-base article; return it and the outcome."""
    gap = get_gap(session, gap_id)
    if gap.status != "open":
        raise ConflictError(f"gap {gap_id} is {gap.status}; only open gaps are approved")
    title = (title if title is not None else gap.title).strip()
    text = (draft if draft is not None else gap.draft).strip()
    if not title or not text:
        raise ConflictError("an article needs a title and a text",
                            hint="write the article's text into the draft before approving")
    doc = Document(id=document_id(gap), title=title, text=text, language=gap.language,
                   metadata={"origin": "insights", "gap": gap.id, "topic": gap.topic_id},
                   origin=f"insights:{reviewer}")
    outcome = upsert(doc)
    now = utcnow()
    gap.title, gap.draft, gap.status = title, text, "approved"
    gap.doc_id, gap.reviewer, gap.reviewed_at, gap.updated_at = doc.id, reviewer[:200], now, now
    session.commit()
    return gap, outcome


def dismiss_gap(session: Session, gap_id: str, reviewer: str) -> KnowledgeGapRow:
    """Set a gap aside: it is not raised again for its topic and language."""
    gap = get_gap(session, gap_id)
    now = utcnow()
    gap.status, gap.reviewer, gap.reviewed_at, gap.updated_at = "dismissed", reviewer, now, now
    session.commit()
    return gap


# ---------------------------------------------------------------- duplicate or contradictory

_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(%|[a-zA-Z]+|[^\s\d]{1,2})?")


@dataclass(frozen=True)
class Article:
    """A knowledge-base article as conflicts are looked for in it."""

    doc_id: str
    title: str
    text: str
    language: str


@dataclass(frozen=True)
class Conflict:
    """Two articles answering the same questions: the same, or with different numbers."""

    kind: str  # "duplicate" or "contradictory"
    first: str
    second: str
    similarity: float
    numbers: dict[str, list[str]]


def _numbers(text: str) -> Counter[tuple[str, str]]:
    """Return (unit, number) pairs: '14 days' -> ('day', '14'), '30%' -> ('%', '30')."""
    out: Counter[tuple[str, str]] = Counter()
    for value, unit in _NUMBER.findall(text):
        unit = (unit or "").lower().rstrip("s") if unit and unit.isascii() else (unit or "")
        out[(unit, value.replace(",", ""))] += 1
    return out


def article_conflicts(articles: Sequence[Article], vectors: FloatArray, embedder: object,
                      point: float = 0.8) -> list[Conflict]:
    """Flag pairs of articles on the same question: near copies, or the same units with
    different numbers (14 days in one, 30 days in the other). `vectors` holds one unit row per
    article (its chunks' mean); `embedder` says where its cosines sit (CosineScale)."""
    if len(articles) < 2:
        return []
    sims = vectors @ vectors.T
    scale = cosine_scale(embedder)
    threshold = scale.unrelated + point * (scale.paraphrase - scale.unrelated)
    out: list[Conflict] = []
    for i in range(len(articles)):
        for j in range(i + 1, len(articles)):
            a, b = articles[i], articles[j]
            if a.language != b.language or float(sims[i, j]) < threshold:
                continue
            na, nb = _numbers(a.text), _numbers(b.text)
            units_a = {u for u, _ in na if u}
            units_b = {u for u, _ in nb if u}
            differing: dict[str, list[str]] = {}
            for unit in units_a & units_b:
                va = {v for u, v in na if u == unit}
                vb = {v for u, v in nb if u == unit}
                if va != vb and not va & vb:
                    differing[unit] = sorted(va | vb)
            if differing:
                out.append(Conflict("contradictory", a.doc_id, b.doc_id, float(sims[i, j]),
                                    differing))
            elif float(sims[i, j]) >= scale.paraphrase + 0.5 * (1.0 - scale.paraphrase):
                out.append(Conflict("duplicate", a.doc_id, b.doc_id, float(sims[i, j]), {}))
    return out


def kb_articles(store: Any) -> tuple[list[Article], FloatArray]:
    """Return the knowledge base's articles and one vector each (the mean of its chunks'),
    read from the index (nothing is embedded again)."""
    rows = store.vector_rows("kb")
    ids = list(rows)
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    chunk_vectors = np.asarray(store.vectors.embeddings("kb", ids), dtype=np.float32)
    docs: dict[str, list[int]] = {}
    for n, chunk_id in enumerate(ids):
        docs.setdefault(rows[chunk_id].doc_id, []).append(n)
    articles: list[Article] = []
    vectors = np.zeros((len(docs), chunk_vectors.shape[1]), dtype=np.float32)
    for k, (doc_id, members) in enumerate(docs.items()):
        chunks = sorted((rows[ids[n]] for n in members), key=lambda c: c.position)
        articles.append(Article(doc_id, chunks[0].title, "\n".join(c.text for c in chunks),
                                chunks[0].language))
        vectors[k] = chunk_vectors[members].mean(axis=0)
    return articles, l2_normalize(vectors)
