"""What the customer receives, on failure classes real help centres and chat traffic share:
follow-ups that switch to something undocumented, questions written as a list of two things,
long tables, bug reports answered from a known issue. The offline agent over the demo with
the default (multilingual) model, in both languages."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.factory import build_agent
from agent.pipeline import Agent
from agent.types import Customer, Decision, Inquiry, Message, ReasonCode, SignalKind
from retrieval.store import KnowledgeStore, StoreConfig
from settings import load_settings

pytestmark = pytest.mark.integration

DEMO_POLICY = Path(__file__).resolve().parents[2] / "data" / "demo" / "policy.yaml"


def _demo_agent(store_dir: Path, embedder: Any, **settings: Any) -> Iterator[Agent]:
    store = KnowledgeStore.open(StoreConfig(store_dir))
    built = build_agent(load_settings(store_dir=store_dir, mode="offline",
                                      policy_path=DEMO_POLICY, **settings),
                        store=store, embedder=embedder)
    yield built
    store.close()


@pytest.fixture(scope="module")
def agent(demo_e5_store_dir: Path, e5_embedder: Any) -> Iterator[Agent]:
    yield from _demo_agent(demo_e5_store_dir, e5_embedder)


@pytest.fixture(scope="module")
def agent_without_glossary(demo_e5_store_dir: Path, e5_embedder: Any) -> Iterator[Agent]:
    yield from _demo_agent(demo_e5_store_dir, e5_embedder, cross_lingual=False)


def ask(agent: Agent, text: str, *previous: str) -> Decision:
    """Ask a question after earlier ones, each answered."""
    history: list[Message] = []
    for turn in previous:
        history += [Message(role="customer", text=turn),
                    Message(role="assistant", text="Here is what our help centre says ...")]
    return agent.handle(Inquiry(text=text, history=history,
                                customer=Customer(account_id="acct_0007")))


@pytest.mark.parametrize(("previous", "follow_up", "name", "previous_article"), [
    ("How do I connect Slack?", "What about Discord?", "Discord", "Slack"),
    ("how do i hook up slack", "what about discord", "discord", "Slack"),
    ("Slackと連携するには？", "mattermostはどうですか？", "mattermost", "Slack"),
    ("How do I set up SAML SSO with Okta?", "And with OneLogin?", "OneLogin", "Okta"),
    ("Slackのチャンネルにプロジェクトの更新を通知したい", "Discordはどうですか？", "Discord", "Slack"),
    ("OktaでSAML SSOを設定するには？", "OneLoginでもできますか？", "OneLogin", "Okta"),
])
def test_a_follow_up_about_something_undocumented_is_not_answered_from_the_previous_article(
        agent: Agent, previous: str, follow_up: str, name: str, previous_article: str) -> None:
    decision = ask(agent, follow_up, previous)
    assert decision.action == "escalate" and decision.citations == []
    assert decision.escalation is not None
    assert decision.escalation.reason == ReasonCode.LOW_CONFIDENCE
    assert name in decision.escalation.detail
    # nor does the agent's draft offer the previous question's article as the reply
    assert previous_article not in (decision.escalation.draft or "")
    assert decision.candidate is None


@pytest.mark.parametrize(("previous", "follow_up", "article"), [
    ("How do I connect Google Calendar?", "What about Outlook?", "kb-google-calendar-sync"),
    ("Googleカレンダーと連携するには？", "Outlookの場合は？", "kb-ja-google-calendar-sync"),
])
def test_a_follow_up_the_same_article_covers_is_still_answered(
        agent: Agent, previous: str, follow_up: str, article: str) -> None:
    decision = ask(agent, follow_up, previous)
    assert decision.action == "answer" and decision.citations[0].id == article
    assert "Outlook" in (decision.answer or "")


@pytest.mark.parametrize(("question", "facts"), [
    ("Business plan cost per seat + Free member limit", ["$24", "Up to 5"]),
    ("Businessプランの1席あたりの料金と、Freeプランのメンバー上限は？", ["2,900円", "5名まで"]),
])
def test_two_things_asked_in_one_message_are_both_answered(
        agent: Agent, question: str, facts: list[str]) -> None:
    decision = ask(agent, question)
    assert decision.action == "answer"
    assert all(f in (decision.answer or "") for f in facts), decision.answer


@pytest.mark.parametrize(("question", "row", "fact"), [
    ("Business plan cost per seat + Free member limit", "| Members", "Up to 5"),
    ("Businessプランの1席あたりの料金と、Freeプランのメンバー上限は？", "| メンバー数", "5名まで"),
])
def test_a_row_quoted_from_a_long_table_comes_with_the_table_header(
        agent: Agent, question: str, row: str, fact: str) -> None:
    decision = ask(agent, question)
    assert decision.action == "answer"
    lines = (decision.answer or "").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(row))
    assert fact in lines[at]
    assert lines[at - 1].startswith("|") and any(line.startswith("|---") for line in lines[:at])


@pytest.mark.parametrize(("question", "workaround", "symptom_only"), [
    ("Recurring tasks appear twice in Google Calendar, is this a bug?",
     "Make both time zones the same", None),
    ("Safariで日本語入力中にEnterを押すとタスク名が確定されてしまいます", "回避", "概要"),
])
def test_a_bug_report_answered_from_a_known_issue_quotes_how_to_get_round_it(
        agent: Agent, question: str, workaround: str, symptom_only: str | None) -> None:
    decision = ask(agent, question)
    assert decision.action == "answer" and "known_bug" in decision.flags
    assert workaround in (decision.answer or ""), decision.answer
    if symptom_only is not None:
        assert symptom_only not in (decision.answer or "")


@pytest.mark.parametrize(("question", "article"), [
    # the Japanese article found second only mentions the integration in passing
    ("SlackからTsunaguのタスクを作成できますか？", "kb-slack-integration"),
    # an English article whose section is about it stays the source for an English question
    ("Safari IME Enter problem", "kb-known-issues"),
])
def test_the_article_about_what_is_asked_is_the_source_in_either_language(
        agent: Agent, question: str, article: str) -> None:
    decision = ask(agent, question)
    assert decision.candidate is not None and decision.candidate.id == article
    if decision.action == "escalate":  # the agent's draft offers that article
        assert decision.escalation is not None
        assert decision.candidate.title in (decision.escalation.draft or "")


@pytest.mark.parametrize(("previous", "follow_up", "article"), [
    ("How do I set up SAML SSO with Okta?", "ok and how would I do that on Entra ID instead?",
     "kb-saml-sso-entra-id"),
    ("OktaでSAML SSOを設定する手順を教えてください", "Entra IDだとどうなりますか？",
     "kb-saml-sso-entra-id|kb-ja-saml-sso"),
    # (the Japanese article on SSO covers it too), and one that narrows the same question
    # stays with a passage that answers it: the FAQ entry or the article's table of limits
    # per plan both give Business's 300 requests per minute (which of the two ranks first
    # turns on a 0.02 margin that onnxruntime's int8 kernels settle differently on CPUs with
    # and without AVX-512 VNNI)
    ("What's the API rate limit?", "and on Business?",
     "kb-faq-api-rate-limit|kb-api-tokens-and-rate-limits"),
])
def test_a_follow_up_that_switches_to_another_documented_thing_is_grounded_in_its_article(
        agent: Agent, previous: str, follow_up: str, article: str) -> None:
    decision = ask(agent, follow_up, previous)
    assert decision.candidate is not None and decision.candidate.id in article.split("|")
    if "rate limit" in previous:
        assert decision.action == "answer" and "300" in (decision.answer or ""), decision.answer


@pytest.mark.parametrize(("previous", "follow_up", "form", "topic"), [
    ("How do I invite a client as a guest?", "is there a cap on how many per project?", {"cap"},
     "project"),
    ("取引先の担当者をゲストとして招待したいです", "1つのプロジェクトに何人まで招待できますか？", {"何", "人"},
     "プロジェクト"),
])
def test_the_words_a_follow_up_asks_with_are_not_what_it_is_about(
        agent: Agent, previous: str, follow_up: str, form: set[str], topic: str) -> None:
    inquiry = Inquiry(text=follow_up, history=[Message(role="customer", text=previous)])
    focus = agent.follow_up_focus(inquiry, agent.retrieval_query(inquiry))
    assert not form & set(focus) and any(t.startswith(topic[:6]) for t in focus), focus


def test_a_follow_up_asking_for_a_limit_is_answered_from_the_same_article(agent: Agent) -> None:
    decision = ask(agent, "is there a cap on how many?", "How do I invite a client as a guest?")
    assert decision.action == "answer" and decision.citations[0].id == "kb-guest-access"
    assert "5 guests per paid seat" in (decision.answer or "")


def test_the_follow_up_set_is_well_formed_in_both_languages() -> None:
    from eval.cases import load_cases

    loaded = load_cases(Path(__file__).resolve().parents[2] / "data" / "followups" / "cases.jsonl")
    assert loaded.problems == [] and len(loaded.cases) == 24
    assert {c.language for c in loaded.cases} == {"en", "ja"}
    assert all(c.history for c in loaded.cases)  # every case is a follow-up


@pytest.mark.parametrize(("previous", "follow_up", "name"), [
    ("Push notifications stopped on Android", "does it work on my Pixel?", "Pixel"),
    ("Androidでプッシュ通知が届きません", "私のPixelでも同じですか？", "Pixel"),
])
def test_a_name_that_is_the_customers_own_thing_is_not_an_undocumented_topic(
        agent: Agent, previous: str, follow_up: str, name: str) -> None:
    decision = ask(agent, follow_up, previous)
    assert decision.candidate is not None  # the previous question's sources still count
    if decision.escalation is not None:
        assert name not in decision.escalation.detail
    assert agent.policy.names_own_thing("does it work on my ")
    assert agent.policy.names_own_thing("Does that apply to our new ")
    assert agent.policy.names_own_thing("弊社の") and not agent.policy.names_own_thing("What about ")


@pytest.mark.parametrize(("previous", "follow_up"), [
    ("How do I invite a client as a guest?", "OK, and is there a cap on how many?"),
    ("How do I invite a client as a guest?", "Thanks Sarah, and is there a cap on how many?"),
    ("How do I invite a client as a guest?", "Could you explain that in more detail please?"),
    ("ゲストを招待するには？", "ありがとうございます。もう少し詳しく説明してもらえますか？"),
    ("ゲストを招待するには？", "了解です。何人まで招待できますか？"),
])
def test_the_words_of_the_conversation_do_not_make_a_follow_up_undocumented(
        agent: Agent, previous: str, follow_up: str) -> None:
    inquiry = Inquiry(text=follow_up, history=[Message(role="customer", text=previous)])
    query = agent.retrieval_query(inquiry)
    focus = agent.follow_up_focus(inquiry, query)
    assert not {"ok", "thank", "thanks", "explain", "detail", "pleas", "please", "more"} & set(focus)
    assert agent.unknown_names(inquiry, query) == []  # "Sarah" is greeted, not asked about
    decision = ask(agent, follow_up, previous)
    detail = decision.escalation.detail if decision.escalation else ""
    assert "follow-up" not in detail, detail


@pytest.mark.parametrize(("question", "language", "other"), [
    ("ゲストを招待するには？", "ja", "en"),
    ("How do I invite a client as a guest?", "en", "ja"),
])
def test_a_past_ticket_in_the_other_language_does_not_push_an_article_aside(
        agent: Agent, question: str, language: str, other: str) -> None:
    from dataclasses import replace

    article = next(g for g in agent.ground(question, language) if g.kind == "kb")
    article = replace(article, confidence=0.78, hit=replace(article.hit, language=language))
    ticket = replace(article, kind="precedent", confidence=0.90,
                     hit=replace(article.hit, language=other, doc_id="T-0001"))
    assert agent._choose([ticket, article], language) is article
    # Against an article in the other language that is clearly better, it is not preferred.
    better = replace(ticket, kind="kb", hit=replace(article.hit, language=other, doc_id="kb-x"))
    assert agent._choose([better, article], language) is better


# Questions from data/crosslingual (held out from every fit): each asks what only an English
# article says, in words whose vectors sit closer to the Japanese articles.
ENGLISH_ONLY = [
    ("タイマーを止め忘れたらどうなりますか？ずっと計測され続けますか？", "kb-time-tracking",
     "12 hours"),
    ("Internet Explorerで使えますか？", "kb-browser-support", "Internet Explorer is not supported"),
]


@pytest.mark.parametrize(("question", "article", "fact"), ENGLISH_ONLY)
def test_a_japanese_question_only_an_english_article_answers_is_answered_from_it(
        agent: Agent, question: str, article: str, fact: str) -> None:
    decision = ask(agent, question)
    assert decision.action == "answer" and decision.language == "ja"
    assert decision.citations[0].id == article
    assert fact in (decision.answer or "") and "英語の記事" in (decision.answer or "")


@pytest.mark.parametrize(("question", "article", "fact"), ENGLISH_ONLY)
def test_without_the_glossary_search_the_vectors_alone_miss_that_article(
        agent_without_glossary: Agent, question: str, article: str, fact: str) -> None:
    decision = ask(agent_without_glossary, question)
    assert not (decision.action == "answer" and decision.citations[0].id == article)


@pytest.mark.parametrize(("question", "report", "article", "fact"), [
    ("The CSV import summary says 'Row 12: title is empty'. Were the other rows imported or "
     "did it all fail?",
     "The CSV import summary says 'Row 12: title is empty' and the import failed.",
     "kb-import-csv", "the rest are imported"),
    ("無料プランでBacklogから4つ目のプロジェクトを取り込もうとするとエラーになります。不具合でしょうか？",
     "無料プランでBacklogから4つ目のプロジェクトを取り込もうとするとエラーになります。",
     "kb-ja-import-backlog", "Freeプランはプロジェクト3件まで"),
])
def test_a_question_about_a_symptom_the_documentation_explains_is_answered_a_report_is_not(
        agent: Agent, question: str, report: str, article: str, fact: str) -> None:
    asked = ask(agent, question)
    assert asked.tag == "bug"  # still counted as one for engineering
    assert asked.action == "answer" and asked.citations[0].id == article
    assert "documented_behaviour" in asked.flags and fact in (asked.answer or "")
    reported = ask(agent, report)
    assert reported.action == "escalate" and reported.escalation is not None
    assert reported.escalation.reason == ReasonCode.BUG_REPORT


def test_whether_a_message_asks_is_read_from_its_form_in_both_languages(agent: Agent) -> None:
    from agent.reading import asks_something

    policy = agent.policy
    assert asks_something("subtasks dont show on the board view, only in list. bug?", policy)
    assert asks_something("ボードにサブタスクが出ません。仕様でしょうか。", policy)
    assert asks_something("Export fails. How do I get my data out?", policy)
    assert not asks_something("Board view is completely blank for one of our projects.", policy)
    assert not asks_something("昨日作成したタスクが20件ほど消えています。ゴミ箱にも見当たりません。",
                              policy)


def test_a_japanese_follow_up_naming_an_english_plan_is_answered_in_japanese(agent: Agent) -> None:
    """"Businessだと？" is Japanese around the plan's English name: the answer is framed in
    Japanese, as the question before it was, and gives Business's limit."""
    decision = ask(agent, "Businessだと？", "APIのレート制限は？")
    assert decision.language == "ja"
    assert decision.action == "answer" and decision.answer is not None
    assert "ヘルプセンター" in decision.answer and "Here is what" not in decision.answer
    assert "300" in decision.answer


