"""Kotae's HTTP API: the chat widget, the escalation queue, the signals feed and admin.

Serve it with `uvicorn api:app`, or `uvicorn api:create_app --factory` to build it on start.
Settings come from the environment: `service.settings.ApiSettings` (API keys, database,
limits, webhooks) and `settings.Settings` (the agent's). This page only assembles the app;
the rest lives in `service/`:

| where | what |
|---|---|
| `service/routes/` | one module per resource: inquiries, conversations (widget); escalations, search (support agents); signals, analytics (CSMs); kb (admins); health (operators) |
| `service/deps.py` | `Annotated[..., Depends()]` aliases: services, a session, the caller's role |
| `service/schemas.py`, `service/views.py` | request and response bodies; rows turned into them |
| `service/errors.py` | the one error shape and the handler mapping every error to it |
| `service/middleware.py`, `service/access.py` | body limits, URL guard, CORS; API keys and rate limits |
| `service/settings.py`, `service/wiring.py` | `ApiSettings`; the lifespan opening the database, agent and worker |
| `service/web.py` | the widget script, the console and the demo page |

Persistence lives in `storage/`, decisions in `agent/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from service.errors import install_error_handlers
from service.metrics import Metrics
from service.middleware import install_middleware
from service.routes import ROUTERS
from service.settings import ApiSettings, load_api_settings
from service.web import mount_web
from service.wiring import TriageAgent, lifespan_for

if TYPE_CHECKING:
    from settings import Settings


def create_app(
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
    agent: TriageAgent | None = None,
) -> FastAPI:
    """Build the app; the lifespan opens the database (migrating it) and the agent."""
    api = api_settings or load_api_settings()
    metrics = Metrics()
    # FastAPIOffline serves Swagger UI's and ReDoc's files from its own package instead of a
    # CDN, so /docs works on a machine without internet. No validator badge: it calls out.
    app = FastAPIOffline(
        title="Kotae",
        summary="Support triage and auto-answer: grounded answers, escalations with reasons, "
        "expansion signals.",
        version="1.0.0",
        lifespan=lifespan_for(api, settings, agent, metrics),
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.metrics = metrics
    app.state.services = None
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_middleware(app, api, metrics)
    mount_web(app, next((key for role, key in api.parsed_keys() if role == "widget"), None))
    return app


# `uvicorn api:app` reads this; it is built from the environment on first use, not on import,
# so that importing api (or serving create_app with --factory) never trips on its settings.
app: FastAPI
_app: FastAPI | None = None

if not TYPE_CHECKING:  # mypy sees the declaration above; the module's __getattr__ fills it

    def __getattr__(name: str) -> FastAPI:
        """Build `app` on first use."""
        global _app  # one app per process
        if name != "app":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if _app is None:
            _app = create_app()
        return _app


__all__ = ["ApiSettings", "TriageAgent", "create_app", "load_api_settings", "mount_web"]
