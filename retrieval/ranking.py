"""Picking the best k of a score array, the same way in every leg of the search."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the k highest scores, best first, ties by position.

    argpartition alone may keep any of several rows tied at the k-th score; every tied
    row is kept until the stable sort, so the lower positions win the tie.
    """
    if k <= 0 or len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(len(scores))
    order = np.argsort(-scores[candidates], kind="stable")[:k]
    return candidates[order]