@pytest.mark.parametrize(("question", "step", "intro"), [
    ("Oktaでシングルサインオンを設定する方法を教えて", "「認証済みドメイン」＞「ドメインを追加」",
     "Tsunaguにサインインできるようになります"),
    ("How do I get single sign-on working with Okta?", "Create App Integration",
     "SAML single sign-on is available on the"),
])
def test_a_how_to_about_an_articles_whole_task_quotes_its_steps_not_its_opening(
        agent: Agent, question: str, step: str, intro: str) -> None:
    # The Japanese article's opening restates its title, so it matched best and was all the
    # answer said; the answer is the procedure (as much of it as fits, the rest named).
    decision = ask(agent, question)
    assert decision.action == "answer" and decision.answer is not None
    assert step in decision.answer, decision.answer
    assert intro not in decision.answer


def test_a_japanese_question_for_a_figure_gets_the_english_articles_figures(
        agent: Agent) -> None:
    # Searched through its glosses ("rate restrict"), the question had lost that it asks for
    # a figure, and the article's errors table was quoted instead of its limits per plan.
    decision = ask(agent, "APIのレート制限は？")
    assert decision.action == "answer" and decision.answer is not None
    assert "300 requests per minute" in decision.answer, decision.answer
    assert "Missing, invalid, expired" not in decision.answer


