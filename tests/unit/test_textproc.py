import random
from functools import partial

from retrieval.textproc import Analyzer, detect_language
from tests.support.threads import run_interleaved


def test_english_is_detected_even_with_a_japanese_signature() -> None:
    text = ("Hi team, the CSV export keeps timing out on our biggest project since Monday. "
            "Could you take a look?\n-- Ken, ミナト物流")
    assert detect_language(text) == "en"


def test_japanese_is_detected_even_with_product_names_in_latin_letters() -> None:
    assert detect_language("SAML SSO を Okta で設定したいのですが、手順を教えてください。") == "ja"


def test_a_short_japanese_follow_up_around_an_english_plan_name_is_japanese() -> None:
    # Japanese grammar (hiragana) around the product's English words
    for text in ("Businessだと？", "Teamは？", "Enterprise planでもSAML SSOは使えますか"):
        assert detect_language(text) == "ja", text
    # an English sentence naming a Japanese person or company stays English
    for text in ("and on Business?", "Please contact 山田さん about the invoice for March",
                 "We are ミナト物流 and our export fails every night",
                 "Please ask さくら about it.", "Can you check ticket 123? ありがとう"):
        assert detect_language(text) == "en", text


def test_english_terms_are_stemmed_and_stopwords_dropped() -> None:
    terms = Analyzer().terms("How do I invite members? Invitations aren't arriving")
    assert "invit" in terms and "member" in terms
    assert "how" not in terms and "aren" not in terms


def test_japanese_terms_drop_particles_and_light_verbs() -> None:
    terms = Analyzer().terms("請求書払いを申し込むにはどうすればよいですか？してください")
    assert "請求書" in terms and "申し込む" in terms
    for noise in ("を", "に", "は", "する", "です", "ください"):
        assert noise not in terms


def test_a_verbs_continuative_form_also_gives_the_noun_it_is_used_as() -> None:
    # The same word is a verb in お支払い方法 and 請求書払い（銀行振込）, a noun in 支払期限 and
    # 請求書払いにした: a question in one form must find a heading in the other.
    analyzer = Analyzer()
    heading = analyzer.terms("お支払い方法の種類 > 請求書払い（銀行振込）")
    question = analyzer.terms("請求書払いにした場合、支払期限はいつになりますか？")
    assert {"支払い", "払い"} <= set(question) & set(heading)
    assert "支払う" in heading and "払う" in heading  # the verb still matches a verb
    assert {"振り込む", "振り込み"} <= set(analyzer.terms("当月末日までにお振込みください"))
    assert analyzer.terms("止まります") == ["止まる"]  # no noun of that use: nothing added


def test_full_width_latin_matches_ascii() -> None:
    analyzer = Analyzer()
    assert "saml" in analyzer.terms("ＳＡＭＬの設定") and "saml" in analyzer.terms("SAML setup")


def test_long_japanese_text_is_tokenized_in_pieces() -> None:
    terms = Analyzer().terms("請求書の設定について。\n" * 3000)  # ~36k chars, over Sudachi's cap
    assert terms.count("請求書") == 3000


def test_one_analyzer_gives_the_same_terms_from_many_threads() -> None:
    # The API analyses queries on a thread pool with one Analyzer per store. Snowball's
    # stemmer keeps its working state on the object, so unguarded concurrent calls raised
    # IndexError or returned (and cached) wrong stems.
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) + suffix
             for suffix in ("ing", "ations", "ness", "fully") for _ in range(600)]
    texts = [" ".join(words[i:i + 6]) for i in range(0, len(words), 6)]
    texts += [f"{a}の設定を{b}で変更したい" for a, b in zip(words[::7], words[3::7], strict=False)]
    serial = Analyzer()
    expected = {text: serial.terms(text) for text in texts}
    shared = Analyzer()
    wrong: list[str] = []

    def work(part: list[str]) -> None:
        wrong.extend(f"wrong terms for {text!r}" for text in part
                     if shared.terms(text) != expected[text])

    failures = run_interleaved([partial(work, texts[i::4]) for i in range(4)]) + wrong
    assert not failures, failures[:5]


def test_language_codes_are_reduced_to_the_primary_subtag() -> None:
    from retrieval.textproc import language_code

    assert [language_code(t) for t in ("en", "EN", "en-US", "en_GB", " ja-JP ", "ＪＡ")] == [
        "en", "en", "en", "en", "ja", "ja"]
    assert [language_code(t) for t in ("Japanese", "jp", "日本語", "English", "zh-Hant-TW")] == [
        "ja", "ja", "ja", "en", "zh"]
    assert language_code("") == ""
