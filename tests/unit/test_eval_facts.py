"""Fact matching: robust to how English and Japanese are written, strict about what is said."""

from __future__ import annotations

import pytest

from eval.facts import contains_fact, fact_problem, missing_facts, normalise


@pytest.mark.parametrize(("answer", "fact"), [
    # English: case, emphasis, menu paths with or without spaces around ">".
    ("Go to **Admin** > **Accounts** and set a code.", "Admin > Accounts"),
    ("go to admin>accounts", "Admin > Accounts"),
    ("You can approve up to **50 reports** at a time.", "50 reports"),
    ("Each token can make 600 requests per 10 minutes.", "600 REQUESTS per 10 minutes"),
    ("The limit is 3,000 transfers per file.", "3,000|3000"),
    ("The limit is 3000 transfers per file.", "3,000|3000"),
    ("Attachments up to 10MB each.", "10 MB|10MB"),
    ("Attachments up to １０ ＭＢ each.", "10 MB|10MB"),  # full-width digits and letters
    ("(see `Retry-After`)", "Retry-After"),
    ("Rates: 1–3 business days", "1-3 business days"),  # en dash and hyphen are one
    # Japanese: full-width and half-width, spacing, emphasis, wave dashes.
    ("1人あたり**最大３区間**です。", "3区間"),
    ("最大 20 枚まで続けて撮影できます。", "20枚"),
    ("「個人設定」 ＞ 「通知」を開きます。", "「個人設定」>「通知」"),
    ("書面の場合は1〜2か月かかります。", "1~2か月"),
    ("書面の場合は1～2か月かかります。", "1〜2か月"),
    ("ﾊﾟｽﾜｰﾄﾞをお忘れの方", "パスワードをお忘れの方"),  # half-width katakana
    ("80％が控除できます。", "80%"),
    # Alternatives: either form is enough.
    ("Pay by the end of the month (当月末日).", "last day of the month|当月末日"),
])
def test_a_fact_written_differently_still_counts(answer: str, fact: str) -> None:
    assert contains_fact(answer, fact)


@pytest.mark.parametrize(("answer", "fact"), [
    # A number inside a longer number is another number.
    ("Delegation lasts at most 90 days.", "9"),
    ("The file holds 15 steps.", "5 steps"),
    ("Reports over ¥150,000 need two approvals.", "¥50,000"),
    ("最大15段階まで設定できます。", "5段階"),
    ("有効期限は130分です。", "30分"),
    ("up to 200 cards", "20"),
    # A word inside a longer word is another word.
    ("Visa and Mastercard cards are accepted.", "card"),
    ("The report is re-sent.", "sent back"),
    # Near misses: close in wording, different in fact.
    ("Retried on the 3rd and 7th day; read-only after 14 days.", "7 days"),
    ("Annual contracts are 10% off.", "20% off"),
    ("Transit IC card reading needs Standard.", "Lite"),
    ("10 MB per attachment", "10MB"),  # a single form, written without a space
    ("パスワードを10回続けて間違えると", "5回"),
    ("口座振替は毎月27日です。", "26日"),
    ("保存期間は7年間です。", "10年間"),
    ("Bank transfer is not available on the trial.", "Bank transfer is available"),
    ("**", "*"),
])
def test_a_near_miss_does_not_count(answer: str, fact: str) -> None:
    assert not contains_fact(answer, fact)


def test_every_fact_must_be_present() -> None:
    answer = "Tick Approve selected; up to 50 reports at a time."
    assert missing_facts(answer, ["Approve selected", "50 reports"]) == []
    assert missing_facts(answer, ["Approve selected", "100 reports", "Send back"]) == [
        "100 reports", "Send back"]


def test_a_later_occurrence_counts_when_the_first_cuts_a_number() -> None:
    assert contains_fact("Either 150 or 50 days.", "50 days")
    assert contains_fact("15日または5日", "5日")


def test_normalise_keeps_spaces_only_between_latin_words() -> None:
    assert normalise("Admin  >  Company Settings") == "admin>company settings"
    assert normalise("ご利用 いただけ ます。 Visa と JCB") == "ご利用いただけます。visaとjcb"
    assert normalise("**Bold** text\n\nnext") == "bold text next"


@pytest.mark.parametrize(("fact", "problem"), [
    ("", "a fact is empty"), ("   ", "a fact is empty"), ("a||b", "empty alternative"),
    ("a|", "empty alternative"), ("**", "empty alternative"), (5, "must be a string"),
])
def test_unusable_facts_are_explained(fact: object, problem: str) -> None:
    assert problem in (fact_problem(fact) or "")


def test_a_usable_fact_has_no_problem() -> None:
    assert fact_problem("30 days|30日") is None
