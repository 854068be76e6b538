"""Kotae's durable state: SQLAlchemy models, migrations, repository, outbox and workers."""
