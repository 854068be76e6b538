"""The policy's phrase lists in both languages, and how a company's policy extends the default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import agent.policy
from agent.policy import Policy, PolicyFile, compile_pattern, load_policy_data
from agent.tagger import TagPrediction
from errors import ConfigError
from retrieval.linear_re import LinearPattern

ROOT = Path(__file__).resolve().parents[2]
DEMO_POLICY = ROOT / "data" / "demo" / "policy.yaml"
TAGS = ("bug", "usage_question", "success_opportunity")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def guess(tag: str = "usage_question", confidence: float = 0.6) -> TagPrediction:
    """A tagger's guess: `tag` at `confidence`, the rest shared by the other tags."""
    rest = (1.0 - confidence) / (len(TAGS) - 1)
    return TagPrediction(tag, confidence, {t: confidence if t == tag else rest for t in TAGS})


# ----------------------------------------------------------------------------- human requests


@pytest.mark.parametrize("text", [
    "担当者と話したい", "担当の方と話せますか", "担当の方から連絡ください", "オペレーターにつないで",
    "電話で説明してほしい", "人間と話したい", "担当者と話す", "有人対応をお願いします",
    "担当者の方と直接お話ししたいです", "ご担当者様からご連絡いただけますか", "スタッフの方につないでください",
    "talk to a human", "Can I speak to someone?", "get me an agent", "Please call me back",
    "Could you connect me with a person?", "Have someone call me today",
])
def test_a_request_for_a_person_is_recognised_in_both_languages(policy: Policy, text: str) -> None:
    assert policy.human_requested(text), text


@pytest.mark.parametrize("text", [
    "担当者はどのように対応付けられますか？",  # an import's assignee mapping
    "タスクの担当者に対応する列はどれですか",
    "担当者に通知は届きますか？",
    "How do I invite a person?", "How do I assign a task to someone?",
])
def test_an_assignee_or_an_invitation_is_not_a_request_for_a_person(policy: Policy,
                                                                    text: str) -> None:
    assert policy.human_requested(text) is None, text


# ----------------------------------------------------------------------------- churn


@pytest.mark.parametrize("text", [
    "解約を検討しています", "他のツールに乗り換えようと思っています", "更新しないつもりです",
    "使うのをやめたい", "契約は更新しない方向です",
    "We're thinking about cancelling", "We will not renew", "we won't be renewing next year",
    "We are switching to another tool", "we decided to stop using it",
    "We're considering leaving", "honestly a waste of money",
])
def test_churn_intent_is_recognised_in_both_languages(policy: Policy, text: str) -> None:
    assert policy.churn_intent(text), text


@pytest.mark.parametrize("text", [
    "Backlogから乗り換えたいのですが、データは移行できますか？",  # switching to the product
    "画面が更新されません", "How do I move a task to another project?",
    "Can we renew early?",
])
def test_moving_in_or_a_stale_screen_is_not_churn(policy: Policy, text: str) -> None:
    assert policy.churn_intent(text) is None, text


def test_competitors_are_the_companys_own_words(policy: Policy) -> None:
    demo = Policy.load(DEMO_POLICY)
    text = "We are moving to Asana next quarter"
    assert policy.churn_intent(text) is None
    assert demo.churn_intent(text)
    assert demo.churn_intent("来期からTrelloに移行する予定です")


# ----------------------------------------------------------------------------- bugs


@pytest.mark.parametrize("text", [
    "アプリが落ちます", "起動するとすぐ落ちて使えない", "保存するとエラーになる", "エラーが出ます",
    "タイマーが動かない", "同期が動きません", "画面が固まります", "コメントが表示されません",
    "ファイルが保存できません", "ログインすることができません", "通知が届きません",
    "エクスポートに失敗しました", "昨日作ったタスクが消えています", "ログイン画面に戻されてループします",
    "iPhoneアプリでプロジェクトを開くと毎回強制終了します", "保存すると異常終了してしまいます", "アプリがクラッシュします",
    "The app crashes on launch", "Sync is not working", "the board doesn't load",
    # a figure asked about the fault itself is still a report of it
    "The app crashes every time I open a project. How long until this is fixed?",
    "Exports keep failing with error 500. How many times do I have to retry?",
    "アプリが毎回落ちます。いつまでに直りますか？",
    "I get a 500 Internal Server Error", "Saving fails every time", "the page is blank",
    "Something went wrong when I upload a file",
])
def test_breakage_is_recognised_in_both_languages(policy: Policy, text: str) -> None:
    assert policy.bug_cue(text), text


