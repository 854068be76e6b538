"""Ranking metrics over retrieved ids and the set of relevant ids."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def average_precision(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """Return average precision of a ranking (0 when nothing relevant is retrieved)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def recall_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return the share of relevant ids found in the top k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def precision_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return the share of the top k that is relevant (k counts even if fewer were returned)."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """Return 1 / rank of the first relevant id, or 0."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return binary-relevance nDCG@k."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1)
              for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal
