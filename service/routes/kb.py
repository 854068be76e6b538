"""Routes for admins: add, replace and remove knowledge-base documents without downtime."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Response

from errors import NotFoundError
from retrieval.types import Document
from service.deps import AdminDep, ServicesDep
from service.errors import ERROR_RESPONSES, NOT_FOUND, TOO_LARGE, knowledge_call
from service.schemas import DocumentIn, DocumentOut

router = APIRouter()
DocumentId = Annotated[str, Path(min_length=1, max_length=300)]


@router.put(
    "/v1/kb/documents/{doc_id:path}",
    response_model=DocumentOut,
    tags=["admin"],
    responses={**ERROR_RESPONSES, **TOO_LARGE},
)
def put_document(
    doc_id: DocumentId, body: DocumentIn, services: ServicesDep, principal: AdminDep
) -> DocumentOut:
    """Add or replace a knowledge-base document; searchable as soon as this returns."""
    document = Document(
        id=doc_id,
        title=body.title,
        text=body.text,
        url=body.url,
        language=body.language,
        metadata=dict(body.metadata),
        origin=f"api:{principal.label}",
    )
    outcome = knowledge_call(
        partial(services.agent.upsert_document, document), f"index document {doc_id!r}"
    )
    return DocumentOut(id=doc_id, outcome=outcome)


@router.delete(
    "/v1/kb/documents/{doc_id:path}",
    status_code=204,
    tags=["admin"],
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def delete_document(doc_id: DocumentId, services: ServicesDep, principal: AdminDep) -> Response:
    """Remove a knowledge-base document."""
    deleted = knowledge_call(
        partial(services.agent.delete_document, doc_id), f"delete document {doc_id!r}"
    )
    if not deleted:
        raise NotFoundError(f"no knowledge-base document {doc_id!r}")
    return Response(status_code=204)
