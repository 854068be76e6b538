"""Regular expressions that run in time linear in the text: every pattern applied to untrusted
text (customers' messages, uploaded articles, models' replies) is compiled here.

Python's `re` backtracks: `<!--.*?-->` over `"<!--" * 5000` or an e-mail pattern over
`"a." * 4000 + "@"` takes seconds, and one such request stalls every route of the process.
RE2 (Google's engine, `google-re2` on PyPI) guarantees time linear in the input for any
pattern, at the price of a few features: no look-around, no back-references, no possessive or
atomic groups. What those features did is written in Python next to the pattern instead (e.g. a
boundary check on the match's neighbours).

Two differences from `re` matter when writing patterns:
- `\\w`, `\\d`, `\\s` and `\\b` are ASCII-only. Texts are NFKC-normalised before matching where
  that matters (full-width digits become ASCII); write Japanese classes explicitly with
  `\\p{Han}`, `\\p{Hiragana}`, `\\p{Katakana}`. An ASCII `\\b` also sees a boundary between a
  Latin word and the Japanese text around it (`refundしたい`), which is what a word-pattern
  over mixed Japanese and English wants.
- `\\Z` is written `\\z`.

RE2's Python binding costs about 6 µs a match, against well under one for `re`. The word
splitters of the lexical analysers (retrieval.textproc), which find hundreds of thousands of
matches in a large article, keep `re`: each of their patterns is one character class
repeated, which `re` too matches in linear time (nothing to backtrack into), and
tests/unit/test_linear_time.py holds them to it with the same pathological inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

import re2


class PatternError(ValueError):
    """A pattern the linear-time engine cannot compile; the message names the pattern."""


class LinearMatch(Protocol):
    """What a match offers (the subset of `re.Match` that RE2's matches share)."""

    def group(self, *groups: int | str) -> Any:
        """Return one group's text (the whole match by default), or a tuple of several."""
        ...

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        """Return every group's text."""
        ...

    def start(self, group: int = 0) -> int:
        """Return where a group starts."""
        ...

    def end(self, group: int = 0) -> int:
        """Return where a group ends."""
        ...

    def span(self, group: int = 0) -> tuple[int, int]:
        """Return a group's (start, end)."""
        ...


class LinearPattern:
    """A compiled pattern; the methods mirror `re.Pattern`'s."""

    __slots__ = ("_regexp", "pattern")

    def __init__(self, pattern: str, regexp: Any) -> None:
        self.pattern = pattern
        self._regexp = regexp

    def search(self, text: str) -> LinearMatch | None:
        """Return the first match anywhere in text."""
        return cast("LinearMatch | None", self._regexp.search(text))

    def match(self, text: str) -> LinearMatch | None:
        """Return a match at the start of text."""
        return cast("LinearMatch | None", self._regexp.match(text))

    def fullmatch(self, text: str) -> LinearMatch | None:
        """Return a match of the whole text."""
        return cast("LinearMatch | None", self._regexp.fullmatch(text))

    def finditer(self, text: str) -> Iterator[LinearMatch]:
        """Yield every non-overlapping match, left to right."""
        return cast("Iterator[LinearMatch]", self._regexp.finditer(text))

    def findall(self, text: str) -> list[Any]:
        """Return the matches' texts (or their groups), as `re.findall` does."""
        return cast("list[Any]", self._regexp.findall(text))

    def sub(self, repl: str | Callable[[LinearMatch], str], text: str, count: int = 0) -> str:
        """Replace matches with repl (a template such as `\\1`, or a function of the match)."""
        return cast(str, self._regexp.sub(repl, text, count))

    def split(self, text: str) -> list[str]:
        """Split text at the matches (groups in the pattern are kept, as `re.split` does)."""
        return cast("list[str]", self._regexp.split(text))

    def __repr__(self) -> str:
        return f"linear_re.compile({self.pattern!r})"


def compile(  # mirrors re.compile, which every reader knows
    pattern: str, *, ignore_case: bool = False, multiline: bool = False, dotall: bool = False,
) -> LinearPattern:
    """Compile a pattern for linear-time matching; raise PatternError naming it if RE2 cannot."""
    flags = "".join(f for f, on in (("i", ignore_case), ("m", multiline), ("s", dotall)) if on)
    source = f"(?{flags}){pattern}" if flags else pattern
    options = re2.Options()
    # Large alternations with case folding (the policy's phrase lists) outgrow the default
    # 8 MiB program budget; RE2 stays linear with more, it only needs the memory.
    options.max_mem = 64 << 20
    options.log_errors = False
    try:
        return LinearPattern(pattern, re2.compile(source, options))
    except re2.error as exc:
        raise PatternError(f"pattern {pattern!r} cannot be used: {_explain(pattern, exc)}"
                           ) from None


def problem(pattern: str) -> str | None:
    """Return why a pattern cannot be compiled for linear-time matching, or None if it can."""
    try:
        compile(pattern)
    except PatternError as exc:
        return str(exc)
    return None


def escape(text: str) -> str:
    """Escape text so that it matches itself."""
    return cast(str, re2.escape(text))


def _explain(pattern: str, exc: Exception) -> str:
    detail = exc.args[0] if exc.args else ""
    message = (detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
               ) or "invalid pattern"
    for feature, advice in (
        (("(?=", "(?!", "(?<=", "(?<!"), "look-around assertions are not supported (they can "
         "take time beyond linear); match the neighbouring characters instead"),
        (("(?>", "*+", "++", "?+"), "atomic groups and possessive quantifiers are not supported"),
        (("\\Z",), "write \\z for the end of the text"),
    ):
        if any(f in pattern for f in feature):
            return f"{message}: {advice}"
    if any(f"\\{d}" in pattern for d in "123456789"):
        return f"{message}: back-references are not supported"
    return message