@pytest.mark.parametrize(("text", "told", "not_told"), [
    ("We want to add 20 seats for our sales team", "I have passed your request to our team.",
     "could not find a reliable answer"),
    ("20席追加したい", "ご依頼の内容を担当チームに引き継ぎました。", "確実な回答が見つからなかった"),
])
def test_a_request_to_buy_more_that_is_handed_over_is_told_it_was_passed_on(
        agent: Agent, text: str, told: str, not_told: str) -> None:
    # Not "no answer was found": the customer asked for seats, and the CSM has the signal.
    decision = ask(agent, text)
    assert decision.action == "escalate"
    assert any(s.kind == SignalKind.EXPANSION for s in decision.signals)
    assert told in (decision.answer or "") and not_told not in (decision.answer or "")


@pytest.mark.parametrize("text", [
    "請求書は紙で郵送してもらえますか？うちの経理は原本がほしいそうで…",
    "うちは米ドルで請求されているんですが、この請求書で仕入税額控除できますか？",
    "Can we get our invoices by post? Our accountant wants the paper original.",
])
def test_the_sources_retrieved_list_each_document_once(agent: Agent, text: str) -> None:
    # A Japanese question finds an English article by its own words and again through the
    # glossary: one entry, with the better score.
    retrieved = [(c.source, c.id, c.score) for c in ask(agent, text).retrieved]
    assert retrieved and len({r[:2] for r in retrieved}) == len(retrieved)
    assert [r[2] for r in retrieved] == sorted((r[2] for r in retrieved), reverse=True)


@pytest.mark.parametrize(("text", "language", "own", "borrowed"), [
    ("Saving a task with a due date fails. How do I fix it?", "en", "fix", "due"),
    ("Slackへの通知が届かなくなりました。回避方法はありますか？", "ja", "回避", "通知"),
    # A part with words of its own keeps to them.
    ("We use Okta. How do I set up single sign-on with SAML?", "en", "saml", None),
])
def test_a_part_with_hardly_a_word_of_its_own_is_read_with_the_sentence_before_it(
        agent: Agent, text: str, language: str, own: str, borrowed: str | None) -> None:
    [part] = agent.question_view(text, language).parts
    assert own in part.terms
    if borrowed is None:
        assert "okta" not in part.terms
    else:
        assert borrowed in part.terms
