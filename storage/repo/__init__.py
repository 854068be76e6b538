"""Queries and changes by aggregate; each changing function is one transaction and commits."""

# State changes use conditional updates (`... WHERE status = 'open'`) so two requests racing
# on the same escalation or inquiry cannot both win, on SQLite and PostgreSQL alike.