@pytest.mark.parametrize("text", [
    "How do I fix the error message about SSO?", "What does error AADSTS50105 mean?",
    "Uploads fail with 'Your workspace is out of storage'",
    "We exceeded the rate limit and get 429s",
    "エラーメッセージを消す方法を教えてください", "通知が届かないようにしたい",
    "メンバーを削除したら、タスクは消えちゃいますか？", "IdPが落ちたときが心配です",
    "自動化の実行回数が上限に達して止まってしまいました",
    "How do I export a project?", "ゲストを招待する方法は？",
    # a figure asked about it: how the product behaves, not a fault to fix
    "New hires say their invitation link doesn't work anymore. How long is it valid?",
    "Sync stopped working overnight, how often does it run?",
    "招待リンクが開けないと言われました。リンクはいつまで有効ですか？",
    "承認メールが届かないのですが、何日以内に承認が必要ですか",
    "アプリを強制終了するにはどうすればいいですか",
])
def test_how_to_questions_hypotheticals_and_limits_are_not_breakage(policy: Policy,
                                                                     text: str) -> None:
    assert policy.bug_cue(text) is None, text


def test_breakage_words_decide_the_tag_only_when_the_tagger_is_unsure(policy: Policy) -> None:
    unsure = policy.cue_tag("保存ボタンを押すとエラーになります", guess("usage_question", 0.7))
    assert unsure[0].tag == "bug" and unsure[0].confidence == policy.spec.bug.confidence
    assert unsure[1] is not None and unsure[1].text == "エラーになり"
    sure = policy.cue_tag("保存ボタンを押すとエラーになります", guess("usage_question", 0.9))
    assert sure == (guess("usage_question", 0.9), None)
    # A weak bug tag the words confirm keeps its tag and counts (Agent._offline).
    confirmed, cue = policy.cue_tag("The app crashes on launch", guess("bug", 0.45))
    assert confirmed.tag == "bug" and confirmed.confidence == policy.spec.bug.confidence
    assert cue is not None


def test_a_tag_the_taxonomy_lacks_is_never_decided(policy: Policy) -> None:
    other = TagPrediction("billing", 0.5, {"billing": 0.5, "account": 0.5})
    assert policy.cue_tag("The app crashes on launch", other) == (other, None)


# ----------------------------------------------------------------------------- expansion


@pytest.mark.parametrize(("text", "theme"), [
    ("20席追加したい", "seats"), ("ライセンスを30追加したい", "seats"),
    ("来月から10名が追加で使う予定です", "seats"), ("上位プランに変えたい", "higher_plan"),
    ("プランをアップグレードしたいです", "higher_plan"), ("見積書をいただけますか", "pricing"),
    ("全社展開を考えています", "rollout"), ("セキュリティチェックシートに回答いただけますか", "enterprise"),
    ("We want to add 20 seats", "seats"), ("We need 5 more licences", "seats"),
    ("We'd like to upgrade our plan", "higher_plan"), ("Can you send us a quote?", "pricing"),
    ("We're rolling it out to the whole company", "rollout"),
    ("Our security team needs your SOC 2 report", "enterprise"),
    ("We hit the storage limit this week", "higher_plan"),
])
def test_expansion_intent_raises_a_signal_whatever_the_tagger_says(
        policy: Policy, text: str, theme: str) -> None:
    found = policy.expansion(text, guess("usage_question", 0.9))
    assert found is not None and found.by_cue, text
    assert found.theme == theme, text
    assert found.words and found.words in text


