"""One module of routes per resource, each saying whom it serves; ROUTERS lists them in order."""

from service.routes import (
    analytics,
    conversations,
    escalations,
    health,
    inquiries,
    kb,
    me,
    search,
    signals,
)

ROUTERS = (
    inquiries.router,
    conversations.router,
    escalations.router,
    signals.router,
    kb.router,
    analytics.router,
    search.router,
    me.router,
    health.router,
)
