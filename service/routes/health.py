"""Routes for operators, without a key: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from dataclasses import asdict
from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from errors import StoreError
from service.metrics import Metrics
from service.schemas import HealthOut, IndexOut, PolicyOut
from service.wiring import Services

router = APIRouter()


@router.get("/healthz", response_model=HealthOut, tags=["ops"])
def healthz() -> HealthOut:
    """Say the process is alive."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    tags=["ops"],
    responses={503: {"model": HealthOut, "description": "not ready"}},
)
def readyz(request: Request) -> JSONResponse:
    """Say whether the database and the agent are ready, and which policy is in force."""
    services = cast(Services | None, getattr(request.app.state, "services", None))
    checks: dict[str, str] = {}
    index: IndexOut | None = None
    if services is None:
        checks["startup"] = "in progress"
    else:
        try:
            services.db.ping()
            checks["database"] = "ok"
        except StoreError as exc:
            checks["database"] = exc.detail
        ready = getattr(services.agent, "ready", None)
        try:
            ok = bool(ready()) if callable(ready) else True
            checks["agent"] = "ok" if ok else "not ready"
        except Exception as exc:  # broad on purpose: readiness reports, never raises
            checks["agent"] = f"{exc.__class__.__name__}: {exc}"
        index = index_status(services, checks)
    healthy = bool(checks) and all(value == "ok" for value in checks.values())
    policy = services.policy if services is not None else None
    body = HealthOut(status="ready" if healthy else "not ready", checks=checks,
                     policy=PolicyOut(**asdict(policy.status())) if policy else None,
                     index=index)
    return JSONResponse(body.model_dump(exclude_none=True),
                        status_code=200 if healthy else 503)


def index_status(services: Services, checks: dict[str, str]) -> IndexOut | None:
    """Return how current this host's search caches are; with a catalog shared by several
    hosts, caches behind it for longer than KOTAE_READY_MAX_LAG_S make the host not ready."""
    status = getattr(services.agent, "index_status", None)
    if not callable(status):
        return None
    try:
        index = IndexOut.model_validate(status())
    except Exception as exc:  # broad on purpose: readiness reports, never raises
        checks["index"] = f"{exc.__class__.__name__}: {exc}"
        return None
    if index.shared:
        limit = services.api.ready_max_lag_s
        checks["index"] = ("ok" if index.lag_s <= limit else
                           f"{index.lag_s:.1f} s behind the shared index (limit {limit:g} s)")
    return index


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Expose Prometheus metrics."""
    registry = cast(Metrics, request.app.state.metrics).registry
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
