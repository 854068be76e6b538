"""Names for clusters: their most distinctive terms by class-based TF-IDF.

Each cluster's texts are one "class document"; a term weighs its frequency in the class times
log(1 + average class length / its frequency over all classes) (BERTopic's c-TF-IDF). Terms
come from the analyser lexical search uses (stemmed English, Sudachi-normalised Japanese), so
a topic is named in the words the index knows. English stems are shown as the word they were
most often cut from ("refund", not "refund"'s stem "refund" or "activ" for "activate").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from retrieval.textproc import Analyzer, detect_language, normalize

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def class_terms(texts: Sequence[str], labels: Sequence[int], analyzer: Analyzer,
                top: int = 6) -> dict[int, list[str]]:
    """Return each label's most distinctive terms (display forms), best first."""
    per_class: dict[int, Counter[str]] = {}
    surfaces: dict[str, Counter[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        terms = analyzer.terms(text)
        per_class.setdefault(label, Counter()).update(terms)
        if detect_language(text) == "en":
            for word in _WORD.findall(normalize(text)):
                stems = analyzer.terms(word)
                if len(stems) == 1:
                    surfaces.setdefault(stems[0], Counter())[word] += 1
    if not per_class:
        return {}
    overall: Counter[str] = Counter()
    for counts in per_class.values():
        overall.update(counts)
    average = sum(overall.values()) / len(per_class)
    named: dict[int, list[str]] = {}
    for label, counts in per_class.items():
        scored = sorted(((count * math.log(1 + average / overall[term]), term)
                         for term, count in counts.items()), key=lambda p: (-p[0], p[1]))
        shown: list[str] = []
        for _, term in scored:
            word = surfaces[term].most_common(1)[0][0] if term in surfaces else term
            if word not in shown:
                shown.append(word)
            if len(shown) == top:
                break
        named[label] = shown
    return named


def label_of(terms: Sequence[str], count: int = 4) -> str:
    """Return a cluster's automatic name: its first few terms."""
    return " · ".join(terms[:count]) or "(no words)"
