"""Account health's arithmetic and settings, seeding demo traffic through an agent
(idempotent, spread over weeks, both languages) and the digest, on a real SQLite database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from errors import ConfigError
from insights import accounts, digest, seed
from insights.__main__ import main as insights_main
from storage.db import Database
from storage.models import (
    AnswerCitationRow,
    EscalationRow,
    FeedbackRow,
    InquiryRow,
    OutboxRow,
    utcnow,
)
from tests.integration.test_api_harness import FakeAgent, sqlite_url
from tests.support.postgres import BACKENDS, database_url

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


def test_each_part_takes_off_at_most_its_weight_and_the_bands_follow_the_settings() -> None:
    config = accounts.HealthConfig.from_settings("churn_signals=30", "bugs_hit=2",
                                                 watch_below=80, risk_below=40)
    counts = accounts.Counts(inquiries=10, previous_inquiries=4, conversations=6, bugs=1,
                             churn_signals=5, expansion_signals=3)
    health = accounts.score("a1", counts, config)
    parts = {p["name"]: p for p in health["parts"]}
    assert parts["churn_signals"]["contribution"] == -30  # capped at its weight
    assert parts["bugs_hit"]["contribution"] == -7.5  # 15 x 1/2
    assert parts["repeated_contacts"]["value"] == 4
    assert parts["volume_trend"]["value"] == 1.5 and parts["volume_trend"]["contribution"] == -10
    assert health["score"] == pytest.approx(100 - 30 - 7.5 - 8 - 10)
    assert health["band"] == "watch" and health["expansion"] == 70
    assert config.band(39.9) == "at_risk"
    assert config.band(79.9) == "watch" and config.band(80) == "healthy"


@pytest.mark.parametrize(("weights", "words"), [
    ("churn=5", "unknown health part"), ("churn_signals=lots", "not part=number"),
    ("bugs_hit=-1", ">= 0")])
def test_bad_health_settings_say_what_to_change(weights: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        accounts.HealthConfig.from_settings(weights)
    with pytest.raises(ConfigError, match="risk_below"):
        accounts.HealthConfig(watch_below=40, risk_below=60)


def demo_items(tickets: int = 40, cases: int = 30) -> list[seed.Item]:
    items = seed.load_items(DEMO / "tickets.jsonl", DEMO / "eval" / "cases.jsonl")
    ticket_items = [i for i in items if ":ticket:" in i.key]
    # The fake agent escalates cancellations: some of those tickets get resolved.
    ticket_items = ticket_items[:tickets] + [
        i for i in ticket_items[tickets:] if "cancel" in i.turns[0].lower()][:6]
    case_items = [i for i in items if ":case:" in i.key]
    conversation = [i for i in case_items if len(i.turns) > 1][:2]
    return ticket_items + case_items[:cases] + conversation


def test_seeding_replays_demo_traffic_over_weeks_once(tmp_path: Path) -> None:
    db = Database.open(sqlite_url(tmp_path))
    agent = FakeAgent()
    items = demo_items()
    now = utcnow()
    first = seed.seed(db, agent.handle, items, days=28, now=now)
    turns = sum(len(i.turns) for i in items)
    assert first.inquiries == turns and first.skipped == 0
    again = seed.seed(db, agent.handle, items, days=28, now=now + timedelta(hours=1))
    assert again.inquiries == 0 and again.skipped == turns
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InquiryRow)) == turns
        times = sorted(session.scalars(select(InquiryRow.created_at)))
        assert times[-1] < now and now - times[0] > timedelta(days=18)
        weeks = {(now - t).days // 7 for t in times}
        assert weeks == {0, 1, 2, 3}
        languages = set(session.scalars(select(InquiryRow.language)))
        assert {"en", "ja"} <= languages
        assert first.feedback == session.scalar(select(func.count()).select_from(FeedbackRow))
        assert first.feedback > 3
        resolved = session.scalar(select(func.count()).select_from(EscalationRow)
                                  .where(EscalationRow.status == "resolved"))
        assert resolved == first.resolved and resolved > 0
        cited = session.scalars(select(AnswerCitationRow.created_at)).all()
        assert cited and min(cited) < now - timedelta(days=7)
        # Seeded decisions report nothing happening now: no webhook events are left.
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        healths = accounts.compute(session, accounts.HealthConfig(),
                                   accounts.Directory.load(DEMO / "accounts.json"), now)
    named = {h["name"] for h in healths}
    assert "株式会社ミナト物流" in named or any(n and not n.isascii() for n in named)
    db.close()


def test_the_digest_reads_in_english_and_japanese_with_customer_text_escaped(
        tmp_path: Path) -> None:
    db = Database.open(sqlite_url(tmp_path))
    agent = FakeAgent()
    seed.seed(db, agent.handle, demo_items(30, 20), days=14)
    directory = accounts.Directory({"acct_0001": {"company": "<b>Bluefin</b> & Co"}})
    now = utcnow()
    with db.session() as session:
        d = digest.gather(session, now - timedelta(days=7), now, accounts.HealthConfig(),
                          directory)
    page, text = digest.write(d, tmp_path / "out", ["en", "ja"])
    md, html = text.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    for words in ("# Kotae weekly digest", "# Kotae 週次ダイジェスト", "## Content performance",
                  "## コンテンツの効果", "Getting started", "Deflection rate", "自己解決率"):
        assert words in md, words
    assert d.summary.inquiries > 0 and f"| Inquiries | {d.summary.inquiries} |" in md
    assert "<b>Bluefin" not in html and "<script" not in html
    assert "<svg" in html and 'lang="ja"' in html
    db.close()


def test_the_digest_command_writes_both_files_and_refuses_a_bad_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setenv("KOTAE_STORE_DIR", str(tmp_path / "store"))
    (tmp_path / "accounts.json").write_text(json.dumps([]), encoding="utf-8")
    assert insights_main(["digest", "--since", "7d", "--out", str(tmp_path / "d"),
                          "--lang", "ja"]) == 0
    assert "週次ダイジェスト" in (tmp_path / "d" / "digest.md").read_text(encoding="utf-8")
    assert (tmp_path / "d" / "digest.html").exists()
    with pytest.raises(SystemExit):
        insights_main(["digest", "--since", "last week", "--out", str(tmp_path / "d")])
    assert "7d, 24h, 2w" in capsys.readouterr().err


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_fills_in_the_citations_of_answers_stored_before_it(
        backend: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage.db import MIGRATIONS

    db = Database.open(database_url(backend, tmp_path, fresh=True))
    as_json = "CAST(:decision AS JSONB)" if backend == "postgresql" else ":decision"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    decision = {"action": "answer", "citations": [
        {"id": "kb-a", "title": "Article A", "url": "https://docs.example/a", "source": "kb"},
        {"id": "T-1", "title": "A past ticket", "source": "ticket"},
        {"id": "kb-a", "title": "Article A again", "source": "kb"}]}
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversations (id, token_hash, created_at, updated_at) "
            "VALUES ('conv_1', 'x', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"))
        for inquiry, action in (("inq_1", "answer"), ("inq_2", "escalate")):
            connection.execute(text(
                "INSERT INTO inquiries (id, conversation_id, text, status, attempts, "
                "lease_expires_at, created_at, action, prompt_tokens, completion_tokens, "
                "cost_usd, decision) VALUES (:id, 'conv_1', 'q', 'decided', 1, "
                "'2026-11-01 10:00:00', '2026-11-01 10:00:00', :action, 0, 0, 0, "
                f"{as_json})"),
                {"id": inquiry, "action": action,
                 "decision": json.dumps({**decision, "action": action})})
    db.migrate()
    with db.session() as session:
        rows = session.scalars(select(AnswerCitationRow).order_by(AnswerCitationRow.doc_id)).all()
    assert [(r.inquiry_id, r.doc_id, r.source, r.title) for r in rows] == [
        ("inq_1", "T-1", "ticket", "A past ticket"), ("inq_1", "kb-a", "kb", "Article A")]
    assert rows[1].created_at.isoformat().startswith("2026-11-01T10:00:00")
    db.close()
