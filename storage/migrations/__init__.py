"""Alembic's environment and the schema's revisions, which Database.migrate runs at start-up."""
