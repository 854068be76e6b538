"""Facts an answer must contain: strict enough to fail a near miss, tolerant of how text is written.

A case's `facts` is a list of strings; every one must appear in the answer, and `"a|b"` accepts
either alternative. Before comparing, both sides are normalised the same way:

- Unicode NFKC, so full-width and half-width digits, letters and symbols are one
  (`３０分` = `30分`, `ＭＢ` = `MB`, `＞` = `>`), then case-folded;
- Markdown emphasis markers (`**`) are dropped, so a bolded number still matches;
- the wave dash and the dash family are unified (`1〜2` = `1~2`, `–` = `-`);
- whitespace only counts between two characters of a spaced script (letters and digits of
  Latin and the like); anywhere else it is dropped, because Japanese is written without it
  (`5 日` = `5日`, `Admin > Accounts` = `Admin>Accounts`). Between two Latin words it collapses
  to one space: `10 MB` and `10MB` differ, so write both forms as alternatives.

A match must not cut a word or a number: `5` is not found in `15` or `50`, `card` is not found
in `cards`. Japanese has no word boundaries to check, so `20枚` is found in `最大20枚`.
Matching is a plain substring scan (no regular expressions), linear in the answer's length for
each occurrence of the fact.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_SAME = str.maketrans({"〜": "~", "～": "~", "‐": "-", "‑": "-", "‒": "-", "–": "-",
                       "—": "-", "―": "-", "−": "-"})


def _spaced(char: str) -> bool:
    """Tell whether a character belongs to a script that separates words with spaces."""
    if not char.isalnum():
        return False
    name = unicodedata.name(char, "")
    return not name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC",
                                "HALFWIDTH", "FULLWIDTH"))


def normalise(text: str) -> str:
    """Return text as facts are compared: NFKC, case-folded, no emphasis, Japanese spacing."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("**", "").translate(_SAME)
    out: list[str] = []
    pending_space = False
    for char in folded:
        if char.isspace():
            pending_space = bool(out)
            continue
        if pending_space and _spaced(out[-1]) and _spaced(char):
            out.append(" ")
        pending_space = False
        out.append(char)
    return "".join(out)


def alternatives(fact: str) -> list[str]:
    """Return a fact's accepted forms, normalised (`"a|b"` gives two)."""
    return [normalise(part) for part in fact.split("|")]


def fact_problem(fact: object) -> str | None:
    """Return why a fact cannot be used, or None when it is fine."""
    if not isinstance(fact, str):
        return f"each fact must be a string, got {type(fact).__name__}"
    if not fact.strip():
        return "a fact is empty"
    for form in alternatives(fact):
        if not form:
            return (f"fact {fact!r} has an empty alternative (write \"a|b\" with text on both "
                    "sides of each |)")
    return None


def _found(text: str, form: str) -> bool:
    """Tell whether a normalised form occurs in normalised text without cutting a word."""
    start = text.find(form)
    while start != -1:
        end = start + len(form)
        cuts_before = start > 0 and _spaced(form[0]) and _spaced(text[start - 1])
        cuts_after = end < len(text) and _spaced(form[-1]) and _spaced(text[end])
        if not (cuts_before or cuts_after):
            return True
        start = text.find(form, start + 1)
    return False


def contains_fact(text: str, fact: str) -> bool:
    """Tell whether text states a fact (any of its `|` alternatives)."""
    normal = normalise(text)
    return any(_found(normal, form) for form in alternatives(fact))


def missing_facts(text: str, facts: Sequence[str]) -> list[str]:
    """Return the facts that text does not state, in their order."""
    normal = normalise(text)
    return [fact for fact in facts
            if not any(_found(normal, form) for form in alternatives(fact))]
