"""Passage selection: which part of an article an answer quotes (retrieval.passages)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.catalog import ChunkRow
from retrieval.chunking import chunk_document
from retrieval.lexical import BM25Index
from retrieval.passages import (
    Passage,
    PassageSelector,
    QuestionView,
    SectionView,
    SelectionWeights,
    document_sections,
    part_asks,
    question_parts,
    table_labels,
)
from retrieval.textproc import Analyzer
from retrieval.types import Document

ANALYZER = Analyzer()

BILLING_EN = """# Billing and payment

Owners manage billing in Workspace settings > Billing. This article covers how you pay.

## Payment methods

**Cards**
We accept Visa, Mastercard and JCB credit cards. The card is charged on the renewal date.

**Bank transfer**
Invoice billing by bank transfer is available for annual plans with 10 or more seats.

## Receipts

For card payments a receipt PDF is available. For bank transfers your bank's record serves as proof.
"""

BILLING_JA = """# お支払い方法と請求書

請求の設定は「ワークスペース設定」＞「請求」から行います。

## お支払い方法

【クレジットカード】
Visa、Mastercard、JCBのクレジットカードをご利用いただけます。

【銀行振込】
年額プランで10席以上の場合、請求書による銀行振込をご利用いただけます。

## 領収書

カード払いの場合は領収書PDFをダウンロードできます。
"""

SSO_EN = """# Set up SSO with Okta

SSO lets your members sign in with Okta. It is available on the Business plan.

## Before you start

1. Verify your email domain in Security settings.
2. Keep the SSO page open.

## Create the app in Okta

1. In Okta, open Applications and click Create App Integration.
2. Choose SAML 2.0.
3. Paste the ACS URL and Entity ID.

## Finish

1. Paste the metadata URL.
2. Click Test connection, then Enable SSO.

## Limits

You can connect at most 3 identity providers per workspace.
"""

SSO_JA = """# OktaでSSOを設定する

SSOを使うと、メンバーはOktaでサインインできます。ビジネスプランでご利用いただけます。

## 事前準備

1. セキュリティ設定でメールドメインを認証します。
2. SSOの画面を開いたままにします。

## Oktaでアプリを作成する

1. Oktaの「Applications」で「Create App Integration」をクリックします。
2. 「SAML 2.0」を選びます。

## 上限

