"""Route for any key: what it may do, so that a client (the console) needs only the key."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import CallerDep
from service.errors import ERROR_RESPONSES
from service.schemas import MeOut

router = APIRouter()


@router.get("/v1/me", response_model=MeOut, tags=["any key"], responses=ERROR_RESPONSES)
def read_me(principal: CallerDep) -> MeOut:
    """Tell the role of the presented API key."""
    # A widget key is public: its label may name a person or a deployment, so it stays hidden.
    label = None if principal.role == "widget" else principal.label
    return MeOut(role=principal.role, label=label)
