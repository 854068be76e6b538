"""Routes for support agents and admins: hybrid search over the knowledge base or past tickets."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query

from errors import ServiceUnavailableError
from service.deps import AgentDep, ServicesDep
from service.errors import ERROR_RESPONSES, ErrorOut, knowledge_call
from service.schemas import Language, RequiredText, SearchHitOut, SearchOut
from service.wiring import Retriever

router = APIRouter()


@router.get(
    "/v1/search",
    response_model=SearchOut,
    tags=["support agent", "admin"],
    responses={**ERROR_RESPONSES, 503: {"model": ErrorOut}},
)
def search(
    services: ServicesDep,
    principal: AgentDep,
    q: Annotated[RequiredText, Query(min_length=1, max_length=2000)],
    source: Literal["kb", "ticket"] = "kb",
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    language: Language | None = None,
) -> SearchOut:
    """Search the knowledge base or past tickets."""
    retriever = cast(Retriever | None, getattr(services.agent, "retriever", None))
    if retriever is None:
        raise ServiceUnavailableError("this agent exposes no retriever to search with")
    hits = knowledge_call(
        partial(retriever.search, q, source=source, k=k, language=language), "search"
    )
    return SearchOut(
        query=q,
        source=source,
        hits=[SearchHitOut.model_validate(h, from_attributes=True) for h in hits],
    )
