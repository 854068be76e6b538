"""Build a BERT-style encoder as an ONNX graph and quantise it to int8 without losing its vectors.

Shared by the MiniLM (retrieval.model_prep) and multilingual-e5 (retrieval.e5_prep) builds: the
graph from numpy weights, SmoothQuant factors and fp32 side paths calibrated on built-in
support-ticket texts, and onnxruntime's dynamic per-channel int8 quantisation.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.artifacts import ModelPrepError

OPSET = 17


MS_DOMAIN = "com.microsoft"


#: Quantisation recipe (see README section in the module docstring of _build).
SMOOTH_ALPHA = 0.8


FFN_FP32_CHANNELS = 8


FP32_NODES_ALWAYS = ("attn_out_0",)


@dataclass(frozen=True)
class QuantRecipe:
    """Exact fp32 re-parametrisations applied before int8 quantisation.

    ``smoothing[(layer, kind)]`` holds per-input-channel factors ``s``: the activation
    is divided by ``s`` and the weight rows multiplied by it (SmoothQuant), which
    moves BERT's outlier channels out of the per-tensor activation range.
    ``ffn_fp32_channels[layer]`` lists FFN hidden units computed in a separate fp32
    path (LLM.int8()-style decomposition of the few massive GELU outputs).
    """

    smoothing: dict[tuple[int, str], npt.NDArray[np.float32]]
    ffn_fp32_channels: list[npt.NDArray[np.int64]]


#: Adds the nodes that turn ``input_ids`` into word vectors [batch, sequence, hidden] to a
#: graph under construction, given its ``init(name, array)`` and ``node(op, inputs, ...)``
#: helpers, and returns the name of their output.
WordEmbeddings = Callable[[Callable[[str, npt.NDArray[Any]], str], Callable[..., str]], str]


def build_onnx_model(
    weights: dict[str, npt.NDArray[Any]],
    config: dict[str, Any],
    *,
    recipe: QuantRecipe | None = None,
    expose_activations: bool = False,
    word_embeddings: WordEmbeddings | None = None,
    graph_name: str = "all_minilm_l6_v2",
    doc_string: str = "sentence-transformers/all-MiniLM-L6-v2: BERT, mean pooling, "
                      "L2 normalisation",
    producer_version: str,
) -> Any:
    """Build the BERT encoder + mean pooling + L2 normalisation as an ONNX ModelProto.

    The word vectors are a Gather from ``weights["embeddings.word_embeddings.weight"]``
    unless ``word_embeddings`` builds them another way (multilingual-e5's 250k-row table
    is kept in its 4-bit blocks' exact int8 values; see retrieval.e5_prep).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    if (
        config.get("hidden_act") != "gelu"
        or config.get("position_embedding_type", "absolute") != "absolute"
    ):
        raise ModelPrepError("unsupported BERT config (expected gelu, absolute positions)")
    smoothing = recipe.smoothing if recipe else {}

    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    exposed: list[str] = []
    counter = [0]

    def init(name: str, arr: npt.NDArray[Any]) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def w(key: str) -> npt.NDArray[np.float32]:
        return np.array(weights[key], dtype=np.float32)  # always a fresh copy

    def node(op: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        counter[0] += 1
        out = name or f"{op.lower()}_{counter[0]}"
        domain = MS_DOMAIN if op in ("Attention", "BiasGelu") else ""
        nodes.append(
            helper.make_node(
                op, inputs, [out], name=name or f"{op}_{counter[0]}", domain=domain, **attrs
            )
        )
        return out

    def add_layer_norm(a: str, b: str, prefix: str, name: str) -> str:
        # Plain Add + LayerNormalization; onnxruntime may fuse it (see embeddings.py).
        g = init(f"{prefix}.weight", w(f"{prefix}.weight"))
        beta = init(f"{prefix}.bias", w(f"{prefix}.bias"))
        return node(
            "LayerNormalization", [node("Add", [a, b]), g, beta], name=name, axis=-1, epsilon=eps
        )

    def smoothed(
        x: str, layer: int, kind: str, wt: npt.NDArray[np.float32]
    ) -> tuple[str, npt.NDArray[np.float32]]:
        s = smoothing.get((layer, kind))
        if s is None:
            return x, wt
        inv = init(f"smooth.{layer}.{kind}.inv_s", (1.0 / s).astype(np.float32))
        return node("Mul", [x, inv]), (wt * s[:, None]).astype(np.float32)

    init("c_zero_1d", np.array([0], dtype=np.int64))
    init("c_axis1", np.array([1], dtype=np.int64))
    init("c_axis_last", np.array([-1], dtype=np.int64))
    init("c_min_count", np.array(1e-9, dtype=np.float32))
    init("c_min_norm", np.array(1e-12, dtype=np.float32))

    # Embeddings: word + position + token_type(0), then LayerNorm.
    word_emb = (init("embeddings.word_embeddings.weight", w("embeddings.word_embeddings.weight"))
                if word_embeddings is None else "")
    pos_emb = init(
        "embeddings.position_embeddings.weight", w("embeddings.position_embeddings.weight")
    )
    type0 = init(
        "embeddings.token_type_embeddings.row0", w("embeddings.token_type_embeddings.weight")[0]
    )
    words = (node("Gather", [word_emb, "input_ids"], axis=0) if word_embeddings is None
             else word_embeddings(init, node))
    seq_len = node("Gather", [node("Shape", ["input_ids"]), "c_axis1"], axis=0)  # [1]
    positions = node("Slice", [pos_emb, "c_zero_1d", seq_len, "c_zero_1d"])  # [S, H]
    x = add_layer_norm(node("Add", [words, positions]), type0, "embeddings.LayerNorm", "x_0")

    mask_i32 = node("Cast", ["attention_mask"], to=TensorProto.INT32)  # raw 0/1 mask [B, S]
    mask_f = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)

    for i in range(layers):
        p = f"encoder.layer.{i}"
        exposed += [x]
        # Self-attention: packed QKV in onnxruntime's fused Attention op (QAttention in int8).
        wqkv = np.concatenate(
            [w(f"{p}.attention.self.{n}.weight").T for n in ("query", "key", "value")], axis=1
        )
        bqkv = np.concatenate(
            [w(f"{p}.attention.self.{n}.bias") for n in ("query", "key", "value")]
        )
        wo = w(f"{p}.attention.output.dense.weight").T.copy()
        s_ctx = smoothing.get((i, "ctx"))
        if s_ctx is not None:  # exact: ctx is linear in V, so fold 1/s into V's columns
            wqkv[:, 2 * hidden :] /= s_ctx
            bqkv[2 * hidden :] /= s_ctx
            wo *= s_ctx[:, None]
        attn_in, wqkv = smoothed(x, i, "qkv", wqkv)
        ctx = node(
            "Attention",
            [attn_in, init(f"{p}.qkv.weight", wqkv), init(f"{p}.qkv.bias", bqkv), mask_i32],
            name=f"ctx_{i}",
            num_heads=heads,
        )
        exposed += [ctx]
        attn = node(
            "MatMul", [ctx, init(f"{p}.attention.output.dense.weight_t", wo)], name=f"attn_out_{i}"
        )
        attn = node(
            "Add",
            [attn, init(f"{p}.attention.output.dense.bias", w(f"{p}.attention.output.dense.bias"))],
        )
        x = add_layer_norm(attn, x, f"{p}.attention.output.LayerNorm", f"xa_{i}")
        exposed += [x]

        # Feed-forward with exact GELU; optional fp32 side path for outlier hidden units.
        w1 = w(f"{p}.intermediate.dense.weight").T.copy()
        b1 = w(f"{p}.intermediate.dense.bias")
        w2 = w(f"{p}.output.dense.weight").T.copy()
        ffn_in, w1 = smoothed(x, i, "inter", w1)
        side: str | None = None
        if recipe is not None and len(recipe.ffn_fp32_channels[i]):
            outl = recipe.ffn_fp32_channels[i]
            keep = np.setdiff1d(np.arange(w1.shape[1]), outl)
            h_o = node(
                "MatMul",
                [ffn_in, init(f"{p}.fp32_side.w1", w1[:, outl].copy())],
                name=f"fp32_side_in_{i}",
            )
            g_o = node("BiasGelu", [h_o, init(f"{p}.fp32_side.b1", b1[outl].copy())])
            side = node(
                "MatMul",
                [g_o, init(f"{p}.fp32_side.w2", w2[outl].copy())],
                name=f"fp32_side_out_{i}",
            )
            w1, b1, w2 = w1[:, keep].copy(), b1[keep].copy(), w2[keep].copy()
        h = node(
            "MatMul", [ffn_in, init(f"{p}.intermediate.dense.weight_t", w1)], name=f"inter_{i}"
        )
        g = node("BiasGelu", [h, init(f"{p}.intermediate.dense.bias", b1)], name=f"gelu_{i}")
        exposed += [g]
        f = node("MatMul", [g, init(f"{p}.output.dense.weight_t", w2)], name=f"ffn_out_{i}")
        if side is not None:
            f = node("Add", [f, side])
        f = node("Add", [f, init(f"{p}.output.dense.bias", w(f"{p}.output.dense.bias"))])
        x = add_layer_norm(f, x, f"{p}.output.LayerNorm", f"x_{i + 1}")

    # Mean pooling over the attention mask (sentence-transformers Pooling, mean_tokens).
    pool_w = node("Unsqueeze", [mask_f, "c_axis_last"])  # [B, S, 1]
    summed = node("ReduceSum", [node("Mul", [x, pool_w]), "c_axis1"], keepdims=0)  # [B, H]
    counts = node("Max", [node("ReduceSum", [pool_w, "c_axis1"], keepdims=0), "c_min_count"])
    mean = node("Div", [summed, counts])
    # Normalize module: x / max(||x||_2, 1e-12).
    norm = node("Max", [node("ReduceL2", [mean], axes=[1], keepdims=1), "c_min_norm"])
    nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"], name="l2_normalize"))

    outputs = [
        helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])
    ]
    if expose_activations:
        outputs += [
            helper.make_tensor_value_info(
                n,
                TensorProto.FLOAT,
                [
                    "batch",
                    "sequence",
                    int(config["intermediate_size"]) if n.startswith("gelu") else hidden,
                ],
            )
            for n in exposed
        ]
    graph = helper.make_graph(
        nodes,
        graph_name,
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info(
                "attention_mask", TensorProto.INT64, ["batch", "sequence"]
            ),
        ],
        outputs=outputs,
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
        producer_name="kotae.retrieval.model_prep",
        producer_version=producer_version,
        doc_string=doc_string,
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


