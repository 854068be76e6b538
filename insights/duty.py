"""What the API process does for topics in the background, safely on several hosts.

- ``Assigner``: each maintenance pass joins inquiries decided since the previous pass to
  their topics (and bug reports to their bug clusters). It reads only inquiries created since
  a little before its previous pass (through the index on their creation time), and a
  question this process answered has its vector in the embedder's query cache, so a pass
  costs what its new inquiries cost, not what the history does. It skips its turn while this
  process re-clusters (the re-cluster rewrites every assignment).
- ``Reclusterer``: re-clusters topics and bug clusters and refreshes the gaps every
  KOTAE_TOPICS_RECLUSTER_HOURS (ids kept where topics persist). When it is due, every host
  tries to claim it by moving a stamp in the database from the time it read to now; the one
  whose update changes the row does it, the others find it done. The schedule starts when the
  service first runs (the first re-cluster is one interval later; `python -m insights
  recompute` or POST /v1/insights/recompute does one at once, and moves the stamp too).
- ``recluster``: one re-cluster, as the CLI, the admin route and the schedule run it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.policy import Policy
from agent.precedent import clean_resolution
from insights import bugs, gaps, topics
from insights.store import SaveResult
from retrieval.embeddings import Embedder
from storage.db import Database
from storage.models import InsightClusterRow, InsightSnapshotRow, utcnow
from storage.repo.base import commit_first

log = logging.getLogger("kotae.insights")

#: A pass reads inquiries created since this long before its previous pass started: an
#: inquiry is created when it arrives and is read once it is decided, which takes seconds
#: (longer with a chat model); one decided later waits for the next re-cluster.
SLACK = timedelta(minutes=10)
#: How far back the first pass of a process looks.
FIRST_LOOK_BACK = timedelta(days=1)
#: The database row whose time says when topics were last re-clustered.
STAMP = "recluster:insights"

#: Whether any cluster exists yet (built once: a pass runs it every time).
_ANY_CLUSTER = select(InsightClusterRow.id).limit(1)

# One re-cluster at a time in a process (the schedule, the admin route, the CLI).
_reclustering = threading.Lock()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class Reclustered:
    """What a re-cluster did."""

    topics: SaveResult
    bugs: SaveResult
    gaps: int


def recluster(session: Session, embedder: Embedder, policy: Policy, *,
              llm: Any = None, prompts: Any = None, now: datetime | None = None) -> Reclustered:
    """Re-cluster topics and bug clusters (ids kept where they persist), refresh the gaps, and
    record when (the schedule counts from there)."""
    clean = partial(clean_resolution, policy=policy)
    with _reclustering:
        t = topics.compute_topics(session, embedder, clean=clean)
        b = bugs.compute_bug_clusters(session, embedder, clean=clean)
        model = {"llm": llm, "prompts": prompts} if llm is not None and prompts is not None else {}
        found = gaps.compute_gaps(session, policy, embedder=embedder, **model)
    stamp(session, now or utcnow())
    return Reclustered(t, b, len(found))


def last_reclustered(session: Session) -> datetime | None:
    """Return when topics were last re-clustered by the schedule or by hand (None: never)."""
    value = session.scalar(select(InsightSnapshotRow.computed_at)
                           .where(InsightSnapshotRow.key == STAMP))
    return _aware(value) if value is not None else None


def stamp(session: Session, now: datetime) -> None:
    """Record a re-cluster at `now` (committed)."""
    moved = session.execute(update(InsightSnapshotRow).where(InsightSnapshotRow.key == STAMP)
                            .values(computed_at=now)
                            .execution_options(synchronize_session=False))
    if moved.rowcount == 0:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        session.execute(insert(InsightSnapshotRow).values(key=STAMP, payload={},
                                                          computed_at=now))
    commit_first(session)  # stamped at the same moment elsewhere: either time will do


def claim(session: Session, last: datetime | None, now: datetime) -> bool:
    """Claim a due re-cluster for this process: the stamp moves from `last` (as read) to now
    for exactly one of the hosts that read it; with no stamp yet, the first insert wins."""
    if last is None:
        session.execute(insert(InsightSnapshotRow).values(key=STAMP, payload={},
                                                          computed_at=now))
        return commit_first(session)
    raw = session.scalar(select(InsightSnapshotRow.computed_at)
                         .where(InsightSnapshotRow.key == STAMP))
    if raw is None or _aware(raw) != last:
        session.rollback()
        return False
    moved = session.execute(update(InsightSnapshotRow)
                            .where(InsightSnapshotRow.key == STAMP,
                                   InsightSnapshotRow.computed_at == raw)
                            .values(computed_at=now)
                            .execution_options(synchronize_session=False))
    session.commit()
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


class Reclusterer:
    """Re-cluster when the interval has passed since the last re-cluster (one host of many)."""

    def __init__(self, db: Database, embedder: Embedder, policy: Callable[[], Policy],
                 every_s: float, *, model: Callable[[], dict[str, Any]] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.embedder, self.policy, self.every_s = db, embedder, policy, every_s
        self.model = model or dict
        self.clock = clock

    def run_once(self) -> Reclustered | None:
        """Re-cluster if due and claimed here; return what it did (None: not this time)."""
        if self.every_s <= 0:
            return None
        now = self.clock()
        with self.db.session() as session:
            last = last_reclustered(session)
            if last is None:  # the schedule starts now
                stamp(session, now)
                return None
            if (now - last).total_seconds() < self.every_s:
                return None
            if not claim(session, last, now):
                return None  # another host took it
            log.info("re-clustering topics (the last was at %s)", last.isoformat())
            try:
                done = recluster(session, self.embedder, self.policy(), now=now, **self.model())
            except BaseException:
                session.rollback()
                # Let the next pass (here or on another host) try again.
                with self.db.session() as again:
                    again.execute(update(InsightSnapshotRow)
                                  .where(InsightSnapshotRow.key == STAMP,
                                         InsightSnapshotRow.computed_at == now)
                                  .values(computed_at=last))
                    again.commit()
                raise
        log.info("re-clustered topics: %d (%d kept, %d new, %d retired); bug clusters: %d; "
                 "open gaps: %d", done.topics.clusters, done.topics.kept, done.topics.created,
                 done.topics.retired, done.bugs.clusters, done.gaps)
        return done


class Assigner:
    """Join what arrived since the previous pass to its topic and bug cluster."""

    def __init__(self, db: Database, embedder: Embedder, policy: Callable[[], Policy], *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.embedder, self.policy, self.clock = db, embedder, policy, clock
        self.since: datetime | None = None
        self.clustered = False  # a re-cluster has made clusters (they are never deleted)

    def run_once(self) -> topics.Pass:
        """Do one pass; return what it did for topics."""
        if not _reclustering.acquire(blocking=False):
            return topics.Pass()  # a re-cluster here is rewriting every assignment: next pass
        try:
            return self._run_once()
        finally:
            _reclustering.release()

    def _run_once(self) -> topics.Pass:
        started = self.clock()
        since = self.since or started - FIRST_LOOK_BACK
        with self.db.session() as session:
            if not self.clustered:
                if session.scalar(_ANY_CLUSTER) is None:
                    self.since = started - SLACK  # before the first re-cluster: nothing to join
                    return topics.Pass()
                self.clustered = True
            clean = partial(clean_resolution, policy=self.policy())
            try:
                done = topics.join_waiting(session, self.embedder, clean, topics.PASS_LIMIT,
                                           since)
                bugs.assign_new_bugs(session, self.embedder, since=since)
            except IntegrityError:
                # Another host joined the same inquiry at the same moment: it is joined.
                session.rollback()
                return topics.Pass()
        if done.full and done.last_created is not None:
            self.since = _aware(done.last_created)  # more are waiting: resume there
        else:
            self.since = started - SLACK
        return done