@pytest.mark.parametrize("text", [
    "How do I remove a seat?", "席を減らしたい", "We want to downgrade to Team",
    "We'd like fewer seats next year", "下位プランに変更したい", "プランを下げたいです",
])
def test_fewer_seats_or_a_lower_plan_raise_no_expansion_signal(policy: Policy, text: str) -> None:
    # Not even when the tagger calls it an opportunity: it is the opposite of one.
    assert policy.expansion(text, guess("success_opportunity", 0.9)) is None, text


@pytest.mark.parametrize("text", [
    "How do I invite a member?", "メンバーを招待する方法は？", "How do I set up SAML SSO with Okta?",
    "シートの列を追加したい", "What's the price of the Team plan?",
])
def test_everyday_questions_are_no_expansion_intent(policy: Policy, text: str) -> None:
    assert policy.expansion_cue(text) is None, text
    assert policy.expansion(text, guess("usage_question", 0.7)) is None, text


def test_the_taggers_opportunity_picks_a_theme_from_its_topic_words(policy: Policy) -> None:
    found = policy.expansion("What does the enterprise plan include?",
                             guess("success_opportunity", 0.7))
    assert found is not None and not found.by_cue
    assert found.theme == "enterprise" and found.words == "enterprise"
    plain = policy.expansion("Tell me more", guess("success_opportunity", 0.7))
    assert plain is not None and plain.texts == policy.spec.expansion.fallback
    assert policy.expansion("Tell me more", guess("success_opportunity", 0.4)) is None


def test_every_theme_speaks_both_languages(policy: Policy) -> None:
    names = [t.name for t in policy.spec.expansion.themes]
    assert {"seats", "higher_plan", "rollout", "pricing", "enterprise"} <= set(names)
    for theme in policy.spec.expansion.themes:
        for texts in (theme.why, theme.next_step):
            assert texts.en.isascii() and not texts.ja.isascii(), theme.name
    churn = policy.churn_texts(words="解約", sentiment=0.0)
    assert churn.why.en == "cancellation or switching intent (解約)"
    assert churn.why.ja == "解約・乗り換えの意向（解約）"
    angry = policy.churn_texts(words=None, sentiment=-0.8)
    assert "-0.80" in angry.why.en and "-0.80" in angry.why.ja


def test_the_default_themes_are_generic_and_the_demo_adds_its_plans(policy: Policy) -> None:
    demo = Policy.load(DEMO_POLICY)
    assert policy.expansion_cue("Entra IDでSSOをしたいので、TeamからBusinessに上げようと思っています")
    assert policy.expansion_cue("We'd like to move to Business") is None
    assert demo.expansion_cue("We'd like to move to Business")
    enterprise = next(t for t in demo.spec.expansion.themes if t.name == "enterprise")
    assert "Enterprise" in enterprise.next_step.en and "東京リージョン" in enterprise.next_step.ja
    # The demo's phrases join the default's: the default's generic intent still counts.
    assert demo.expansion_cue("We want to add 20 seats")


# ----------------------------------------------------------------------------- conversation


def test_follow_ups_workarounds_and_reply_cleanup_in_both_languages(policy: Policy) -> None:
    assert policy.follow_up("Does that work on mobile too?")
    assert policy.follow_up("それはスマホでもできますか")
    assert not policy.follow_up("How do I export a project to CSV?")
    assert policy.mentions_workaround("Workaround: set the time zone")
    assert policy.mentions_workaround("## 回避方法")
    assert not policy.mentions_workaround("Set the time zone in settings")
    assert policy.clean_reply("Hi Anna,\nOpen Settings > Members.\n\nBest regards,\nKen"
                              ) == "Open Settings > Members."
    assert policy.clean_reply("山田様\nお世話になっております。\n設定から変更できます。\n"
                              "よろしくお願いいたします。") == "設定から変更できます。"


# ----------------------------------------------------------------------------- figures asked for


