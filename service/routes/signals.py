"""Routes for customer-success managers: the expansion and churn-risk signals feed, its CSV, acks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from agent.types import SignalKind
from service.deps import (
    AccountQuery,
    CsmDep,
    ServicesDep,
    SessionDep,
    SinceQuery,
    UntilQuery,
    aware,
)
from service.errors import ERROR_RESPONSES
from service.schemas import SignalOut, SignalPage
from service.views import signal_out
from storage.repo import signals

router = APIRouter()

_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    # Customers' words end up in spreadsheets: a leading = or + would run as a formula.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def _signal_filter(
    account_id: str | None,
    kind: SignalKind | None,
    since: datetime | None,
    until: datetime | None,
    acked: bool | None,
) -> signals.SignalFilter:
    return signals.SignalFilter(
        account_id=account_id,
        kind=kind.value if kind else None,
        since=aware(since),
        until=aware(until),
        acked=acked,
    )


@router.get("/v1/signals", response_model=SignalPage, tags=["csm"], responses=ERROR_RESPONSES)
def list_signals(
    session: SessionDep,
    principal: CsmDep,
    account_id: AccountQuery = None,
    kind: SignalKind | None = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    acked: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SignalPage:
    """List expansion and churn-risk signals, newest first."""
    rows, total = signals.list_signals(
        session, _signal_filter(account_id, kind, since, until, acked), limit=limit, offset=offset
    )
    return SignalPage(items=[signal_out(r) for r in rows], total=total, limit=limit, offset=offset)


CSV_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "account_id",
    "evidence",
    "why",
    "next_step",
    "confidence",
    "inquiry_id",
    "conversation_id",
    "acked_at",
    "acked_by",
)


@router.get(
    "/v1/signals.csv",
    tags=["csm"],
    response_class=StreamingResponse,
    responses={
        **ERROR_RESPONSES,
        200: {
            "content": {"text/csv": {}},
            "description": "signals, oldest first; UTF-8 with a byte-order mark (Excel opens "
            "Japanese text correctly)",
        },
    },
)
def export_signals(
    services: ServicesDep,
    principal: CsmDep,
    account_id: AccountQuery = None,
    kind: SignalKind | None = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    acked: bool | None = None,
) -> StreamingResponse:
    """Export signals as CSV."""
    where = _signal_filter(account_id, kind, since, until, acked)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        # A byte-order mark first: without it Excel reads UTF-8 as the local code page and
        # Japanese evidence turns into mojibake. Other CSV readers skip it.
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with services.db.session() as session:
            for row in signals.iter_signals(session, where):
                writer.writerow([_csv_cell(getattr(row, column)) for column in CSV_COLUMNS])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="signals.csv"'},
    )


@router.post(
    "/v1/signals/{signal_id}/ack", response_model=SignalOut, tags=["csm"], responses=ERROR_RESPONSES
)
def ack_signal(
    signal_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: CsmDep
) -> SignalOut:
    """Mark a signal as seen."""
    return signal_out(signals.ack_signal(session, signal_id, principal.label))
