"""What LLM mode sends as sources: Markdown trimmed of what costs tokens and says nothing."""

import pytest
from pydantic import ValidationError

from agent.llm_mode import TriageVerdict, compact_markdown
from retrieval.tokens import count_tokens

TABLE_EN = """Plans compared:

| Plan | Seats | Price |
|---|:---:|--:|
| **Team** | up to 50 | $8 |
| Business | unlimited | $14 |

---
See [Refund policy](https://help.tsunagu.example/articles/refund-policy).
- **Note:** prices are per seat, per month.
"""

TABLE_JA = """料金プランの比較:

| プラン | 席数 | 料金 |
| --- | --- | --- |
| **チーム** | 50席まで | 900円 |
| ビジネス | 無制限 | 1,600円 |

詳しくは[返金ポリシー](https://help.tsunagu.example/articles/refund-policy)をご覧ください。
"""


def test_table_rules_and_bold_marks_go_and_everything_else_stays_in_english() -> None:
    out = compact_markdown(TABLE_EN)
    assert "|---|" not in out and "--:" not in out and "**" not in out
    assert "| Team | up to 50 | $8 |" in out and "| Business | unlimited | $14 |" in out
    assert "\n---\n" in out  # a horizontal rule is not a table rule
    assert "[Refund policy](https://help.tsunagu.example/articles/refund-policy)" in out
    assert "- Note: prices are per seat, per month." in out
    assert count_tokens(out) < count_tokens(TABLE_EN)


def test_table_rules_and_bold_marks_go_and_everything_else_stays_in_japanese() -> None:
    out = compact_markdown(TABLE_JA)
    assert "| --- |" not in out and "**" not in out
    assert "| チーム | 50席まで | 900円 |" in out and "| ビジネス | 無制限 | 1,600円 |" in out
    assert "[返金ポリシー](https://help.tsunagu.example/articles/refund-policy)" in out
    assert count_tokens(out) < count_tokens(TABLE_JA)


def test_japanese_bold_marks_go_though_no_space_surrounds_them() -> None:
    assert compact_markdown("**日本語**の**太字**です。") == "日本語の太字です。"


def test_a_crlf_table_loses_its_rule_too() -> None:
    assert compact_markdown("| a |\r\n| --- |\r\n| b |\r\n") == "| a |\r\n| b |\r\n"


def test_text_that_only_looks_like_markdown_is_unchanged() -> None:
    for text in ("Go to Settings > Billing - then click Download.",
                 "設定 > 請求 から領収書をダウンロードできます。2 ** 3 = 8",
                 "a - b | c",
                 "x**2 + y**2 and 2**3**4 and f(**a, **b)",  # powers and keyword unpacking
                 "---|---\nno table above this rule",
                 "---\ntitle: front matter\n---\n",
                 "**bold across\ntwo lines**",
                 "```\n| a |\n|---|\n**kwargs**\n```\n",  # code is left as written
                 "use `**kwargs**` here",
                 "src/**/foo/**/*.py"):
        assert compact_markdown(text) == text


def test_a_code_block_ends_only_at_its_own_fence() -> None:
    # a ``` line inside a ```` block, or a ~~~ line inside a ``` block, is code too
    assert compact_markdown("````\n```\n**in**\n```\n````\n**out**\n") == (
        "````\n```\n**in**\n```\n````\nout\n")
    assert compact_markdown("```\n~~~\n**in**\n```\n**out**\n") == "```\n~~~\n**in**\n```\nout\n"
    assert compact_markdown("```sh\n**k**\n") == "```sh\n**k**\n"  # unclosed: code to the end


def test_a_cited_number_may_come_as_a_json_number() -> None:
    verdict = TriageVerdict.model_validate({"tag": "bug", "action": "answer",
                                            "cited_ids": [1, "2"], "confidence": 0.8})
    assert verdict.cited_ids == ["1", "2"]
    with pytest.raises(ValidationError):  # a boolean is not a source number
        TriageVerdict.model_validate({"tag": "bug", "action": "answer", "cited_ids": [True],
                                      "confidence": 0.8})