@pytest.mark.parametrize("text", [
    "Is there a page size limit on the list endpoints?", "whats the api rate limit",
    "What's the maximum file size?", "How long is the trial?",
    "What happens if we go over the seat limit, and what is the maximum?",
    "How many seats are within the plan's limit?",
    "Businessプランの上限っていくつですか？", "アップロードに上限はありますか", "定期区間はいくつまで登録できますか",
    "上限を超えたら何件まで登録できますか",
])
def test_a_question_asking_for_a_figure_is_recognised_in_both_languages(
        policy: Policy, text: str) -> None:
    assert policy.asks_quantity(text) and policy.quantity_cues(text)


@pytest.mark.parametrize("text", [
    "Can we stop people from submitting an expense that's over the category limit?",
    "Our uploads are above the 10 MB limit and fail",
    "Can approvers see reports that exceed the budget cap?",
    "上限を超えた経費の申請を止めることはできますか？", "制限を超えるとどうなりますか",
    "限度額を超過した申請を差し戻したい",
])
def test_a_limit_named_as_a_condition_asks_for_no_figure(policy: Policy, text: str) -> None:
    assert not policy.asks_quantity(text) and policy.quantity_cues(text) == []


# ----------------------------------------------------------------------------- extending


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_company_policy_extends_the_default_without_copying_it(tmp_path: Path) -> None:
    path = write(tmp_path / "acme.yaml", """\
extends: default
version: acme-1
thresholds: {answer_min_confidence: 0.7}
human_request: ['\\bmanager\\b']
expansion:
  themes:
    - name: seats
      intent: ['\\bmore widgets\\b']
      why: {en: wants more widgets, ja: ウィジェットを増やしたい}
    - name: acme_gold
      intent: ['\\bgold tier\\b']
      why: {en: asked about Gold, ja: ゴールドについて質問}
      next_step: {en: Call them, ja: 電話する}
""")
    default, acme = Policy.load(), Policy.load(path)
    assert acme.version == "acme-1"
    assert acme.thresholds.answer_min_confidence == 0.7
    assert acme.thresholds.negative_sentiment == default.thresholds.negative_sentiment
    assert acme.human_requested("Get me your manager")  # added
    assert acme.human_requested("担当者と話したい")  # kept from the default
    assert acme.spec.human_request[:-1] == default.spec.human_request
    assert acme.spec.sensitive_topics == default.spec.sensitive_topics
    themes = [t.name for t in acme.spec.expansion.themes]
    assert themes[0] == "acme_gold"  # a new entry is tried before the defaults
    assert themes[1:] == [t.name for t in default.spec.expansion.themes]
    seats = acme.spec.expansion.themes[themes.index("seats")]
    assert seats.why.en == "wants more widgets"
    assert seats.next_step == default.spec.expansion.themes[0].next_step
    assert seats.intent[-1] == "\\bmore widgets\\b" and len(seats.intent) > 1
    found = acme.expansion("We need more widgets", guess())
    assert found is not None and found.theme == "seats"