1つのワークスペースに接続できるIDプロバイダーは最大3つです。
"""


def _article(doc_id: str, text: str, language: str, *, max_tokens: int = 180,
             extra: list[Document] | None = None) -> tuple[list[SectionView], BM25Index, str]:
    title = text.splitlines()[0].lstrip("# ")
    docs = [Document(id=doc_id, title=title, text=text, language=language), *(extra or [])]
    rows: list[ChunkRow] = []
    for doc in docs:
        for c in chunk_document(doc, max_tokens=max_tokens):
            rows.append(ChunkRow("kb", c.id, c.doc_id, c.position, c.section, c.title, c.heading,
                                 c.url, c.language, c.text, ANALYZER.terms(c.index_text),
                                 c.tokens, {}))
    index = BM25Index()
    index.build((r.chunk_id, r.terms, {}) for r in rows)
    return document_sections([r for r in rows if r.doc_id == doc_id]), index, title


def _select(text: str, question: str, language: str, *, procedural: bool = False,
            selector: PassageSelector | None = None, max_tokens: int = 180) -> Passage:
    sections, index, title = _article("kb-x", text, language, max_tokens=max_tokens)
    view = QuestionView(ANALYZER.terms(question), procedural)
    return (selector or PassageSelector()).select(
        view, sections, set(ANALYZER.terms(title)), index, ANALYZER.terms)


@pytest.mark.parametrize(("text", "question", "language", "wanted", "unwanted"), [
    (BILLING_EN, "Can we pay by bank transfer instead of card?", "en", "10 or more seats",
     "Mastercard"),
    (BILLING_JA, "カードではなく銀行振込で支払えますか？", "ja", "10席以上", "Mastercard"),
])
def test_a_small_section_is_quoted_without_its_neighbour(
        text: str, question: str, language: str, wanted: str, unwanted: str) -> None:
    passage = _select(text, question, language)
    assert wanted in passage.text and unwanted not in passage.text
    assert "ワークスペース設定" not in passage.text and "Owners manage" not in passage.text


@pytest.mark.parametrize(("text", "question", "language", "first", "last"), [
    (SSO_EN, "How do I set up SSO with Okta?", "en", "Verify your email domain",
     "Enable SSO"),
    (SSO_JA, "OktaでSSOを設定する方法", "ja", "メールドメインを認証", "SAML 2.0"),
])
def test_a_question_about_the_whole_task_gets_every_step_section_in_order(
        text: str, question: str, language: str, first: str, last: str) -> None:
    passage = _select(text, question, language, procedural=True)
    assert passage.text.index(first) < passage.text.index(last)
    assert "sign in with Okta" not in passage.text and "サインインできます" not in passage.text
    assert "at most 3" not in passage.text and "最大3つ" not in passage.text
    assert passage.text.startswith("**")  # each part under its heading
    assert not passage.omitted


def test_steps_that_do_not_fit_are_named_not_cut() -> None:
    passage = _select(SSO_EN, "How do I set up SSO with Okta?", "en", procedural=True,
                      selector=PassageSelector(max_tokens=70))
    assert "3. Paste the ACS URL" in passage.text
    assert passage.omitted == ("Finish",)


@pytest.mark.parametrize(("question", "language", "facts"), [
    ("How do I create the Okta app, and how many identity providers can we connect?", "en",
     ["Create App Integration", "at most 3"]),
    ("Oktaでアプリを作成する手順と、接続できるIDプロバイダーの上限を教えてください", "ja",
     ["Create App Integration", "最大3つ"]),
])
def test_steps_and_a_limit_are_both_quoted(question: str, language: str,
                                           facts: list[str]) -> None:
    passage = _select(SSO_EN if language == "en" else SSO_JA, question, language,
                      procedural=True)
    assert all(f in passage.text for f in facts), passage.text


def test_a_question_about_one_section_gets_that_section_even_if_it_is_last() -> None:
    passage = _select(SSO_EN, "How many identity providers can I connect?", "en")
    assert passage.headings == ("Limits",)
    passage = _select(SSO_JA, "IDプロバイダーはいくつまで接続できますか", "ja")
    assert passage.headings == ("上限",)


def test_a_long_section_is_trimmed_to_its_relevant_part_but_a_list_stays_whole() -> None:
    filler = " ".join(f"Paragraph {n} talks about colour themes and fonts." for n in range(40))
    steps = "\n".join(f"{n}. Step {n} of exporting: click Export and pick CSV format."
                      for n in range(1, 9))
    text = (f"# Workspace\n\nIntro.\n\n## Everything\n\n{filler}\n\n{steps}\n\n{filler}\n\n"
            "The export link expires after 7 days.\n")
    passage = _select(text, "export csv format", "en",
                      selector=PassageSelector(max_tokens=160), max_tokens=60)
    assert all(f"{n}. Step {n}" in passage.text for n in range(1, 9)), passage.text
    assert "Paragraph 0 " not in passage.text


def test_a_derived_word_in_a_heading_counts() -> None:
    text = ("# Billing\n\nIntro about invoices and receipts.\n\n## Payment options\n\n"
            "Visa and bank transfer are accepted.\n\n## Receipts\n\n"
            "A receipt for a bank transfer is your bank's record.\n")
    assert _select(text, "Can we pay by bank transfer?", "en").headings == ("Payment options",)


def test_a_section_the_question_shares_no_word_with_is_never_preferred_by_length() -> None:
    sections, index, title = _article("kb-x", SSO_EN, "en")
    scored = PassageSelector().score(QuestionView(ANALYZER.terms("identity providers limit")),
                                     sections, set(ANALYZER.terms(title)), index, ANALYZER.terms)
    limits = next(s.index for s in sections if s.heading == "Limits")
    assert scored.scores[limits] == max(scored.scores.values())


def test_an_article_without_sections_is_refused() -> None:
    index = BM25Index()
    with pytest.raises(ValueError, match="nothing to quote"):
        PassageSelector().select(QuestionView(["x"]), [], set(), index, ANALYZER.terms)


def test_a_table_cut_between_two_chunks_is_quoted_as_one_table() -> None:
    rows = "\n".join(f"| ロール{n} | 権限{n}の説明はここに長く書かれています |" for n in range(40))
    text = f"# 権限\n\n概要です。\n\n## ロールごとの権限\n\n| ロール | 権限 |\n|---|---|\n{rows}\n"
    sections, index, title = _article("kb-x", text, "ja", max_tokens=120)
    table = next(s for s in sections if s.heading == "ロールごとの権限")
    assert len(table.rows) > 1  # the table really was cut
    assert "|\n\n|" not in table.text and table.text.count("|---|") == 1
    passage = PassageSelector(max_tokens=5000).select(
        QuestionView(ANALYZER.terms("ロールごとの権限")), sections, set(ANALYZER.terms(title)),
        index, ANALYZER.terms)
    assert "|\n\n|" not in passage.text


def test_a_procedure_ends_where_sections_without_steps_begin() -> None:
    text = ("# Googleカレンダー連携\n\n概要です。\n\n## 連携の手順\n\n1. 「連携」を開きます。\n"
            "2. 「Googleカレンダー」を選びます。\n\n## 症状\n\n予定が重複して表示されます。\n\n"
            "## 原因\n\nタイムゾーンの違いです。\n\n## 対応状況\n\n修正中です。\n\n## 回避方法\n\n"
            "1. タイムゾーンを揃えます。\n2. 連携をやり直します。\n")
    passage = _select(text, "Googleカレンダー連携", "ja", procedural=True)
    assert "「連携」を開きます" in passage.text
    assert "重複して表示" not in passage.text and "タイムゾーンを揃え" not in passage.text


# ----------------------------------------------------------------- questions that ask two things

EXPORT_EN = """# Export journal entries

