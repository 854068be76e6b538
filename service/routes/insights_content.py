"""Routes for support agents and admins: how each cited article performs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from insights import content
from service.deps import AgentDep, ServicesDep, SessionDep
from service.errors import ERROR_RESPONSES

router = APIRouter()


class ArticleStats(BaseModel):
    """One cited source: how often answers cited it, were rated helpful, or went wrong after."""

    doc_id: str
    title: str
    url: str | None = None
    source: str
    cited: int
    helpful: int
    unhelpful: int
    helpful_rate: float | None
    escalated_after: int
    trouble_rate: float | None
    last_cited_at: datetime | None = None


class ContentPage(BaseModel):
    """Content performance over the last `days`."""

    items: list[ArticleStats]
    total: int
    days: int
    computed_at: datetime


@router.get("/v1/insights/content", response_model=ContentPage, tags=["agent", "admin"],
            responses=ERROR_RESPONSES)
def content_performance(
    services: ServicesDep,
    session: SessionDep,
    principal: AgentDep,
    days: Annotated[int, Query(ge=1, le=365)] = content.DEFAULT_DAYS,
    sort: Literal["cited", "helpful_rate", "trouble_rate"] = "cited",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ContentPage:
    """Per cited article: times cited, helpful rate, and the share of answers followed by
    an escalation or a 👎 in the same conversation."""
    items, computed = content.cached_content(session, days, services.api.insights_max_age_s)
    ordered = content.sort_rows(items, sort)
    return ContentPage(items=[ArticleStats.model_validate(i) for i in ordered[:limit]],
                       total=len(items), days=days, computed_at=computed)