def test_a_company_adds_sentiment_words_and_its_own_acronyms(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", """\
extends: default
sentiment:
  negative: {dreadful: 0.7, 遺憾: 0.7}
  not_shouting: [ACME]
""")
    default, policy = Policy.load(), Policy.load(path)
    assert default.sentiment("This is dreadful") == 0.0
    assert policy.sentiment("This is dreadful") == -0.7
    assert policy.sentiment("誠に遺憾です") == -0.7
    assert policy.sentiment("This is USELESS") == default.sentiment("This is USELESS") < 0
    assert default.sentiment("ACME ACME exports via CSV") < 0  # read as shouting
    assert policy.sentiment("ACME ACME exports via CSV") == 0.0
    assert policy.sentiment("hello there, thanks") > 0  # "hell" is a whole word only


def test_replace_takes_a_list_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", """\
extends: default
replace: [churn, expansion.themes.seats.intent]
churn: ['\\bbye\\b']
expansion:
  themes:
    - name: seats
      intent: ['\\bmore chairs\\b']
""")
    policy = Policy.load(path)
    assert policy.spec.churn == ["\\bbye\\b"]
    assert policy.churn_intent("解約したい") is None
    seats = next(t for t in policy.spec.expansion.themes if t.name == "seats")
    assert seats.intent == ["\\bmore chairs\\b"]
    assert seats.topic  # not replaced: merged as usual


def test_a_chain_of_policy_files_is_followed_relative_to_each_file(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write(tmp_path / "base" / "group.yaml", "extends: default\nversion: group\n"
          "churn: ['\\bbye\\b']\n")
    path = write(tmp_path / "team.yaml", "extends: base/group.yaml\nversion: team\n")
    policy = Policy.load(path)
    assert policy.version == "team" and policy.churn_intent("ok bye")
    assert policy.churn_intent("解約します")


@pytest.mark.parametrize(("text", "message"), [
    ("extends: nowhere.yaml\n", "cannot read policy file"),
    ("extends: 3\n", "`extends` must be `default` or a file path"),
    ("replace: [churn]\nchurn: []\n", "`replace` needs `extends`"),
    ("extends: default\nreplace: [human_request]\nchurn: []\n", "human_request"),
    ("extends: default\nreplace: churn\n", "`replace` must be a list"),
    ("extends: default\nhuman_requests: ['x']\n", "human_requests"),
    ("extends: default\nbug: {phrases: ['(unclosed']}\n", "unclosed"),
    ("extends: default\nexpansion: {themes: [{name: x, why: {en: only English}}]}\n",
     "expansion.themes.0.why.ja"),
    ("- just\n- a list\n", "must be a mapping"),
    ("version: standalone\n", "churn_signal: Field required"),
    ("version: standalone\n", "start the file with `extends: default`"),
])
def test_a_broken_company_policy_says_what_is_wrong(tmp_path: Path, text: str,
                                                    message: str) -> None:
    path = write(tmp_path / "p.yaml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Policy.load(path)


def test_policy_files_that_extend_each_other_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ConfigError, match="circle"):
        load_policy_data(tmp_path / "a.yaml")


# ----------------------------------------------------------------------------- one engine


def test_every_policy_pattern_is_compiled_through_one_function(
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = PolicyFile.model_validate(load_policy_data(DEMO_POLICY))  # validated unpatched
    seen: list[str] = []

    def spy(pattern: str, *, multiline: bool = False) -> LinearPattern:
        seen.append(pattern)
        return compile_pattern(pattern, multiline=multiline)

    monkeypatch.setattr(agent.policy, "compile_pattern", spy)
    Policy(spec)
    lists = [*spec.sensitive_topics.values(), spec.human_request, spec.churn, spec.bug.phrases,
             spec.bug.unless, spec.expansion.unless, spec.follow_up, spec.known_workaround,
             spec.cleanup.greeting, spec.cleanup.signoff,
             *(p for t in spec.expansion.themes for p in (t.intent, t.topic))]
    compiled = "\n".join(seen)
    for patterns in lists:
        for pattern in patterns:
            assert f"(?:{pattern})" in compiled or pattern in seen, pattern
    for rule in spec.rules:
        assert rule.pattern in seen
    for word in spec.sentiment.negative:
        assert not word.isascii() or any(re.escape(word) in p for p in seen), word


def test_a_companys_fitted_answer_model_replaces_the_defaults(tmp_path: Path) -> None:
    model = {"features": ["confidence"], "mean": [0.5], "scale": [0.2], "weights": [3.0],
             "intercept": 0.0, "threshold": 0.6}
    path = tmp_path / "policy.yaml"
    import yaml
    path.write_text(yaml.safe_dump({"extends": "default", "answerability": model}),
                    encoding="utf-8")
    policy = Policy.load(path)
    assert policy.spec.answerability is not None
    assert policy.spec.answerability.features == ["confidence"]
    assert policy.spec.answerability.threshold == 0.6

