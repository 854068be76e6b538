"""How drafts are signed in each language (KOTAE_SIGNATURE, KOTAE_SIGNATURE_JA)."""

from pathlib import Path

import pytest

from settings import load_settings


@pytest.fixture(autouse=True)
def _no_signature_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KOTAE_SIGNATURE", raising=False)
    monkeypatch.delenv("KOTAE_SIGNATURE_JA", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout's


def test_by_default_a_japanese_draft_is_signed_in_japanese() -> None:
    assert load_settings().signatures() == {"en": "Support team", "ja": "サポートチーム"}


def test_a_companys_signature_signs_both_until_a_japanese_one_is_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOTAE_SIGNATURE", "Tsunagu Support")
    assert load_settings().signatures() == {"en": "Tsunagu Support", "ja": "Tsunagu Support"}
    monkeypatch.setenv("KOTAE_SIGNATURE_JA", "Tsunaguサポート")
    assert load_settings().signatures() == {"en": "Tsunagu Support", "ja": "Tsunaguサポート"}


def test_an_agent_built_without_settings_signs_japanese_drafts_in_japanese() -> None:
    from agent.grounding import AgentDeps

    deps = AgentDeps(retriever=None, embedder=None, tagger=None, policy=None,  # type: ignore[arg-type]
                     prompts=None)  # type: ignore[arg-type]
    assert (deps.signature_for("en"), deps.signature_for("ja")) == ("Support team", "サポートチーム")
