"""The topics duty of the API process, on SQLite and PostgreSQL with the real multilingual
embedder: a pass joins what arrived since the previous one (reading the agent's vector instead
of embedding the question again), and the periodic re-cluster is done by exactly one of two
hosts when due, keeping the ids of the topics that persist; a topic row carries its inquiry's
time (what the topics page counts from), filled in for rows stored before."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.policy import Policy
from insights import duty, embedding
from insights.cluster import ClusterConfig
from insights.topics import compute_topics
from retrieval.textproc import query_window
from storage.db import Database
from storage.models import InquiryClusterRow, InquiryRow
from tests.support.postgres import BACKENDS, database_url
from tests.unit.test_insights_topics import GUESTS, INVOICES, NOW, PASSWORDS, add

POLICY = Policy.load(None)


def topic_of(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {r.inquiry_id: r.cluster_id for r in session.query(InquiryClusterRow)
                .filter_by(kind="topic")}


def seeded(db: Database, embedder: Any) -> dict[str, list[str]]:
    """Three topics in two languages, clustered once."""
    ids = {name: [add(db, t) for t in texts]
           for name, texts in (("invoices", INVOICES), ("passwords", PASSWORDS),
                               ("guests", GUESTS))}
    with db.session() as session:
        compute_topics(session, embedder, ClusterConfig(min_cluster_size=4))
    return ids


def test_a_question_the_agent_embedded_is_not_embedded_again(e5_embedder: Any,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    asked = "How do I download last year's invoices?"
    expected = embedding.embed_questions(e5_embedder, [asked])
    e5_embedder.embed_query(query_window(asked))  # what the agent did to answer it
    calls: list[int] = []
    real = e5_embedder.embed_queries

    def counted(texts: list[str]) -> Any:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(e5_embedder, "embed_queries", counted)
    both = embedding.embed_questions(e5_embedder, [asked, "パスワードを忘れました"])
    assert calls == [1]  # only the question the agent had not seen
    assert float(both[0] @ expected[0]) == pytest.approx(1.0, abs=1e-5)


def test_a_pass_joins_what_arrived_since_the_previous_one(db: Database, e5_embedder: Any) -> None:
    ids = seeded(db, e5_embedder)
    clock = [NOW + timedelta(hours=1)]
    assigner = duty.Assigner(db, e5_embedder, lambda: POLICY, clock=lambda: clock[0])
    first = assigner.run_once()  # nothing new: everything was clustered
    assert (first.looked, first.joined) == (0, 0)
    assert assigner.since == clock[0] - duty.SLACK
    new = add(db, "請求書を再発行してもらえますか", at=clock[0] + timedelta(seconds=5))
    waiting = add(db, "Where is my invoice?", at=clock[0] + timedelta(seconds=6))
    with db.session() as session:  # not decided yet: the next pass takes it
        session.get(InquiryRow, waiting).status = "received"
        session.commit()
    clock[0] += timedelta(seconds=10)
    second = assigner.run_once()
    assert (second.looked, second.joined, second.embedded) == (1, 1, 1)
    assert topic_of(db)[new] == topic_of(db)[ids["invoices"][0]]
    with db.session() as session:
        session.get(InquiryRow, waiting).status = "decided"
        session.commit()
    clock[0] += timedelta(seconds=10)
    third = assigner.run_once()
    assert (third.looked, third.joined) == (1, 1)
    assert topic_of(db)[waiting] == topic_of(db)[ids["invoices"][0]]
    # An inquiry older than the previous pass's window waits for the next re-cluster.
    old = add(db, "How do I reset my password?", at=clock[0] - duty.SLACK - timedelta(hours=1))
    clock[0] += timedelta(seconds=10)
    assert assigner.run_once().looked == 0 and old not in topic_of(db)


def test_one_of_two_hosts_reclusters_when_due_and_ids_persist(db: Database,
                                                              e5_embedder: Any) -> None:
    ids = seeded(db, e5_embedder)
    before = topic_of(db)
    clock = [NOW]
    hosts = [duty.Reclusterer(db, e5_embedder, lambda: POLICY, 60.0, clock=lambda: clock[0])
             for _ in range(2)]
    # The first pass of the first host starts the schedule; nothing is due for a minute.
    assert hosts[0].run_once() is None
    with db.session() as session:
        assert duty.last_reclustered(session) == NOW
    clock[0] = NOW + timedelta(seconds=30)
    assert [h.run_once() for h in hosts] == [None, None]
    added = add(db, "Can I get invoices emailed to our accountant?",
                at=NOW + timedelta(seconds=40))
    clock[0] = NOW + timedelta(seconds=61)
    results: list[duty.Reclustered | None] = [None, None]
    start = threading.Barrier(2)

    def run(n: int) -> None:
        start.wait()
        results[n] = hosts[n].run_once()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done = [r for r in results if r is not None]
    assert len(done) == 1  # exactly one host re-clustered
    assert done[0].topics.kept == 3 and done[0].topics.retired == 0
    after = topic_of(db)
    assert all(after[i] == before[i] for members in ids.values() for i in members)
    assert after[added] == before[ids["invoices"][0]]
    with db.session() as session:
        assert duty.last_reclustered(session) == clock[0]
    # Not due again until another interval has passed.
    clock[0] = NOW + timedelta(seconds=100)
    assert [h.run_once() for h in hosts] == [None, None]


def test_an_interval_of_zero_turns_the_schedule_off(db: Database, hashing_embedder: Any) -> None:
    off = duty.Reclusterer(db, hashing_embedder, lambda: POLICY, 0.0, clock=lambda: NOW)
    assert off.run_once() is None
    with db.session() as session:
        assert duty.last_reclustered(session) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_copies_each_inquirys_time_to_its_topic_row(backend: str,
                                                                  tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from insights.topics import top_topics
    from storage.db import MIGRATIONS

    db = Database.open(database_url(backend, tmp_path, fresh=True))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0008")
    at = "2026-12-05 10:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversations (id, token_hash, created_at, updated_at) "
            "VALUES ('conv_1', 'x', :at, :at)"), {"at": at})
        connection.execute(text(
            "INSERT INTO inquiries (id, conversation_id, text, status, attempts, "
            "lease_expires_at, created_at, action, prompt_tokens, completion_tokens, cost_usd) "
            "VALUES ('inq_1', 'conv_1', '請求書はどこ？', 'decided', 1, :at, :at, 'answer', "
            "0, 0, 0)"), {"at": at})
        connection.execute(text(
            "INSERT INTO insight_clusters (id, kind, status, label, terms, model, centroid, "
            "radius, size, reports_since_fixed, created_at, updated_at) VALUES ('top_1', "
            "'topic', 'active', '請求書', :terms, 'm', :centroid, 0.5, 1, 0, :at, :at)"),
            {"terms": '{"all": ["請求書"]}', "centroid": b"\0" * 16, "at": at})
        connection.execute(text(
            "INSERT INTO inquiry_clusters (inquiry_id, kind, cluster_id, similarity, method, "
            "assigned_at) VALUES ('inq_1', 'topic', 'top_1', 0.9, 'fit', :at)"), {"at": at})
    db.migrate()
    with db.session() as session:
        row = session.query(InquiryClusterRow).one()
        assert row.inquiry_created_at == NOW - timedelta(days=1, hours=2)
        [topic] = top_topics(session, NOW - timedelta(days=7), NOW)
        assert (topic.id, topic.volume) == ("top_1", 1)
    db.close()


def test_a_period_from_the_first_centuries_is_read_not_a_crash(db: Database) -> None:
    from datetime import datetime, timezone

    from insights.topics import top_topics

    add(db, "Where is my invoice?")
    far = datetime(429, 11, 19, 15, 16, tzinfo=timezone(timedelta(hours=21, minutes=55)))
    with db.session() as session:  # the period before it would start before year 1
        assert top_topics(session, far, NOW) == []
