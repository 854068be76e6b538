"""A small lexicon sentiment score for English and Japanese, from -1 (furious) to 1.

The words and their weights are policy data (the `sentiment` section of the policy file);
this module holds how they are matched and added up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.linear_re import LinearPattern

_WORDS = re.compile(r"[A-Za-z]+")

Compile = Callable[[str], "LinearPattern"]


def _matcher(word: str, compile_pattern: Compile) -> Callable[[str], bool]:
    """Match an English word or phrase as whole words (`stem*`: with any ending); anything
    else (Japanese) anywhere in the text."""
    if not word.isascii():
        return lambda text: word in text
    stem = word.removesuffix("*")
    pattern = compile_pattern(rf"\b{re.escape(stem)}" + ("" if word.endswith("*") else r"\b"))
    return lambda text: pattern.search(text) is not None


class Lexicon:
    """Weighted negative and positive words, and the capitalised words that are not shouting."""

    def __init__(self, negative: Mapping[str, float], positive: Mapping[str, float],
                 not_shouting: Iterable[str], compile_pattern: Compile) -> None:
        self.negative = [(_matcher(w, compile_pattern), weight) for w, weight in negative.items()]
        self.positive = [(_matcher(w, compile_pattern), weight) for w, weight in positive.items()]
        self.not_shouting = frozenset(w.upper() for w in not_shouting)

    def score(self, text: str) -> float:
        """Score a message from -1 (very negative) to 1 (very positive)."""
        negative = sum(weight for matches, weight in self.negative if matches(text))
        positive = sum(weight for matches, weight in self.positive if matches(text))
        words = _WORDS.findall(text)
        shouted = [w for w in words if len(w) >= 3 and w.isupper() and w not in self.not_shouting]
        if len(words) >= 4 and len(shouted) / len(words) >= 0.3:
            negative += 0.35  # SHOUTING
        exclamations = text.count("!") + text.count("！")
        if exclamations >= 3:
            negative += 0.15 if negative > 0 else 0.05
        if "??" in text or "？？" in text:
            negative += 0.1
        return max(-1.0, min(1.0, positive - negative))