Hikae writes approved expenses as journal entries for your accounting software.

## Supported formats

Yayoi, freee and Money Forward each have their own layout; any other software reads the generic CSV.

## Export journal entries

1. Go to Accounting > Journal export.
2. Choose the period and the format.
3. Click Export.

## Limits

| Item | Limit |
|---|---|
| Journal lines in one file | 10,000 |
| Period of one export | 12 months |

## Troubleshooting

**Yayoi shows garbled text.** Choose Shift_JIS as the character encoding when importing.

## Related articles

- [Approval flows](https://support.example/approval-flows)
- [Corporate cards](https://support.example/cards)
"""

EXPORT_JA = """# 仕訳を出力する

承認済みの経費を、会計ソフト用の仕訳として出力できます。

## 対応している会計ソフト

弥生会計、freee、マネーフォワードに対応しています。その他のソフトには汎用CSVをお使いください。

## 出力の手順

1. 「会計」＞「仕訳出力」を開きます。
2. 期間と形式を選びます。
3. 「出力」をクリックします。

## 出力の上限

- 1ファイルに含められる仕訳は**１０,０００行**までです。
- 一度に出力できる期間は12か月です。

## 弥生会計で文字化けする場合

取り込むときに文字コードとしてShift_JISを選んでください。

## 関連記事

関連記事：[承認フロー](https://support.example/ja/approval-flows)
"""


@pytest.mark.parametrize(("question", "parts"), [
    ("How do I get our journal entries into Yayoi, and is there a limit on how big one file "
     "can be?", ["How do I get our journal entries into Yayoi",
                 "is there a limit on how big one file can be?"]),
    ("We use Yayoi. Which encoding should I pick?", ["We use Yayoi.",
                                                     "Which encoding should I pick?"]),
    ("仕訳を出力する手順と、1ファイルの上限を教えてください。", ["仕訳を出力する手順",
                                                   "1ファイルの上限を教えてください。"]),
    ("弥生会計に出力したいです。上限はありますか？", ["弥生会計に出力したいです。", "上限はありますか？"]),
    # a verb's conditional "すると、" does not divide a question, nor does one sentence
    ("出力すると、文字化けしますか？", ["出力すると、文字化けしますか？"]),
    ("whats the export limit", ["whats the export limit"]),
])
def test_a_question_divides_where_it_asks_another_thing(question: str,
                                                       parts: list[str]) -> None:
    assert question_parts(question) == parts


def test_a_part_asks_by_its_form() -> None:
    assert part_asks("Which encoding should I pick?") and part_asks("上限はありますか？")
    assert part_asks("出力できますか") and not part_asks("We use Yayoi.")
    assert not part_asks("仕訳を出力する手順")
    assert part_asks("出力できますか 。 ") and part_asks("Is there a limit?\n")
    assert not part_asks("上限か。。") and not part_asks("Is there a limit? No")


def _view(text: str, *, procedural: bool = False, quantity: bool = False,
          parts: list[QuestionView] | None = None) -> QuestionView:
    return QuestionView(ANALYZER.terms(text), procedural, quantity=quantity,
                        parts=parts or [], names_limits=lambda h: "limit" in h.lower()
                        or "上限" in h)


@pytest.mark.parametrize(("text", "language", "how", "how_many", "facts"), [
    (EXPORT_EN, "en", "How do I get journal entries into Yayoi",
     "is there a limit on how big one file can be?", ["Click Export", "10,000"]),
    (EXPORT_JA, "ja", "弥生会計向けに仕訳を出力する手順", "1ファイルの上限はありますか？",
     ["「出力」をクリック", "１０,０００行"]),
])
def test_each_part_of_a_question_that_asks_two_things_is_answered(
        text: str, language: str, how: str, how_many: str, facts: list[str]) -> None:
    sections, index, title = _article("kb-x", text, language)
    whole = _view(f"{how}, {how_many}", procedural=True, quantity=True,
                  parts=[_view(how, procedural=True), _view(how_many, quantity=True)])
    passage = PassageSelector().select(whole, sections, set(ANALYZER.terms(title)), index,
                                       ANALYZER.terms)
    assert all(f in passage.text for f in facts), passage.text
    assert passage.text.index(facts[0]) < passage.text.index(facts[1])  # in article order
    alone = PassageSelector().select(_view(f"{how}, {how_many}", procedural=True,
                                           quantity=True), sections,
                                     set(ANALYZER.terms(title)), index, ANALYZER.terms)
    assert not all(f in alone.text for f in facts)  # the parts are what brings both


@pytest.mark.parametrize(("text", "language", "question", "heading"), [
    (EXPORT_EN, "en", "How many lines can one journal file have?", "Limits"),
    (EXPORT_JA, "ja", "仕訳は何行まで出力できますか", "出力の上限"),
])
def test_a_question_asking_for_a_figure_gets_the_section_that_states_it(
        text: str, language: str, question: str, heading: str) -> None:
    sections, index, title = _article("kb-x", text, language)
    passage = PassageSelector().select(_view(question, quantity=True), sections,
                                       set(ANALYZER.terms(title)), index, ANALYZER.terms)
    assert passage.headings == (heading,), passage.text


@pytest.mark.parametrize(("text", "language", "question"), [
    (EXPORT_EN, "en", "approval flows and corporate cards"),
    (EXPORT_JA, "ja", "承認フローについて"),
])
def test_a_section_of_links_is_never_the_answer(text: str, language: str, question: str) -> None:
    sections, index, title = _article("kb-x", text, language)
    assert [s.links_only for s in sections].count(True) == 1
    assert sections[-1].links_only and not sections[0].links_only
    assert [s.has_figures for s in sections if s.heading.endswith(("Limits", "出力の上限"))] == [
        True]
    passage = PassageSelector().select(_view(question), sections, set(ANALYZER.terms(title)),
                                       index, ANALYZER.terms)
    assert "support.example" not in passage.text


def test_each_part_of_a_question_is_compared_with_the_article_by_its_own_embedding() -> None:
    # "How do I forward receipts by email, and which file types are accepted?": the second
    # part's section (a table of limits) is far from the whole question's vector, near its own.
    sections, index, title = _article("kb-x", SSO_EN, "en")
    whole_vector, how_vector, limit_vector = (np.eye(3)[i] for i in range(3))
    limits = {c for s in sections if s.heading == "Limits" for c in s.chunk_ids}
    seen: list[np.ndarray | None] = []

    def similarity(ids: Sequence[str], embedding: np.ndarray | None) -> dict[str, float]:
        seen.append(embedding)
        near_limits = embedding is limit_vector
        return {c: 0.9 if (c in limits) == near_limits else 0.1 for c in ids}

    how = "How do I create the app in Okta"
    limit = "which identity providers can we connect?"
    whole = QuestionView(ANALYZER.terms(f"{how}, and {limit}"), procedural=True,
                         embedding=whole_vector,
                         parts=[QuestionView(ANALYZER.terms(how), procedural=True,
                                             embedding=how_vector),
                                QuestionView(ANALYZER.terms(limit), embedding=limit_vector)])
    passage = PassageSelector().select(whole, sections, set(ANALYZER.terms(title)), index,
                                       ANALYZER.terms, similarity)
    assert [id(v) for v in seen] == [id(whole_vector), id(how_vector), id(limit_vector)]
    assert "Limits" in passage.headings and "Create the app in Okta" in passage.headings


RATES_EN = """# Foreign currency expenses

Enter an expense in the currency you paid in.

## Which exchange rate is used?

By default the TTM rate of the previous business day is used.

### Entering your own rate

If you exchanged cash at a different rate, type the rate you got and attach the exchange slip.

### Card payments

For card payments the amount on your card statement counts instead.

## Rounding

Converted amounts are rounded down to the nearest yen.
"""

RATES_JA = """# 外貨建ての経費

外貨で支払った経費は、支払った通貨のまま入力できます。

## 適用される為替レート

通常は、前営業日のTTMレートで円に換算します。

### 自分でレートを入力する

両替所で現金を両替した場合は、実際のレートを入力し、両替の控えを添付してください。

### カード払いの場合

カード払いは、カードの利用明細の円貨額が優先されます。

## 端数処理

円に換算した金額の1円未満は切り捨てます。
"""


@pytest.mark.parametrize(("text", "language", "question", "rule", "case", "others"), [
    (RATES_EN, "en", "I exchanged cash at a different rate. Can I type the rate I got?",
     "TTM rate of the previous business day", "attach the exchange slip",
     ["card statement", "rounded down"]),
    (RATES_JA, "ja", "現金を両替したときのレートを自分で入力できますか？",
     "前営業日のTTMレート", "両替の控えを添付", ["利用明細", "切り捨て"]),
])
def test_a_subsection_is_quoted_under_its_parents_own_short_text(
        text: str, language: str, question: str, rule: str, case: str,
        others: list[str]) -> None:
    passage = _select(text, question, language)
    assert rule in passage.text and case in passage.text, passage.text
    assert passage.text.index(rule) < passage.text.index(case)
    assert not any(o in passage.text for o in others), passage.text


APPROVALS_EN = """# Approval flows

Reports go to their approvers in the order the flow sets.

## Create a flow

Open Admin > Approval flows and add the steps. A step can have 2 approvers.

## Delegates

Set a delegate who approves in your place while you are on leave.
"""

APPROVALS_JA = """# 承認フロー

申請は承認フローの順に承認者へ届きます。

## 承認フローを作成する

「管理」＞「承認フロー」で段階を追加します。1つの段階に承認者を2人まで設定できます。

## 代理承認者

休暇のあいだは、代理承認者があなたの代わりに承認します。
"""


@pytest.mark.parametrize(("text", "question", "language", "wanted"), [
    (APPROVALS_EN, "I'm on leave for 2 weeks. Can a colleague approve for me?", "en",
     "on leave"),
    (APPROVALS_JA, "2週間休暇を取ります。その間の承認を同僚にお願いできますか？", "ja", "代理承認者"),
])
def test_a_number_in_the_question_does_not_choose_the_section(
        text: str, question: str, language: str, wanted: str) -> None:
    # "2 weeks" is the customer's situation; the section that holds a 2 is not the answer.
    passage = _select(text, question, language)
    assert wanted in passage.text and "2 approvers" not in passage.text
    assert "2人まで" not in passage.text


# ----------------------------------------------------------------------------- chat-written
# questions, long tables, known issues

PLANS_EN = """# Plans

Paid plans are priced per seat per month.

## Prices

| Plan | Per seat / month |
|---|---|
| Free | $0 |
| Pro | $12 |
| Scale | $30 |

## Limits by plan

| | Free | Pro | Scale |
|---|---|---|---|
| Projects | 3 | Unlimited | Unlimited |
| Storage | 1 GB | 100 GB | 1 TB |
| File size | 25 MB | 250 MB | 250 MB |
| Automation runs | 100 | 5,000 | 50,000 |
| Guests | None | 5 per seat | 5 per seat |
| Audit log | None | None | 1 year |
| API requests | 100 / min | 100 / min | 300 / min |
| Members | Up to 5 | Per seat | Per seat |
| Support | Email | Email | Priority |
"""

PLANS_JA = """# プラン

有料プランは1シートあたりの月額です。

## 料金

| プラン | 1シート／月 |
|---|---|
| Free | 0円 |
| Pro | 1,500円 |
| Scale | 3,600円 |

## プランごとの上限

| | Free | Pro | Scale |
|---|---|---|---|
| プロジェクト数 | 3件 | 無制限 | 無制限 |
| ストレージ | 1GB | 100GB | 1TB |
| ファイルサイズ | 25MB | 250MB | 250MB |
| 自動化の実行回数 | 100回 | 5,000回 | 50,000回 |
| ゲスト | なし | 1シートにつき5名 | 1シートにつき5名 |
| 監査ログ | なし | なし | 1年間 |
| API呼び出し | 毎分100回 | 毎分100回 | 毎分300回 |
| メンバー数 | 5名まで | シート数 | シート数 |
| サポート | メール | メール | 優先 |
"""


@pytest.mark.parametrize(("question", "parts"), [
    ("Pro plan price per seat + Free member limit",
     ["Pro plan price per seat", "Free member limit"]),
    ("export limit & import limit", ["export limit", "import limit"]),
    ("Proプランの料金 ＋ Freeプランのメンバー上限", ["Proプランの料金", "Freeプランのメンバー上限"]),
    ("料金；メンバー上限", ["料金", "メンバー上限"]),
    # Japanese lists are written without spaces around a full-width plus
    ("Proプランの料金＋Freeプランのメンバー上限", ["Proプランの料金", "Freeプランのメンバー上限"]),
    # an ampersand between two words names one thing
    ("R & D", ["R & D"]),
    ("Terms & conditions", ["Terms & conditions"]),
    ("Where is the Terms & Conditions page?", ["Where is the Terms & Conditions page?"]),
    ("R & D部門の請求先", ["R & D部門の請求先"]),
])
def test_a_question_written_as_a_list_divides_into_its_items(question: str,
                                                            parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize(("text", "language", "price", "limit", "facts", "other"), [
    (PLANS_EN, "en", "Pro plan price per seat", "Free member limit", ["$12", "Up to 5"],
     "Automation runs"),
    (PLANS_JA, "ja", "Proプランの1シートあたりの料金", "Freeプランのメンバー数の上限",
     ["1,500円", "5名まで"], "自動化の実行回数"),
])
def test_a_long_table_gives_its_header_and_the_rows_asked_about_when_two_things_are_asked(
        text: str, language: str, price: str, limit: str, facts: list[str],
        other: str) -> None:
    sections, index, title = _article("kb-x", text, language, max_tokens=60)
    whole = _view(f"{price} + {limit}", quantity=True,
                  parts=[_view(price, quantity=True), _view(limit, quantity=True)])
    passage = PassageSelector(max_tokens=150).select(
        whole, sections, set(ANALYZER.terms(title)), index, ANALYZER.terms)
    assert all(f in passage.text for f in facts), passage.text
    lines = passage.text.splitlines()
    row = next(i for i, line in enumerate(lines) if facts[1] in line)
    # the table keeps its header and delimiter above the row asked about
    assert any(line.startswith("|---") for line in lines[:row])
    assert any("Free" in line and "Scale" in line for line in lines[:row])
    assert other not in passage.text  # the rows not asked about are left out


def test_a_table_of_few_rows_is_never_cut() -> None:
    from retrieval.passages import focus_tables

    small = "| Plan | Price |\n|---|---|\n| Free | $0 |\n| Pro | $12 |"
    assert focus_tables(small, lambda label: label == "Pro", 6) is None
    long = PLANS_EN.split("## Limits by plan\n\n", 1)[1]
    assert focus_tables(long, lambda label: label == "Nothing", 6) is None  # no row named
    cut = focus_tables(long, lambda label: label == "Members", 6)
    assert cut is not None and cut.splitlines()[2].startswith("| Members")


ISSUE_EN = """# Known issue: Enter saves the title early in Safari

## Overview (known issue)

In Safari, pressing Enter while typing a task title saves the title at once.

## Affected

Safari on macOS only. Chrome and the apps are not affected.

## Workaround

1. Press Enter twice.
2. Or use another browser until the fix ships.
"""

ISSUE_JA = """# 既知の不具合：SafariでEnterを押すとタイトルが確定される

## 概要（既知の不具合）

Safariでタスク名を入力中にEnterを押すと、タイトルがすぐに保存されます。

## 対象

macOSのSafariのみ。Chromeとアプリでは発生しません。

## 回避方法

1. Enterを2回押します。
2. 修正までは別のブラウザをお使いください。
"""


@pytest.mark.parametrize(("text", "language", "question", "fix"), [
    (ISSUE_EN, "en", "Pressing Enter in Safari saves the task title too early", "Press Enter twice"),
    (ISSUE_JA, "ja", "SafariでEnterを押すとタスク名がすぐ保存されてしまいます", "Enterを2回押します"),
])
def test_a_bug_report_is_answered_with_the_section_that_says_how_to_get_round_it(
        text: str, language: str, question: str, fix: str) -> None:
    from agent.policy import Policy

    sections, index, title = _article("kb-x", text, language)
    view = _view(question)
    view.remedy = Policy.load().states_remedy
    passage = PassageSelector().select(view, sections, set(ANALYZER.terms(title)), index,
                                       ANALYZER.terms)
    assert fix in passage.text, passage.text
    plain = PassageSelector().select(_view(question), sections, set(ANALYZER.terms(title)),
                                     index, ANALYZER.terms)
    assert fix not in plain.text  # the symptoms match the report's words best


PAYOUT_EN = """# Pay employees back with transfer files

Kotae creates a transfer file in the Zengin format that you upload to your online banking.

## Before you begin

- Register the company's account and its consignor code.
- Check that your online banking accepts Zengin files.

## Limits

| Item | Limit |
|---|---|
| Transfers in one file | 3,000 |
| Account holder name | 30 half-width characters |
"""

PAYOUT_JA = """# 振込データで経費を精算する

全銀フォーマットの振込データを作成し、インターネットバンキングに取り込みます。

## ご利用の前に

- 会社の口座と委託者コードを登録します。
- インターネットバンキングが全銀フォーマットに対応しているか確認します。

## 上限

| 項目 | 上限 |
|---|---|
| 振込データの件数 | 3,000件 |
| 口座名義 | 半角30文字 |
"""


@pytest.mark.parametrize(("text", "language", "question"), [
    (PAYOUT_EN, "en", "How many transfers can one Zengin file hold?"),
    (PAYOUT_JA, "ja", "全銀の振込データの件数はいくつまでですか"),
])
def test_a_question_naming_a_row_of_a_table_in_full_gets_its_table(
        text: str, language: str, question: str) -> None:
    sections, index, title = _article("kb-x", text, language)
    # A figure is asked for, with a rare word ("Zengin", "全銀") that only other sections hold,
    # and a table's vector is far from the question's (as the multilingual model's was: a
    # table embeds as its cells).
    cosine = {s.index: value for s, value in zip(sections, (0.18, 0.04, -0.6), strict=True)}

    def similarity(ids: Sequence[str], _own: np.ndarray | None) -> dict[str, float]:
        return {r.chunk_id: cosine[s.index] for s in sections for r in s.rows
                if r.chunk_id in ids}

    view = QuestionView(ANALYZER.terms(question), quantity=True)

    def best(weights: SelectionWeights) -> str:
        scores = PassageSelector(weights).score(view, sections, set(ANALYZER.terms(title)),
                                                index, ANALYZER.terms, similarity).scores
        return max(sections, key=lambda s: scores[s.index]).heading

    assert best(SelectionWeights(row_named=0.0)) == ""  # the opening, which says "Zengin"
    assert best(SelectionWeights()) == sections[-1].heading  # "Limits", "上限"
    passage = PassageSelector().select(view, sections, set(ANALYZER.terms(title)), index,
                                       ANALYZER.terms, similarity)
    assert "3,000" in passage.text, passage.text
    assert table_labels(PAYOUT_EN) == ("Transfers in one file", "Account holder name")


ASYNC_EN = """# Waiting for async components

Async components can be wrapped in a boundary that shows a fallback while they load.

## Async dependencies

Without a boundary, each async component shows its own loading state, and a setup that
throws leaves the page half drawn. There are two kinds of async dependency the boundary
waits on:

1. Components with an async setup hook.
2. Components loaded on demand.

## Error handling

To catch them, use the onErrorCaptured hook in the parent component.

## Nested boundaries

Boundaries can be nested; the inner one resolves first.
"""

ASYNC_JA = """# 非同期コンポーネントの待機

非同期コンポーネントは、読み込み中に代替表示を出す境界で囲めます。

## 非同期の依存関係

境界がなければ、非同期のコンポーネントはそれぞれ読み込み中の表示を持ち、セットアップが例外を投げると画面が途中までしか描画されません。境界が待つ非同期の依存関係は次の2種類です。

1. 非同期のセットアップを持つコンポーネント
2. 必要になったときに読み込まれるコンポーネント

## エラー処理

捕捉するには、親コンポーネントで onErrorCaptured フックを使います。

## 入れ子の境界

境界は入れ子にでき、内側から先に解決されます。
"""


@pytest.mark.parametrize(("text", "language", "context", "part", "fact"), [
    (ASYNC_EN, "en", "An async setup throws inside the boundary.",
     "Where do I catch that error?", "onErrorCaptured"),
    (ASYNC_JA, "ja", "境界の中で非同期のセットアップがエラーを投げます。",
     "そのエラーはどこで捕捉する方法がありますか？", "onErrorCaptured"),
])
def test_a_part_asking_how_gets_the_section_about_it_not_any_numbered_list(
        text: str, language: str, context: str, part: str, fact: str) -> None:
    # The only numbered list is an enumeration of kinds; the part asks about errors, which
    # the "Error handling" section is about. (The whole is read here as its context alone, so
    # that only the part can bring that section.)
    sections, index, title = _article("kb-x", text, language)
    whole = _view(context, procedural=True, parts=[_view(part, procedural=True)])
    passage = PassageSelector().select(whole, sections, set(ANALYZER.terms(title)), index,
                                       ANALYZER.terms)
    assert fact in passage.text, passage.text
