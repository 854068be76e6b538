"""The tagger's features, model and calibration, on small synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from agent.tagger import (
    CODE_MARK,
    MAX_CHARS,
    NEIGHBOUR_QUANTILES,
    SoftmaxRegression,
    Tagger,
    TextFeatures,
    expected_calibration_error,
    headline,
    prose,
    softmax,
)
from retrieval.loaders import TagSpec, Taxonomy
from retrieval.textproc import Analyzer

TAXONOMY = Taxonomy((TagSpec("bug"), TagSpec("usage_question"), TagSpec("feature")))
DIM = 8


def _zeros(n: int) -> np.ndarray:
    return np.zeros((n, DIM), dtype=np.float32)


def _train(rows: list[tuple[str, str]], *, l2: float = 1.0, headline_weight: float = 1.0,
           holdout: float = 0.1) -> Tagger:
    texts = [t for t, _ in rows]
    return Tagger.train(TAXONOMY, texts, _zeros(len(texts)), [tag for _, tag in rows], l2=l2,
                        headline_weight=headline_weight, holdout=holdout)


def _tag(tagger: Tagger, text: str) -> str:
    return tagger.predict(text, np.zeros(DIM, dtype=np.float32)).tag


def test_japanese_is_read_from_its_characters_not_the_search_terms() -> None:
    # The search index drops できる, ない and 教える as light words: the old term features saw
    # only the topic nouns, which are the same in both classes here.
    rows = [
        ("ログインできません", "bug"), ("保存できません", "bug"), ("印刷できません", "bug"),
        ("ログインするには？", "usage_question"), ("保存するには？", "usage_question"),
        ("印刷するには？", "usage_question"),
    ]
    analyzer = Analyzer()
    assert analyzer.terms("書き出しできません") == analyzer.terms("書き出しするには？") == ["書き出し"]
    tagger = _train(rows)
    assert _tag(tagger, "書き出しできません") == "bug"
    assert _tag(tagger, "書き出しするには？") == "usage_question"


def test_english_function_words_are_features() -> None:
    # "how do I" and "doesn't" are stop words to a search index and the whole signal here.
    rows = [
        ("How do I export a report?", "usage_question"),
        ("How do I invite a member?", "usage_question"),
        ("How do I archive a project?", "usage_question"),
        ("Exporting a report doesn't work", "bug"),
        ("Inviting a member doesn't work", "bug"),
        ("Archiving a project doesn't work", "bug"),
    ]
    tagger = _train(rows)
    assert {"how", "how do", "doesn't", "doesn't work"} <= set(tagger.features.blocks[0].vocab)
    assert _tag(tagger, "How do I rename a board?") == "usage_question"
    assert _tag(tagger, "Renaming a board doesn't work") == "bug"


def test_the_headline_is_weighed_apart_from_a_long_body() -> None:
    # Every body is the same long log ending in one class word; the subject says what is asked.
    log = "\n".join(f"2024-05-01 12:00:{s:02d} worker-{s % 4} processed batch {s}"
                    for s in range(40))
    rows = []
    for topic in ("export", "import", "search", "upload", "billing", "login"):
        rows.append((f"Add support for {topic} scheduling\n{log}\nrequest", "feature"))
        rows.append((f"Crash when {topic} runs\n{log}\ntraceback", "bug"))
    subject = f"Add support for calendar scheduling\n{log}\ntraceback"
    not_subject = f"Calendar\nAdd support for calendar scheduling\n{log}\ntraceback"

    def feature(tagger: Tagger, text: str) -> float:
        return tagger.predict(text, np.zeros(DIM)).probabilities["feature"]

    tagger = _train(rows)
    assert feature(tagger, subject) > 0.7 > feature(tagger, not_subject)
    assert feature(_train(rows, headline_weight=0.0), subject) < 0.6


def test_headline_is_the_first_non_empty_line_cut_short() -> None:
    assert headline("\n\n  Export fails  \nbody") == "Export fails"
    assert headline("x" * 500) == "x" * 200
    assert headline("") == ""


def test_features_read_only_the_start_of_a_very_long_text() -> None:
    features = TextFeatures().fit(["crash on export", "how to export", "crash on import"])
    start = "crash on export " * (MAX_CHARS // 16)
    cols_a, values_a = features.row(start)
    cols_b, values_b = features.row(start + " how to " * 5000)
    assert np.array_equal(cols_a, cols_b) and np.allclose(values_a, values_b)


def test_rows_are_normalised_per_block() -> None:
    features = TextFeatures(char_min_df=1).fit(["Export fails\nthe export fails"])
    cols, values = features.row("Export fails\nthe export fails")
    blocks = np.searchsorted(np.array(features.offsets[1:]), cols, side="right")
    for b in range(3):
        assert np.linalg.norm(values[blocks == b]) == pytest.approx(1.0)
    assert features.transform(["Export fails"]).shape == (1, features.dim)


def test_the_model_learns_from_dense_and_sparse_columns_and_weights_rows() -> None:
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(60, 4))
    labels = (dense[:, 0] > 0).astype(int)
    features = TextFeatures().fit(["a"]).transform(["a"] * 60)
    model = SoftmaxRegression().fit(dense, features, labels, 2)
    assert (model.logits(dense, features).argmax(axis=1) == labels).mean() > 0.95
    # Weighting one class heavily moves the undecided point towards it.
    middle = np.zeros((1, 4))
    heavy = SoftmaxRegression().fit(dense, features, labels, 2,
                                    np.where(labels == 1, 50.0, 1.0))
    light = SoftmaxRegression().fit(dense, features, labels, 2)
    assert (heavy.predict_proba(middle, features[:1])[0, 1]
            > light.predict_proba(middle, features[:1])[0, 1])


def test_the_temperature_softens_an_overconfident_model() -> None:
    # Half the labels are noise: an unregularised fit is far too sure, held-out rows say so.
    rng = np.random.default_rng(1)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"]
    rows = []
    for i in range(300):
        tag = ["bug", "usage_question"][i % 2]
        noisy = tag if rng.random() < 0.75 else ["bug", "usage_question"][(i + 1) % 2]
        rows.append((f"{words[i % 6]} item{i} {'broken' if tag == 'bug' else 'how'}", noisy))
    tagger = _train(rows, l2=0.01)
    assert tagger.model is not None and tagger.model.temperature > 1.5
    uncalibrated = _train(rows, l2=0.01, holdout=0.0)
    assert uncalibrated.model is not None and uncalibrated.model.temperature == 1.0
    tests = [(f"{w} new{i} {'broken' if i % 2 else 'how'}", "bug" if i % 2 else "usage_question")
             for i, w in enumerate(words * 10)]
    calibrated = [tagger.predict(t, np.zeros(DIM)).confidence for t, _ in tests]
    raw = [uncalibrated.predict(t, np.zeros(DIM)).confidence for t, _ in tests]
    assert np.mean(calibrated) < np.mean(raw)


def test_embeddings_are_features_and_their_size_is_checked() -> None:
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(2, DIM))
    vectors = np.vstack([centres[i % 2] + 0.1 * rng.normal(size=DIM) for i in range(40)])
    labels = ["bug" if i % 2 == 0 else "usage_question" for i in range(40)]
    tagger = Tagger.train(TAXONOMY, ["same words"] * 40, vectors, labels)
    assert tagger.predict("same words", centres[0]).tag == "bug"
    assert tagger.predict("same words", centres[1]).tag == "usage_question"
    with pytest.raises(ValueError, match="8-d embeddings, not 4-d"):
        tagger.predict("same words", np.zeros(4))


def test_one_class_gives_a_tagger_that_always_says_it() -> None:
    tagger = _train([("anything", "bug"), ("something else", "bug"), ("x", "not-a-tag")])
    assert tagger.model is None
    prediction = tagger.predict("whatever", np.zeros(DIM))
    assert prediction.tag == "bug" and prediction.confidence == pytest.approx(1 / 3)


def test_expected_calibration_error() -> None:
    assert expected_calibration_error([0.9, 0.9], [True, True]) == pytest.approx(0.1)
    assert expected_calibration_error([0.55, 0.95], [True, False]) == pytest.approx(
        0.5 * 0.45 + 0.5 * 0.95)
    assert expected_calibration_error([], []) == 0.0


def test_small_sets_are_calibrated_on_every_row_large_ones_on_a_slice() -> None:
    from agent.tagger import FOLDS_BELOW, MIN_CALIBRATION_ROWS, _calibration_parts

    rng = np.random.default_rng(0)
    small = np.array([0] * 60 + [1] * 40)
    part = _calibration_parts(small, 2, 0.1, 5, rng)
    assert set(part) == {0, 1, 2, 3, 4}  # five folds cover every row
    assert all((small[part == k] == 1).sum() == 8 for k in range(5))  # stratified
    large = np.array([0, 1] * (FOLDS_BELOW // 2 + 50))
    part = _calibration_parts(large, 2, 0.1, 5, rng)
    assert set(part) == {-1, 0} and (part == 0).mean() == pytest.approx(0.1, abs=0.01)
    tiny = np.array([0, 1] * (MIN_CALIBRATION_ROWS // 2 - 1))
    assert (_calibration_parts(tiny, 2, 0.1, 5, rng) == -1).all()
    assert (_calibration_parts(small, 2, 0.0, 5, rng) == -1).all()  # holdout=0: uncalibrated


def test_inputs_without_a_vector_get_their_own_temperature() -> None:
    # Rows with a vector are separable by it; rows without one only by noisy words.
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(2, DIM))
    texts, vectors, labels = [], [], []
    for i in range(240):
        label = i % 2
        vectors.append(centres[label] + 0.05 * rng.normal(size=DIM) if i < 120 else np.zeros(DIM))
        word = ["broken", "how"][label] if rng.random() < 0.7 else ["broken", "how"][1 - label]
        texts.append(f"{word} item{i}")
        labels.append(["bug", "usage_question"][label])
    tagger = Tagger.train(TAXONOMY, texts, np.vstack(vectors), labels)
    assert tagger.model is not None
    assert tagger.no_vector_temperature > tagger.model.temperature
    blank = tagger.predict("broken thing", np.zeros(DIM))
    shared = softmax(tagger._logits(["broken thing"], np.zeros((1, DIM)))
                     / tagger.model.temperature)[0].max()
    assert blank.confidence < shared


def _cluster(rng: np.random.Generator, axis: int, n: int, spread: float) -> np.ndarray:
    rows = rng.normal(0.0, spread, (n, DIM)).astype(np.float32)
    rows[:, axis] += 1.0
    return rows


def test_remember_learns_how_near_a_question_comes_to_the_tickets_of_its_tag() -> None:
    rng = np.random.default_rng(3)
    vectors = np.vstack([_cluster(rng, 0, 12, 0.15), _cluster(rng, 1, 12, 0.15)])
    labels = ["bug"] * 12 + ["feature"] * 12
    texts = [f"crash report {n}" for n in range(12)] + [f"please add {n}" for n in range(12)]
    tagger = Tagger.train(TAXONOMY, texts, vectors, labels)
    # Each ticket read as a question: a slightly different vector from its stored one.
    asked = {i: vectors[i] + rng.normal(0.0, 0.05, DIM).astype(np.float32) for i in range(24)}
    floors = tagger.remember(vectors, labels, asked)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest = []
    for i, query in asked.items():
        sims = unit @ (query / np.linalg.norm(query))
        sims[i] = -np.inf
        nearest.append(max(s for s, label in zip(sims, labels, strict=True)
                           if label == labels[i]))
    assert floors is not None
    assert floors == pytest.approx(tuple(np.quantile(nearest, q) for q in NEIGHBOUR_QUANTILES),
                                   abs=1e-6)
    loose, strict = floors
    assert 0.8 < loose < strict < 1.0
    near = tagger.predict("crash report again", vectors[0] + 0.01)
    assert near.tag == "bug" and near.neighbour is not None and near.neighbour >= strict
    # A question far from every ticket (another direction) is not near its tag's tickets,
    # however the softmax ranks the tags; without a vector nothing is said.
    far = np.zeros(DIM, dtype=np.float32)
    far[5] = 1.0
    assert (tagger.predict("weather in Osaka", far).neighbour or 0.0) < loose
    assert tagger.predict("crash report", np.zeros(DIM, dtype=np.float32)).neighbour is None
    # Too few tickets read as questions: no floor.
    assert tagger.remember(vectors, labels, {i: asked[i] for i in range(10)}) is None


def test_remember_without_two_rows_of_any_tag_learns_no_floor() -> None:
    # A taxonomy whose tags each have only their description: no row has another row with
    # its tag to be compared with, so nothing is learned (and nothing raises).
    rng = np.random.default_rng(5)
    vectors = np.vstack([_cluster(rng, axis, 1, 0.1) for axis in range(3)])
    labels = ["bug", "usage_question", "feature"]
    tagger = Tagger.train(TAXONOMY, ["it crashes", "how do I", "please add"], vectors, labels)
    asked = {i: vectors[i] + 0.01 for i in range(3)}
    assert tagger.remember(vectors, labels, asked) is None
    assert tagger.neighbour_floors is None and len(tagger.neighbour_nearest) == 0
    assert tagger.predict("it crashes again", vectors[0]).tag == "bug"


def test_an_intent_is_answered_when_trusted_and_near_its_tickets() -> None:
    from agent.policy import Thresholds
    from agent.reading import recognised_intent
    from agent.tagger import TagPrediction

    rules = Thresholds(tag_min_confidence=0.4, intent_min_confidence=0.8)

    def tag(confidence: float, neighbour: float | None) -> TagPrediction:
        return TagPrediction("EMI", confidence, {"EMI": confidence}, neighbour)

    # With floors learned from the tickets (loose 0.8, strict 0.9): a sure tag needs the loose
    # one, a merely trusted tag the strict one, and an untrusted tag is never enough.
    floors = (0.8, 0.9)
    assert recognised_intent(tag(0.85, 0.82), floors, rules)
    assert not recognised_intent(tag(0.99, 0.75), floors, rules)
    assert recognised_intent(tag(0.5, 0.92), floors, rules)
    assert not recognised_intent(tag(0.5, 0.85), floors, rules)
    assert not recognised_intent(tag(0.3, 0.99), floors, rules)
    # Without floors, or a question without a vector: the confidence alone, at its own line.
    assert not recognised_intent(tag(0.5, 0.95), None, rules)
    assert recognised_intent(tag(0.85, None), floors, rules)
    assert not recognised_intent(tag(0.75, None), floors, rules)


def test_prose_keeps_the_words_of_an_english_issue_report() -> None:
    report = (
        "Crash when saving a file\n"
        "<!-- Please search existing issues before filing. -->\n"
        "### Describe the bug\n"
        "Saving fails since 2.4, see https://example.com/issues/12?x=1 and "
        "![shot](https://example.com/a.png).\n"
        "```python\nimport app\napp.save('x')\n```\n"
        "```\nTraceback (most recent call last):\nKeyError: 'items'\n```\n"
        "It worked before.\n"
        "~~~\nunclosed log line 1\nline 2")
    assert prose(report) == (
        "Crash when saving a file\n \n### Describe the bug\n"
        "Saving fails since 2.4, see [link] and  .\n\n[code]\n\n\n[code]\n\n"
        "It worked before.\n\n[code]\n")
    # A message with none of these is read as it is.
    assert prose("How do I invite people? `--flag` is unclear.") == (
        "How do I invite people? `--flag` is unclear.")


def test_prose_keeps_the_words_of_a_japanese_issue_report() -> None:
    report = (
        "保存するとクラッシュします\n"
        "<!-- 既存の issue を検索してから報告してください -->\n"
        "### 再現手順\n"
        "2.4 から保存に失敗します。詳細は https://example.jp/issues/12を参照。\n"
        "```\nTraceback (most recent call last):\nKeyError: 'items'\n```\n"
        "以前は動いていました。")
    assert prose(report) == (
        "保存するとクラッシュします\n \n### 再現手順\n"
        "2.4 から保存に失敗します。詳細は [link]を参照。\n\n[code]\n\n"
        "以前は動いていました。")
    assert prose("同期が動きません。") == "同期が動きません。"


@pytest.mark.parametrize(("message", "kept"), [
    ("```npm install``` fails on Node 22\nsince this morning", "fails on Node 22"),
    ("```npm install```が Node 22 で失敗します\n今朝からです", "Node 22 で失敗します"),
    ("Export fails <!-- a tag I never closed\nthe CSV is empty", "the CSV is empty"),
    ("出力に失敗します <!-- 閉じ忘れ\nCSV が空です", "CSV が空です"),
])
def test_inline_code_and_an_unclosed_comment_keep_the_words_after_them(message: str,
                                                                     kept: str) -> None:
    assert kept in prose(message) and CODE_MARK not in prose(message)


def test_a_long_log_no_longer_drowns_the_words_of_a_report() -> None:
    # Kept whole, the log's n-grams took most of the row's weight (rows have unit length).
    log = "```\n" + "\n".join(f"  File \"mod{i}.py\", line {i}, in f{i}" for i in range(300))
    features = TextFeatures().fit(["please add an option", f"please add an option\n{log}\n```"])
    short, long = features.transform(["please add an option",
                                      f"please add an option\n{log}\n```"]).toarray()
    assert np.dot(short, long) > 0.8


# An intent is answered only for a message that shares a search term with its tickets
# (Tagger.learn_words, words_support; agent.pipeline, intent answers).
INTENT_ROWS = {
    "en": [("which whey protein should I take for muscle gain", "recommend"),
           ("suggest a mass gainer for a beginner", "recommend"),
           ("where is my order, it was due yesterday", "order_status"),
           ("track my parcel please", "order_status"),
           ("Thanks", "thanks"), ("Thank you", "thanks")],
    "ja": [("筋トレ向けのプロテインを教えてください", "recommend"),
           ("初心者におすすめのサプリは？", "recommend"),
           ("注文した商品がまだ届きません", "order_status"),
           ("荷物の配送状況を確認したい", "order_status"),
           ("ありがとう", "thanks"), ("どうも", "thanks")],
}
INTENT_TAXONOMY = Taxonomy((TagSpec("recommend"), TagSpec("order_status"), TagSpec("thanks")))


def _learnt(language: str) -> tuple[Tagger, Analyzer]:
    rows = INTENT_ROWS[language]
    texts = [t for t, _ in rows]
    tagger = Tagger.train(INTENT_TAXONOMY, texts, _zeros(len(texts)), [t for _, t in rows])
    analyzer = Analyzer()
    tagger.learn_words([analyzer.terms(t) for t in texts], [tag for _, tag in rows])
    return tagger, analyzer


@pytest.mark.parametrize(("language", "message", "tag"), [
    ("en", "is this protein good for gain?", "recommend"),
    ("en", "my order has not arrived", "order_status"),
    ("ja", "プロテインはどれがいいですか", "recommend"),
    ("ja", "注文はいつ届きますか", "order_status"),
])
def test_a_message_that_shares_a_word_with_its_intents_tickets_is_supported(
        language: str, message: str, tag: str) -> None:
    tagger, analyzer = _learnt(language)
    assert tagger.words_support(tag, analyzer.terms(message))


@pytest.mark.parametrize(("language", "message"), [
    ("en", "hlo"), ("en", "Fuckoff"), ("en", "is the Tamron BP monitor available"),
    ("ja", "ゴルフクラブの在庫"), ("ja", "血圧計は置いてありますか"),
])
def test_a_message_with_no_word_of_the_intents_tickets_is_not(language: str,
                                                              message: str) -> None:
    tagger, analyzer = _learnt(language)
    assert analyzer.terms(message)
    assert not tagger.words_support("recommend", analyzer.terms(message))
    assert not tagger.words_support("order_status", analyzer.terms(message))


@pytest.mark.parametrize(("language", "message"), [("en", "Thank you😊"), ("en", "hi"),
                                                   ("ja", "こんにちは")])
def test_a_message_of_stop_words_only_is_supported_where_such_tickets_carry_the_tag(
        language: str, message: str) -> None:
    tagger, analyzer = _learnt(language)
    assert analyzer.terms(message) == []
    assert tagger.words_support("thanks", [])  # "Thanks" / "ありがとう"-like rows have no term
    assert not tagger.words_support("recommend", [])


def test_without_learnt_words_every_message_is_supported() -> None:
    tagger = Tagger.train(INTENT_TAXONOMY, ["a", "b", "c"], _zeros(3),
                          ["recommend", "order_status", "thanks"])
    assert tagger.words_support("recommend", ["anything"])
    assert tagger.words_support("recommend", [])