_CAL_SUBJECTS = (
    "The export",
    "Our billing page",
    "The mobile app",
    "Single sign-on",
    "The REST API",
    "My dashboard",
    "The webhook",
    "Two-factor login",
    "The last invoice",
    "Search",
    "Calendar sync",
    "Guest access",
    "The audit log",
    "Email notifications",
    "The CSV import",
)


_CAL_VERBS = (
    "fails with a timeout",
    "shows the wrong currency",
    "crashes on startup",
    "is very slow",
    "returns error 500",
    "stopped working",
    "does not send anything",
    "logs me out",
    "duplicates every row",
    "ignores our time zone",
)


_CAL_TAILS = (
    "after the update",
    "for users in Germany",
    "since we added seats",
    "only in Safari",
    "when the file is over 10 MB",
    "on Android",
    "for the admin account",
    "at peak hours",
    "even after clearing the cache",
    "when SSO is on",
)


_CAL_ASKS = (
    "Can you help?",
    "Is this known?",
    "Please escalate.",
    "Any workaround?",
    "We need a fix by Friday.",
    "Thanks!",
    "I want a refund.",
    "How do I fix this?",
)


_CAL_EXTRA = (
    "hi",
    "thanks",
    "",
    "?",
    "cancel my plan",
    "urgent",
    "password reset link expired",
    "請求書の宛名を変更できますか",
    "ログイン画面が表示されません",
    "ありがとうございました",
    "Error: ECONNREFUSED 127.0.0.1:5432 while running the nightly sync job",
)


