"""ApiSettings: read from the environment, and unsafe values refused saying what to change."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app, load_api_settings
from errors import ConfigError
from settings import load_settings
from tests.integration.test_api_harness import KEYS, FakeAgent, api_settings, ask, auth


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"api_keys": "widget:short"}, "at least 16"),
        ({"api_keys": "boss:sk_0123456789abcdef0"}, "role:key"),
        ({"api_keys": "agent:sk_0123456789abcdef0,csm:sk_0123456789abcdef0"}, "same key twice"),
        ({"webhook_url": "https://hooks.example/kotae"}, "KOTAE_WEBHOOK_SECRET"),
        ({"webhook_url": "ftp://hooks.example", "webhook_secret": "s" * 20}, "http"),
        ({"agent_timeout_s": 0}, "positive"),
    ],
)
def test_unsafe_settings_fail_at_start_up_saying_what_to_change(
    overrides: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        load_api_settings(_env_file=None, **overrides)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3")
    monkeypatch.setenv("KOTAE_API_KEYS", f"admin:{KEYS['admin']}")
    monkeypatch.setenv("KOTAE_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("KOTAE_RATE_LIMIT_IP_PER_S", "3")
    settings = load_api_settings(_env_file=None)
    assert settings.database_url == "sqlite:////tmp/elsewhere.sqlite3"
    assert settings.parsed_keys() == [("admin", KEYS["admin"])]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.rate_limit_ip_per_s == 3


def test_the_database_lives_in_the_store_folder_unless_database_url_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_api_settings(_env_file=None)
    assert settings.database_url is None
    store = tmp_path / "store"
    assert settings.database_for(store) == f"sqlite:///{store / 'kotae.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3")
    assert load_api_settings(_env_file=None).database_for(store) == "sqlite:////tmp/elsewhere.sqlite3"


def escalations_served_from(store: Path) -> list[str]:
    """Start the API on a store (no DATABASE_URL), escalate once and list the queue."""
    app = create_app(
        settings=load_settings(_env_file=None, store_dir=store),
        api_settings=api_settings(None),
        agent=FakeAgent(),
    )
    with TestClient(app) as client:
        ask(client, f"I want a human, please ({store.name})")
        page = client.get("/v1/escalations", headers=auth("agent")).json()
    return [item["preview"] for item in page["items"]]


def test_a_server_on_another_store_does_not_show_the_first_stores_escalations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no var/kotae.sqlite3 of the checkout in sight
    assert escalations_served_from(tmp_path / "a") == ["I want a human, please (a)"]
    assert (tmp_path / "a" / "kotae.sqlite3").exists()
    assert escalations_served_from(tmp_path / "b") == ["I want a human, please (b)"]
    assert escalations_served_from(tmp_path / "a") == [  # the first one kept
        "I want a human, please (a)", "I want a human, please (a)"]
    assert "database's default location before" not in caplog.text


def test_a_database_at_the_old_default_location_is_named_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "kotae.sqlite3").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="kotae.api"):
        escalations_served_from(tmp_path / "store")
    assert "var/kotae.sqlite3 (the database's default location before" in caplog.text
    assert "DATABASE_URL=sqlite:///var/kotae.sqlite3" in caplog.text
