"""Routes for insights: topics (CSMs and admins), bug clusters and knowledge gaps (support
agents and admins); re-clustering, renaming, merging and approving drafts are admins' work."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache, partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from agent.policy import Policy
from agent.precedent import clean_resolution
from errors import ConflictError, ServiceUnavailableError
from insights import bugs, gaps, topics
from insights.duty import SLACK, recluster
from insights.embedding import Cleaner
from retrieval.embeddings import Embedder
from service.deps import (
    AdminDep,
    AgentDep,
    CsmDep,
    ServicesDep,
    SessionDep,
    SinceQuery,
    UntilQuery,
    aware,
)
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE, knowledge_call
from service.wiring import Services
from storage.models import KnowledgeGapRow, utcnow
from storage.outbox import emit

router = APIRouter()
ClusterId = Annotated[str, Path(min_length=1, max_length=40)]
Limit = Annotated[int, Query(ge=1, le=500)]
DEFAULT_DAYS = 7


def embedder_of(services: Services) -> Embedder:
    """Return the embedder the agent searches with (insights group inquiries with it too)."""
    deps = getattr(services.agent, "deps", None)
    embedder = getattr(deps, "embedder", None) or getattr(services.agent, "embedder", None)
    if not isinstance(embedder, Embedder):
        raise ServiceUnavailableError("insights need the agent's embedding model, and this "
                                      "agent has none", hint="run the standard agent")
    return embedder


@cache
def default_policy() -> Policy:
    """Return the default policy, read once (parsing it takes a good part of a second)."""
    return Policy.load(None)


def policy_of(services: Services) -> Policy:
    """Return the agent's policy (its cleaning phrases), else the default one."""
    policy = getattr(services.agent, "policy", None)
    return policy if isinstance(policy, Policy) else default_policy()


def cleaner_of(services: Services) -> Cleaner:
    """Return what strips greetings, sign-offs and personal data before embedding."""
    return partial(clean_resolution, policy=policy_of(services))


def model_of(services: Services) -> dict[str, Any]:
    """Return the agent's chat model and prompts in LLM mode (drafts are then the model's)."""
    deps = getattr(services.agent, "deps", None)
    llm, prompts = getattr(deps, "llm", None), getattr(deps, "prompts", None)
    return {"llm": llm, "prompts": prompts} if llm is not None and prompts is not None else {}


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = aware(until) or utcnow()
    return aware(since) or end - timedelta(days=DEFAULT_DAYS), end


class TopicsPage(BaseModel):
    """The busiest topics of a period: volume, trend, deflection, signals, examples, articles."""

    since: datetime
    until: datetime
    items: list[dict[str, Any]]
    assigned: int = Field(description="new inquiries that joined a topic for this page")


@router.get("/v1/insights/topics", response_model=TopicsPage, tags=["csm", "admin"],
            responses=ERROR_RESPONSES)
def list_topics(services: ServicesDep, session: SessionDep, principal: CsmDep,
                since: SinceQuery = None, until: UntilQuery = None,
                days: Annotated[int | None, Query(ge=1, le=365)] = None,
                limit: Limit = 20) -> TopicsPage:
    """List topics by volume in the period, with their figures. Without `since`/`until`: the
    last `days` (7 unless given), as computed at most KOTAE_INSIGHTS_MAX_AGE_S ago (or since
    the topics changed; the maintenance pass keeps the last 7 and 30 days' fresh). With them:
    computed now, after joining the period's newest waiting inquiries to their topics."""
    if since is None and until is None:
        chosen = days or DEFAULT_DAYS
        items, computed = topics.cached_top_topics(session, chosen, limit,
                                                   services.api.insights_max_age_s)
        return TopicsPage(since=computed - timedelta(days=chosen), until=computed,
                          items=items, assigned=0)
    start, end = _period(since, until)
    # The maintenance pass joins new inquiries within seconds: only its latest window can
    # still be waiting (an older inquiry too far from every topic waits for a re-cluster).
    assigned = topics.assign_pending(session, embedder_of(services), cleaner_of(services),
                                     limit=topics.PASS_LIMIT,
                                     since=max(start, utcnow() - SLACK))
    found = topics.top_topics(session, start, end, limit)
    return TopicsPage(since=start, until=end, items=[t.as_dict() for t in found],
                      assigned=assigned)


class Recomputed(BaseModel):
    """What a re-cluster did."""

    topics: dict[str, int]
    bugs: dict[str, int]
    gaps: int


@router.post("/v1/insights/recompute", response_model=Recomputed, tags=["admin"],
             responses=ERROR_RESPONSES)
