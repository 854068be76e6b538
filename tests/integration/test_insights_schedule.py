"""The API process re-clusters topics on its own every KOTAE_TOPICS_RECLUSTER_HOURS (the
claim between hosts is tested in tests/unit/test_insights_duty.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from insights.duty import last_reclustered
from service.settings import ApiSettings
from storage.models import InquiryClusterRow, InsightClusterRow
from tests.integration.test_api_harness import ask, client_for, services_of, sqlite_url
from tests.support.net import wait_until


def test_the_service_reclusters_when_due_without_being_asked(tmp_path: Path) -> None:
    # 0.0003 h is about a second.
    with client_for(sqlite_url(tmp_path), topics_recluster_hours=0.0003,
                    maintenance_s=0.1) as client:
        db = services_of(client).db

        def stamped() -> object:
            with db.session() as session:
                return last_reclustered(session)

        started = wait_until(stamped, what="the schedule's start")
        for text in ("How do I reset my password?", "パスワードを忘れました",
                     "Where is my invoice?", "請求書はどこですか"):
            ask(client, text, customer={"account_id": "acme"})

        def clustered() -> bool:
            with db.session() as session:
                topics = session.scalar(select(func.count()).select_from(InsightClusterRow)
                                        .where(InsightClusterRow.kind == "topic"))
                joined = session.scalar(select(func.count()).select_from(InquiryClusterRow)
                                        .where(InquiryClusterRow.kind == "topic"))
                last = last_reclustered(session)
            return bool(topics) and joined == 4 and last is not None and last > started

        wait_until(clustered, timeout_s=20, what="a re-cluster on schedule")


def test_the_interval_must_not_be_negative() -> None:
    with pytest.raises(ValidationError, match="KOTAE_TOPICS_RECLUSTER_HOURS"):
        ApiSettings(_env_file=None, topics_recluster_hours=-1)
