"""Fold text into the forms the guards match, so that spelling tricks do not hide a phrase.

An attacker writes `ｉｇｎｏｒｅ`, `ig\u200bnore`, `іgnоrе` (Cyrillic і and о), `1gn0r3`,
`i g n o r e`, `ｼｽﾃﾑﾌﾟﾛﾝﾌﾟﾄ` or `シ ス テ ム`; each reading below turns them back into the
plain word, and the guards match every reading. Readings are for matching only: nothing
folded is shown or stored. Every step is linear in the text (RE2 or one pass of str methods).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Callable

from retrieval import linear_re

# Zero-width and other format characters (Cf: ZWSP, ZWJ, word joiner, BOM, soft hyphen, bidi
# controls), variation selectors, and the combining marks that stack accents on Latin letters.
# The Japanese voicing marks (U+3099, U+309A) are not among them: が must stay が.
_MARK_RANGES = ((0x034F, 0x034F), (0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                (0x20D0, 0x20FF), (0xFE00, 0xFE0F), (0xFE20, 0xFE2F), (0xE0100, 0xE01EF))
_INVISIBLE = linear_re.compile(
    r"[\p{Cf}" + "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in _MARK_RANGES) + "]")


@functools.cache
def _invisible(replacement: str) -> dict[int, str]:
    """Return the str.translate table that replaces invisible characters (built once: ~0.1 s).

    str.translate is one pass in C; a regular-expression substitution costs ~10 µs a match
    through RE2's binding, and "a\u200b" * 10000 has ten thousand.
    """
    codes = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    codes += [c for a, b in _MARK_RANGES for c in range(a, b + 1)]
    return dict.fromkeys(codes, replacement)


# Cyrillic and Greek letters that look like Latin ones, and a few Latin look-alikes.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ү": "y", "ɡ": "g", "ı": "i", "ℓ": "l", "ꞵ": "b",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    "’": "'", "‘": "'", "ʼ": "'", "`": "'",
})
# Japanese puts no spaces between words, so a space (or a middle dot) between two Japanese
# characters is padding: "シ ス テ ム", "指示を　無視" (NFKC makes the ideographic space a space).
_JA_TEXT = linear_re.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")


class _CharClasses(dict[int, str]):
    """A str.translate table that reads each character as a one-letter class, filled lazily.

    Translating a text gives a string of classes as long as the text, which `re` scans in C:
    a Python loop over the characters, or an RE2 callback per match, costs far more.
    """

    def __init__(self, classify: Callable[[str], str]) -> None:
        super().__init__()
        self._classify = classify

    def __missing__(self, code: int) -> str:
        value = self[code] = self._classify(chr(code))
        return value


def _japanese_class(ch: str) -> str:
    code = ord(ch)
    if ch in " \t・･":
        return "g"  # padding
    japanese = (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
                or 0xF900 <= code <= 0xFAFF or 0x31F0 <= code <= 0x31FF
                or 0x20000 <= code <= 0x2FFFF)
    return "j" if japanese else "o"


def _word_class(ch: str) -> str:
    kind = unicodedata.category(ch)[0]
    return "w" if kind in "LN" else "p" if kind in "PS" else "o"


_JA_CLASSES = _CharClasses(_japanese_class)
_WORD_CLASSES = _CharClasses(_word_class)
# On the class strings (ASCII only): padding between two Japanese characters, and punctuation
# or symbols between two letters or digits. One class repeated with fixed-width look-around:
# linear in re.
_JA_PADDING = re.compile(r"(?<=j)g+(?=j)")
_INNER_PUNCTUATION = re.compile(r"(?<=w)p+(?=w)")


def _replace_spans(text: str, classes: str, pattern: re.Pattern[str], by: str) -> str:
    parts: list[str] = []
    start = 0
    for match in pattern.finditer(classes):
        parts += [text[start:match.start()], by]
        start = match.end()
    if not parts:
        return text
    parts.append(text[start:])
    return "".join(parts)


def _join_japanese(text: str) -> str:
    """Drop spaces and middle dots between two Japanese characters."""
    if not _JA_TEXT.search(text):
        return text
    return _replace_spans(text, text.translate(_JA_CLASSES), _JA_PADDING, "")


# Markdown emphasis around words: "**ignore** _all_ previous".
_EMPHASIS = re.compile(r"[*_~`]+")  # one class repeated: linear in re (retrieval.linear_re)
# Unicode tag characters (U+E0020-E007E) spell ASCII invisibly; they are read, not dropped.
_TAGS = {code: code - 0xE0000 for code in range(0xE0020, 0xE007F)}
# Letters written apart: "i g n o r e" (three or more single letters, one separator each).
_SPACED = linear_re.compile(r"\b[a-z](?:[ ,;:][a-z]){2,}\b")
# Digits and signs standing for letters inside a word: "1gn0r3", "pr0mpt", "$ystem".
_LEET_WORD = linear_re.compile(
    r"[a-z0-9@$]*(?:[a-z][a-z0-9@$]*[0-9@$]|[0-9@$][a-z0-9@$]*[a-z])[a-z0-9@$]*")
_LEET = {"i": str.maketrans("013457@$8", "oieastasb"), "l": str.maketrans("013457@$8", "oleastasb")}


def fold(text: str, invisible: str = "") -> str:
    """Return the plain reading: NFKC, invisible characters and accents gone, look-alikes
    read as Latin, lower case, no spaces between Japanese characters.

    `invisible` replaces zero-width and format characters: "" joins the word they split
    (`ig\u200bnore`), " " separates the words they glue (`export\u200bignore`).
    """
    if text.isascii():
        folded = text.lower()
    else:
        text = text.translate(_TAGS)
        # Invisible characters go first, so that NFKC sees the word they split; NFKD then NFKC
        # exposes accents as combining marks, which go too.
        text = text.translate(_invisible(invisible))
        text = unicodedata.normalize("NFKD", text).translate(_invisible(""))
        folded = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES).lower()
    return _join_japanese(folded)


def squeeze(folded: str, separator: str = "") -> str:
    """Return a folded text without emphasis marks, with punctuation and symbols inside words
    replaced by separator, and with spaced letters joined."""
    text = _EMPHASIS.sub("", folded) if separator == "" else folded
    out = _replace_spans(text, text.translate(_WORD_CLASSES), _INNER_PUNCTUATION, separator)
    return _SPACED.sub(lambda m: "".join(c for c in m.group(0) if c.isalpha()), out)


def unleet(folded: str) -> list[str]:
    """Return the readings of a folded text with digits in words read as letters (1 as i, and
    as l); none when no word mixes digits and letters."""
    words = list(_LEET_WORD.finditer(folded))  # words with both a letter and a digit
    if not words:
        return []
    readings = []
    for table in _LEET.values():
        parts, start = [], 0
        for m in words:
            parts += [folded[start:m.start()], m.group(0).translate(table)]
            start = m.end()
        readings.append("".join([*parts, folded[start:]]))
    return readings


def decoded(text: str) -> str | None:
    """Return the text with HTML entities and %-escapes decoded, or None when it has none."""
    if "&" not in text and "%" not in text:
        return None
    out = html.unescape(urllib.parse.unquote(text)) if "%" in text else html.unescape(text)
    return out if out != text else None


def readings(text: str) -> list[str]:
    """Return every reading the guards match, plain first, without repeats."""
    base = [text]
    unescaped = decoded(text)
    if unescaped is not None:
        base.append(unescaped)
    out: list[str] = []
    for item in base:
        folded = fold(item)
        squeezed = squeeze(folded)
        out += [folded, squeezed, squeeze(folded, " "), *unleet(squeezed)]
        if not item.isascii() and _INVISIBLE.search(item):
            out.append(fold(item, invisible=" "))
    return list(dict.fromkeys(out))


def nfkc_with_offsets(text: str) -> tuple[str, list[int]]:
    """Return NFKC(text) character by character, with each output character's index in text.

    Lets a pattern matched on the normalised form (a full-width ＠ or digits) replace the
    customer's own characters, so that nothing else in the text changes. One more entry, at
    the end, maps the end of the text.
    """
    if text.isascii():
        return text, list(range(len(text) + 1))
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch)
            where.append(i)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        chars.append(folded)
        where.extend([i] * len(folded))
    where.append(len(text))
    return "".join(chars), where
