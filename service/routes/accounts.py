"""Routes for customer-success managers: account health from visible parts, its CSV, one account."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from insights import accounts
from service.deps import CsmDep, ServicesDep, SessionDep
from service.errors import ERROR_RESPONSES, NOT_FOUND
from service.routes.signals import _csv_cell

router = APIRouter()

BandName = Literal["healthy", "watch", "at_risk"]


class HealthPart(BaseModel):
    """One visible part of a health score: `contribution = ±weight × min(1, value / full_at)`."""

    name: str
    value: float
    weight: float
    full_at: float
    contribution: float
    detail: dict[str, Any] | None = None


class AccountHealth(BaseModel):
    """An account's health: the score (100 less each part's contribution), its band, and its
    expansion potential (0-100, from expansion signals and success-opportunity questions)."""

    account_id: str
    name: str | None = None
    plan: str | None = None
    score: float
    band: BandName
    expansion: float
    inquiries: int = Field(description="inquiries in the window")
    previous_inquiries: int = Field(description="inquiries in the window before")
    last_inquiry_at: datetime | None = None
    window_days: int
    parts: list[HealthPart]
    expansion_parts: list[HealthPart]


class AccountPage(BaseModel):
    """A page of accounts, sorted as asked, with when their health was computed."""

    items: list[AccountHealth]
    total: int
    limit: int
    offset: int
    computed_at: datetime | None
    bands: dict[str, int]


class RecentInquiry(BaseModel):
    """One of the account's latest inquiries (personal data masked)."""

    inquiry_id: str
    created_at: datetime | None
    text: str
    action: str | None
    reason: str | None
    tag: str | None
    language: str | None


class RecentSignal(BaseModel):
    """One of the account's latest signals (evidence with personal data masked)."""

    signal_id: str
    kind: str
    created_at: datetime | None
    evidence: str
    why: str
    localized: dict[str, Any] | None = None


class AccountDetail(AccountHealth):
    """One account's health computed now, with its latest inquiries and signals."""

    band_since: datetime | None = None
    recent_inquiries: list[RecentInquiry]
    recent_signals: list[RecentSignal]


SortQuery = Annotated[
    Literal["risk", "expansion", "name"],
    Query(description="risk: lowest score first; expansion: highest potential first"),
]
BandQuery = Annotated[BandName | None, Query(description="only accounts in this band")]


def _fresh(services: Any, session: Any) -> datetime | None:
    api = services.api
    return accounts.ensure_fresh(session, api.health_config(),
                                 accounts.directory_for(api.accounts_path),
                                 api.insights_max_age_s)


@router.get("/v1/accounts", response_model=AccountPage, tags=["csm"], responses=ERROR_RESPONSES)
def list_accounts(
    services: ServicesDep,
    session: SessionDep,
    principal: CsmDep,
    sort: SortQuery = "risk",
    band: BandQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AccountPage:
    """List accounts with a support history by health, each part of the score shown."""
    computed = _fresh(services, session)
    bands = accounts.band_counts(session)
    items = accounts.stored_healths(session, band=band, sort=sort, limit=limit, offset=offset)
    total = bands[band] if band else sum(bands.values())
    return AccountPage(items=[AccountHealth.model_validate(i) for i in items], total=total,
                       limit=limit, offset=offset, computed_at=computed, bands=bands)


@router.get(
    "/v1/accounts.csv",
    tags=["csm"],
    response_class=StreamingResponse,
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/csv": {}},
              "description": "accounts by health, each part as `value (contribution)`; UTF-8 "
              "with a byte-order mark (Excel opens Japanese names correctly)"},
    },
)
def export_accounts(
    services: ServicesDep, session: SessionDep, principal: CsmDep,
    sort: SortQuery = "risk", band: BandQuery = None,
) -> StreamingResponse:
    """Export account health as CSV."""
    computed = _fresh(services, session)
    text = _csv_copy(session, computed, sort, band)

    def body() -> Iterator[str]:
        yield text

    return StreamingResponse(
        body(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'})


#: The CSV as last written, per database, computation of the stored health, sort and band:
#: the stored health changes only when it is computed again (a new `computed_at`), so the
#: file is written once per computation instead of on every download.
_copies: dict[tuple[str, str | None, str, str | None], str] = {}
_copies_lock = threading.Lock()


def _csv_copy(session: Any, computed: datetime | None, sort: accounts.Sort,
              band: str | None) -> str:
    key = (str(session.get_bind().url), computed.isoformat() if computed else None, sort, band)
    with _copies_lock:
        found = _copies.get(key)
    if found is not None and computed is not None:
        return found
    items = accounts.stored_healths(session, band=band, sort=sort)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # without it Excel reads UTF-8 as the local code page
    writer = csv.writer(buffer)
    writer.writerow(accounts.CSV_COLUMNS)
    for row in accounts.csv_rows(items):
        writer.writerow([_csv_cell(value) for value in row])
    text = buffer.getvalue()
    with _copies_lock:
        if len(_copies) >= 32:  # older computations: never asked for again
            _copies.clear()
        _copies[key] = text
    return text


@router.get("/v1/accounts/{account_id}", response_model=AccountDetail, tags=["csm"],
            responses={**ERROR_RESPONSES, **NOT_FOUND})
def get_account(
    account_id: Annotated[str, Path(max_length=200)],
    services: ServicesDep,
    session: SessionDep,
    principal: CsmDep,
) -> AccountDetail:
    """Return one account's health computed now, with its latest inquiries and signals."""
    api = services.api
    config, directory = api.health_config(), accounts.directory_for(api.accounts_path)
    accounts.ensure_fresh(session, config, directory, api.insights_max_age_s)
    detail = accounts.account_detail(session, account_id, config, directory)
    return AccountDetail.model_validate(detail)
