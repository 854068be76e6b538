"""Prometheus metrics of one app, in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from storage import processing


class Metrics:
    """Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kotae_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kotae_http_request_duration_seconds",
            "HTTP request duration by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.decisions = Counter(
            "kotae_decisions_total",
            "Decisions by action, reason and tag",
            ["action", "reason", "tag"],
            registry=self.registry,
        )
        self.agent_failures = Counter(
            "kotae_agent_failures_total",
            "Inquiries escalated because the agent failed or timed out",
            ["reason"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "kotae_inquiries_in_flight", "Inquiries being answered now", registry=self.registry
        )
        self.webhooks = Counter(
            "kotae_webhook_deliveries_total",
            "Webhook delivery attempts by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "kotae_rate_limited_total",
            "Requests refused with 429",
            ["scope"],
            registry=self.registry,
        )

    def outcome(self, outcome: processing.Outcome) -> None:
        """Count one recorded decision."""
        decision = outcome.decision
        reason = decision.escalation.reason.value if decision.escalation else ""
        self.decisions.labels(decision.action, reason, decision.tag).inc()
        if outcome.degraded:
            self.agent_failures.labels(reason).inc()

    def delivered(self, counts: dict[str, int]) -> None:
        """Count webhook delivery attempts."""
        for outcome, count in counts.items():
            if count:
                self.webhooks.labels(outcome).inc(count)
