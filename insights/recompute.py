"""`python -m insights recompute`: re-cluster topics and bug clusters and refresh the gaps.

For a scheduler (cron, a systemd timer): topics keep their ids where they persist, so running
it nightly only moves what changed. It reads the same settings as the service (DATABASE_URL,
KOTAE_STORE_DIR, the embedder, KOTAE_POLICY_PATH) and embeds only inquiries that have no
vector yet.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    """Re-cluster the configured database's inquiries; print what changed."""
    parser = argparse.ArgumentParser(
        prog="python -m insights recompute", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: KOTAE_STORE_DIR=var/demo-store python -m insights recompute")
    parser.parse_args(list(argv))
    from agent.policy import Policy
    from insights.duty import recluster
    from service.settings import load_api_settings
    from settings import load_settings
    from storage.db import Database

    settings = load_settings()
    api = load_api_settings()
    policy = Policy.load(settings.policy_path)
    embedder = settings.embedder_factory()()
    db = Database.open(api.database_for(settings.store_dir))
    db.migrate()
    started = time.perf_counter()
    try:
        with db.session() as session:
            done = recluster(session, embedder, policy)
    finally:
        db.close()
    t, b = done.topics, done.bugs
    print(f"topics: {t.clusters} ({t.kept} kept, {t.created} new, {t.retired} retired); "
          f"bug clusters: {b.clusters} ({b.kept} kept, {b.created} new, {b.retired} retired); "
          f"open gaps: {done.gaps}; {time.perf_counter() - started:.1f} s")
    return 0
