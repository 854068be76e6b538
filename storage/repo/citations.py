"""The sources an answer cited, one row each, taken from its stored decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def citation_rows(
    inquiry_id: str, conversation_id: str, created_at: datetime, decision: Any
) -> list[dict[str, Any]]:
    """Return answer_citations values for a decision (a dict as stored), one per cited source."""
    if not isinstance(decision, dict) or decision.get("action") != "answer":
        return []
    rows: dict[str, dict[str, Any]] = {}
    for citation in decision.get("citations") or []:
        if not isinstance(citation, dict) or not citation.get("id"):
            continue
        doc_id = str(citation["id"])[:300]
        rows.setdefault(doc_id, {
            "inquiry_id": inquiry_id,
            "conversation_id": conversation_id,
            "doc_id": doc_id,
            "title": str(citation.get("title") or "")[:2000],
            "url": citation.get("url"),
            "source": str(citation.get("source") or "kb")[:16],
            "created_at": created_at,
        })
    return list(rows.values())