def recompute(services: ServicesDep, session: SessionDep, principal: AdminDep) -> Recomputed:
    """Re-cluster topics and bug clusters (ids kept where they persist), refresh the gaps."""
    done = recluster(session, embedder_of(services), policy_of(services), **model_of(services))
    t, b = done.topics, done.bugs

    def counts(r: Any) -> dict[str, int]:
        return {"clusters": r.clusters, "kept": r.kept, "created": r.created,
                "retired": r.retired}

    return Recomputed(topics=counts(t), bugs=counts(b), gaps=done.gaps)


class TopicName(BaseModel):
    """A name people chose for a topic (null: its automatic name)."""

    name: str | None = Field(None, max_length=200)


class TopicMerge(BaseModel):
    """The topic to fold this one into."""

    into: str = Field(min_length=1, max_length=40)


class TopicOut(BaseModel):
    """A topic's identity after a change."""

    id: str
    name: str
    label: str
    status: str
    size: int


def _topic_out(row: Any) -> TopicOut:
    return TopicOut(id=row.id, name=row.name or row.label, label=row.label, status=row.status,
                    size=row.size)


@router.patch("/v1/insights/topics/{topic_id}", response_model=TopicOut, tags=["admin"],
              responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE})
def rename_topic(topic_id: ClusterId, body: TopicName, session: SessionDep,
                 principal: AdminDep) -> TopicOut:
    """Rename a topic; re-clusters keep the name while the topic persists."""
    return _topic_out(topics.rename_topic(session, topic_id, body.name))


@router.post("/v1/insights/topics/{topic_id}/merge", response_model=TopicOut, tags=["admin"],
             responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE})
def merge_topic(topic_id: ClusterId, body: TopicMerge, session: SessionDep,
                principal: AdminDep) -> TopicOut:
    """Merge a topic into another; its inquiries move, and its id now points to the other."""
    return _topic_out(topics.merge_topics(session, topic_id, body.into))


# ------------------------------------------------------------------------------- bugs


class BugsPage(BaseModel):
    """Bug clusters, the most reported first."""

    items: list[dict[str, Any]]


BugStatus = Annotated[Literal["active", "fixed", "reopened"] | None, Query()]


@router.get("/v1/insights/bugs", response_model=BugsPage, tags=["agent", "admin"],
            responses=ERROR_RESPONSES)
def list_bugs(session: SessionDep, principal: AgentDep, since: SinceQuery = None,
              until: UntilQuery = None, status: BugStatus = None,
              limit: Limit = 100) -> BugsPage:
    """List bug clusters with reports in the period (default: all time)."""
    found = bugs.bug_clusters(session, aware(since), aware(until), limit, status)
    return BugsPage(items=[c.as_dict() for c in found])


@router.get("/v1/insights/bugs.csv", tags=["agent", "admin"], response_class=Response,
            responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {}},
                                                 "description": "bug clusters, evidence masked"}})
