"""One module of routes per resource, each saying whom it serves; ROUTERS lists them in order."""

from service.routes import (
    accounts,
    analytics,
    channels,
    conversations,
    escalations,
    health,
    inquiries,
    insights,
    insights_content,
    kb,
    me,
    precedents,
    search,
    signals,
)

ROUTERS = (
    inquiries.router,
    conversations.router,
    escalations.router,
    precedents.router,
    signals.router,
    kb.router,
    analytics.router,
    accounts.router,
    insights_content.router,
    insights.router,
    search.router,
    me.router,
    health.router,
    channels.router,
)
