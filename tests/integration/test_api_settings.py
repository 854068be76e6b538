"""ApiSettings: read from the environment, and unsafe values refused saying what to change."""

from __future__ import annotations

from typing import Any

import pytest

from api import load_api_settings
from errors import ConfigError
from tests.integration.test_api_harness import KEYS


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