def calibration_texts(n: int = 96, seed: int = 20240611) -> list[str]:
    """Return a deterministic mix of support-ticket-like calibration texts."""
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not crypto
    texts = list(_CAL_EXTRA)
    while len(texts) < n:
        parts: list[str] = []
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            parts.append(
                f"{rng.choice(_CAL_SUBJECTS)} {rng.choice(_CAL_VERBS)} {rng.choice(_CAL_TAILS)}."
            )
            if rng.random() < 0.5:
                parts.append(rng.choice(_CAL_ASKS))
        text = " ".join(parts)
        texts.append(text.lower() if rng.random() < 0.2 else text)
    return texts


def activation_maxima(model: Any, ids: list[list[int]]) -> dict[str, npt.NDArray[np.float32]]:
    """Run the exposed fp32 graph on calibration token ids; return per-channel |max|."""
    import onnxruntime as ort

    ids = list(ids)
    # Mixed lengths per batch, so padded positions are calibrated too.
    random.Random(0).shuffle(ids)  # noqa: S311 - deterministic, not crypto
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()[1:]]
    maxima: dict[str, npt.NDArray[np.float32]] = {}
    for start in range(0, len(ids), 8):
        batch = ids[start : start + 8]
        width = max(len(t) for t in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, t in enumerate(batch):
            input_ids[row, : len(t)] = t
            mask[row, : len(t)] = 1
        outs = session.run(names, {"input_ids": input_ids, "attention_mask": mask})
        for name, out in zip(names, outs, strict=True):
            m = np.abs(out.reshape(-1, out.shape[-1])).max(axis=0).astype(np.float32)
            maxima[name] = np.maximum(maxima[name], m) if name in maxima else m
    return maxima


def make_recipe(
    weights: dict[str, npt.NDArray[Any]],
    maxima: dict[str, npt.NDArray[np.float32]],
    layers: int,
    alpha: float = SMOOTH_ALPHA,
    ffn_channels: int = FFN_FP32_CHANNELS,
) -> QuantRecipe:
    """Derive SmoothQuant factors and fp32 FFN channels from calibration maxima."""
    smoothing: dict[tuple[int, str], npt.NDArray[np.float32]] = {}
    ffn: list[npt.NDArray[np.int64]] = []
    for i in range(layers):
        p = f"encoder.layer.{i}"
        # Per-input-channel |max| of each weight (torch Linear layout is [out, in]).
        w_rows = {
            "qkv": np.max(
                [
                    np.abs(weights[f"{p}.attention.self.{n}.weight"]).max(axis=0)
                    for n in ("query", "key", "value")
                ],
                axis=0,
            ),
            "ctx": np.abs(weights[f"{p}.attention.output.dense.weight"]).max(axis=0),
            "inter": np.abs(weights[f"{p}.intermediate.dense.weight"]).max(axis=0),
        }
        acts = {"qkv": f"x_{i}", "ctx": f"ctx_{i}", "inter": f"xa_{i}"}
        for kind, wmax in w_rows.items():
            a = np.maximum(maxima[acts[kind]], 1e-5).astype(np.float64)
            wm = np.maximum(wmax, 1e-5).astype(np.float64)
            s = a**alpha / wm ** (1.0 - alpha)
            s /= np.exp(np.mean(np.log(s)))  # geometric mean 1: only the shape matters
            smoothing[(i, kind)] = s.astype(np.float32)
        g = maxima[f"gelu_{i}"]
        ffn.append(np.sort(np.argsort(g)[::-1][:ffn_channels]).astype(np.int64))
    return QuantRecipe(smoothing=smoothing, ffn_fp32_channels=ffn)


class _DropPreprocessHint(logging.Filter):
    """Drop onnxruntime's 'consider pre-processing' hint: our graph is already clean."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def quantize_int8(src: Path, dst: Path, exclude: list[str],
                  op_types: Sequence[str] = ("MatMul", "Attention", "Gather")) -> None:
    """Dynamically quantise the weights of `op_types` nodes to per-channel int8."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    # quantize_dynamic calls logging.warning(); keep it from configuring the root logger.
    guard = logging.NullHandler() if not root.handlers else None
    hint_filter = _DropPreprocessHint()
    if guard is not None:
        root.addHandler(guard)
    root.addFilter(hint_filter)
    try:
        quantize_dynamic(
            src,
            dst,
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(op_types),
            nodes_to_exclude=exclude,
            # Shape inference cannot type the com.microsoft ops' outputs; they are float.
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.removeFilter(hint_filter)
        if guard is not None:
            root.removeHandler(guard)
