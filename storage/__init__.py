"""Kotae's durable state: models, migrations, queries by aggregate (repo/), the outbox and workers."""
