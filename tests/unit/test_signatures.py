"""How drafts are signed in each language (KOTAE_SIGNATURE, KOTAE_SIGNATURE_JA)."""

import pytest

from settings import load_settings


@pytest.fixture(autouse=True)
def _no_signature_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOTAE_SIGNATURE", raising=False)
    monkeypatch.delenv("KOTAE_SIGNATURE_JA", raising=False)


def test_by_default_a_japanese_draft_is_signed_in_japanese() -> None:
    assert load_settings().signatures() == {"en": "Support team", "ja": "サポートチーム"}


def test_a_companys_signature_signs_both_until_a_japanese_one_is_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOTAE_SIGNATURE", "Tsunagu Support")
    assert load_settings().signatures() == {"en": "Tsunagu Support", "ja": "Tsunagu Support"}
    monkeypatch.setenv("KOTAE_SIGNATURE_JA", "Tsunaguサポート")
    assert load_settings().signatures() == {"en": "Tsunagu Support", "ja": "Tsunaguサポート"}
