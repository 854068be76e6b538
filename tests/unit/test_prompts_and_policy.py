from pathlib import Path

import pytest

from agent.policy import Policy
from errors import ConfigError
from prompts import PromptError, PromptLibrary


def test_every_template_renders_with_its_own_variables() -> None:
    library = PromptLibrary()
    assert library.templates, "no templates found"
    for template in library.templates.values():
        rendered = template.render(**{name: f"<{name}>" for name in template.variables})
        assert "{{" not in rendered.text
        assert rendered.tag == f"{template.name}@{template.version}"


def test_missing_and_unused_variables_are_refused() -> None:
    template = PromptLibrary().get("answer_kb_en")
    with pytest.raises(PromptError, match="missing"):
        template.render(title="t", passage="p")
    with pytest.raises(PromptError, match="unused"):
        template.render(title="t", passage="p", url="u", extra="x")


def test_template_without_front_matter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("no front matter {{x}}")
    with pytest.raises(PromptError, match="front matter"):
        PromptLibrary(tmp_path)


def test_default_policy_loads_and_matches_both_languages() -> None:
    policy = Policy.load()
    assert policy.sensitive_topic("I was charged twice this month")
    assert policy.sensitive_topic("先月分が二重に請求されています").name == "billing_dispute"
    assert policy.sensitive_topic("同じ金額が2回請求されています").name == "billing_dispute"
    assert policy.sensitive_topic("今月は２回も引き落とされました").name == "billing_dispute"
    assert policy.sensitive_topic("返金してください").name == "refund"
    assert policy.sensitive_topic("I'm locked out of my account").name == "account_access"
    assert policy.human_requested("Can I talk to a real person?")
    assert policy.human_requested("担当者と話したいです")
    assert policy.sensitive_topic("How do I set up SAML SSO?") is None
    assert policy.human_requested("How do I invite a person?") is None
    assert policy.rule("Please send your DPA for review") is not None


def test_broken_policy_file_fails_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("thresholds:\n  answer_min_confidence: 3\nhuman_request: ['(unclosed']\n")
    with pytest.raises(ConfigError) as err:
        Policy.load(path)
    assert "answer_min_confidence" in str(err.value) and "unclosed" in str(err.value)
