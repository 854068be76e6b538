"""One Alembic revision per schema change, numbered rev_000N_<feature>.py."""
