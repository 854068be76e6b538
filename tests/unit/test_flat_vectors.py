"""The exact in-memory vector copy agrees with a brute-force ranking and honours languages."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.embeddings import l2_normalize
from retrieval.vectors import FlatVectors


def _index(n: int = 200, seed: int = 5) -> tuple[FlatVectors, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    matrix = l2_normalize(rng.standard_normal((n, 16)))
    languages = ["ja" if i % 4 == 0 else "en" for i in range(n)]
    return FlatVectors([f"c{i}" for i in range(n)], matrix, languages), matrix, languages


def test_top_k_equals_brute_force_best_first() -> None:
    flat, matrix, _ = _index()
    query = l2_normalize(np.arange(16, dtype=np.float32))[0]
    hits = flat.query(query, 10)
    expected = np.argsort(-(matrix @ query), kind="stable")[:10]
    assert [h.id for h in hits] == [f"c{i}" for i in expected]
    scores = [h.similarity for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(matrix[expected[0]] @ query), abs=1e-6)


def test_language_restriction_keeps_only_that_language() -> None:
    flat, matrix, languages = _index()
    query = matrix[3]
    hits = flat.query(query, 20, ["ja"])
    assert len(hits) == 20
    assert all(languages[int(h.id[1:])] == "ja" for h in hits)
    both = flat.query(query, 400, ["ja", "en"])
    assert len(both) == 200  # k is capped at what exists
    assert both[0].id == "c3"  # a vector is its own nearest neighbour


def test_unknown_language_and_empty_index_return_nothing() -> None:
    flat, matrix, _ = _index()
    assert flat.query(matrix[0], 5, ["fr"]) == []
    empty = FlatVectors([], np.zeros((0, 16), dtype=np.float32), [])
    assert empty.query(matrix[0], 5) == []


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        FlatVectors(["a", "b"], np.zeros((3, 4), dtype=np.float32), ["en", "en"])


def test_ties_break_by_position() -> None:
    matrix = np.tile(l2_normalize(np.ones(4, dtype=np.float32)), (5, 1))
    flat = FlatVectors([f"c{i}" for i in range(5)], matrix, ["en"] * 5)
    assert [h.id for h in flat.query(matrix[0], 3)] == ["c0", "c1", "c2"]


@pytest.mark.parametrize("languages", [["en"], ["ja"], ["en", "ja"], ["ja", "en", "ja"], None])
def test_per_language_scans_rank_like_one_masked_scan(languages: list[str] | None) -> None:
    flat, matrix, langs = _index(n=300, seed=9)
    allowed = np.array([languages is None or lang in languages for lang in langs])
    for seed in range(5):
        query = l2_normalize(np.random.default_rng(seed).standard_normal(16))[0]
        scores = np.where(allowed, matrix @ query, -np.inf)
        expected = np.argsort(-scores, kind="stable")[:25]
        got = flat.query(query, 25, languages)
        assert [h.id for h in got] == [f"c{i}" for i in expected]
        assert [h.similarity for h in got] == pytest.approx(scores[expected].tolist(), abs=1e-6)


def test_ties_at_the_cut_keep_the_lowest_positions() -> None:
    """argpartition may keep any of the rows tied at the k-th score; the lowest must win."""
    from retrieval.ranking import top_k

    rng = np.random.default_rng(2)
    for _ in range(50):
        scores = rng.integers(0, 4, size=200).astype(np.float32)  # many ties
        k = int(rng.integers(1, 60))
        expected = sorted(range(200), key=lambda i: (-scores[i], i))[:k]
        assert top_k(scores, k).tolist() == expected
    matrix = np.tile(l2_normalize(np.ones(4, dtype=np.float32)), (300, 1))
    flat = FlatVectors([f"c{i}" for i in range(300)], matrix, ["en", "ja"] * 150)
    assert [h.id for h in flat.query(matrix[0], 7)] == [f"c{i}" for i in range(7)]
    assert [h.id for h in flat.query(matrix[0], 4, ["ja"])] == ["c1", "c3", "c5", "c7"]