def export_bugs(session: SessionDep, principal: AgentDep, since: SinceQuery = None,
                until: UntilQuery = None, status: BugStatus = None,
                limit: Limit = 500) -> Response:
    """Export bug clusters as CSV (UTF-8 with a byte-order mark, for Excel)."""
    found = bugs.bug_clusters(session, aware(since), aware(until), limit, status)
    return Response("\ufeff" + bugs.to_csv(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="bugs.csv"'})


class BugOut(BaseModel):
    """A bug cluster's state after a change, or what was sent for it."""

    id: str
    status: str
    reports_since_fixed: int
    issue: dict[str, Any] | None = None


@router.post("/v1/insights/bugs/{cluster_id}/fixed", response_model=BugOut,
             tags=["agent", "admin"], responses={**ERROR_RESPONSES, **NOT_FOUND})
def mark_bug_fixed(cluster_id: ClusterId, session: SessionDep, principal: AgentDep) -> BugOut:
    """Mark a bug cluster fixed; reports after this reopen it with a count."""
    row = bugs.mark_fixed(session, cluster_id, principal.label)
    return BugOut(id=row.id, status=row.status, reports_since_fixed=row.reports_since_fixed)


@router.post("/v1/insights/bugs/{cluster_id}/export", response_model=BugOut,
             tags=["agent", "admin"], responses={**ERROR_RESPONSES, **NOT_FOUND})
def send_bug(cluster_id: ClusterId, session: SessionDep, principal: AgentDep) -> BugOut:
    """Send a bug cluster to the issue tracker: the signed `insight.bug_cluster` webhook."""
    row = topics.get_topic(session, cluster_id, kind="bug")  # 404 for an unknown id
    cluster = next((c for c in bugs.bug_clusters(session, limit=100_000) if c.id == cluster_id),
                   None)
    if cluster is None:
        raise ConflictError(f"bug cluster {cluster_id} is {row.status} with no reports to send")
    issue = bugs.issue_payload(cluster)
    emit(session, "insight.bug_cluster", issue)
    session.commit()
    return BugOut(id=row.id, status=row.status, reports_since_fixed=row.reports_since_fixed,
                  issue=issue)


# ------------------------------------------------------------------------------- gaps


class GapOut(BaseModel):
    """A knowledge gap and its draft article."""

    id: str
    topic_id: str
    language: str
    status: str
    title: str
    draft: str
    evidence: dict[str, Any]
    doc_id: str | None
    reviewer: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    outcome: str | None = None


def _gap_out(row: KnowledgeGapRow, outcome: str | None = None) -> GapOut:
    return GapOut(id=row.id, topic_id=row.topic_id, language=row.language, status=row.status,
                  title=row.title, draft=row.draft, evidence=row.evidence, doc_id=row.doc_id,
                  reviewer=row.reviewer, reviewed_at=row.reviewed_at, created_at=row.created_at,
                  updated_at=row.updated_at, outcome=outcome)


class GapsPage(BaseModel):
    """Knowledge gaps, the most signalled first."""

    items: list[GapOut]


@router.get("/v1/insights/gaps", response_model=GapsPage, tags=["agent", "admin"],
            responses=ERROR_RESPONSES)
def list_gaps(services: ServicesDep, session: SessionDep, principal: AgentDep,
              status: Literal["open", "approved", "dismissed"] | None = "open",
              refresh: bool = False) -> GapsPage:
    """List knowledge gaps with their drafts. Gaps are found at each re-cluster (POST
    /v1/insights/recompute, `python -m insights recompute`); `refresh=true` looks again now,
    which reads every inquiry in a topic."""
    if refresh:
        topics.assign_pending(session, embedder_of(services), cleaner_of(services),
                              limit=topics.PASS_LIMIT)
        gaps.compute_gaps(session, policy_of(services), embedder=embedder_of(services),
                          **model_of(services))
    return GapsPage(items=[_gap_out(g) for g in gaps.list_gaps(session, status)])


class GapEdit(BaseModel):
    """An admin's edit of a draft article."""

    title: str | None = Field(None, min_length=1, max_length=300)
    draft: str | None = Field(None, min_length=1, max_length=50_000)


@router.put("/v1/insights/gaps/{gap_id}", response_model=GapOut, tags=["admin"],
            responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE})
def edit_gap(gap_id: ClusterId, body: GapEdit, session: SessionDep,
             principal: AdminDep) -> GapOut:
    """Edit a draft's title or text."""
    return _gap_out(gaps.edit_gap(session, gap_id, principal.label, title=body.title,
                                  draft=body.draft))


@router.post("/v1/insights/gaps/{gap_id}/approve", response_model=GapOut, tags=["admin"],
             responses={**ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE})
def approve_gap(gap_id: ClusterId, body: GapEdit, services: ServicesDep, session: SessionDep,
                principal: AdminDep) -> GapOut:
    """Publish the draft (with any edits in the body) as a knowledge-base article: searchable
    and answerable as soon as this returns."""
    def upsert(doc: Any) -> str:
        return knowledge_call(partial(services.agent.upsert_document, doc),
                              f"index document {doc.id!r}")

    row, outcome = gaps.approve_gap(session, gap_id, principal.label, upsert,
                                    title=body.title, draft=body.draft)
    return _gap_out(row, outcome)


@router.post("/v1/insights/gaps/{gap_id}/dismiss", response_model=GapOut, tags=["admin"],
             responses={**ERROR_RESPONSES, **NOT_FOUND})
def dismiss_gap(gap_id: ClusterId, session: SessionDep, principal: AdminDep) -> GapOut:
    """Set a gap aside; it is not raised again for its topic and language."""
    return _gap_out(gaps.dismiss_gap(session, gap_id, principal.label))


class ConflictOut(BaseModel):
    """Two articles answering the same question: near copies, or with different numbers."""

    kind: Literal["duplicate", "contradictory"]
    first: str
    second: str
    similarity: float
    numbers: dict[str, list[str]]


class ConflictsPage(BaseModel):
    """Duplicate or contradictory knowledge-base articles."""

    items: list[ConflictOut]
    articles: int


@router.get("/v1/insights/conflicts", response_model=ConflictsPage, tags=["agent", "admin"],
            responses=ERROR_RESPONSES)
def list_conflicts(services: ServicesDep, principal: AgentDep) -> ConflictsPage:
    """List pairs of articles on the same question that are near copies or give different
    numbers for the same thing (14 days in one, 30 in the other)."""
    read = getattr(services.agent, "kb_articles", None)
    if read is None:
        raise ServiceUnavailableError("this agent has no knowledge-base index to read")
    articles, vectors = knowledge_call(read, "read the articles")
    found = gaps.article_conflicts(articles, vectors, embedder_of(services))
    return ConflictsPage(items=[ConflictOut(kind=c.kind, first=c.first, second=c.second,
                                            similarity=round(c.similarity, 4),
                                            numbers=c.numbers) for c in found],
                         articles=len(articles))
