"""Personal data in text: e-mail addresses, phone numbers, card numbers, My Numbers, secrets.

Detection reads the NFKC form of the text (a full-width `＠` or `０９０` is found) and
replaces the customer's own characters, leaving the rest of the text as written. Card
numbers are Luhn-checked and keep their last four digits (`[CARD ****1881]`); a 12-digit My
Number (個人番号) must carry its check digit, so that not every 12-digit number is masked.
`mask_pii` is the one masking function for text that is sent to a model, stored, shown or
sent by webhook; `redact_pii` also says which kinds it found.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from agent.normalize import nfkc_with_offsets
from retrieval import linear_re

KINDS = ("secret", "email", "card", "my_number", "phone")

_SECRET = linear_re.compile(
    r"\b(?:sk|pk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{16,}"  # Stripe/OpenAI/Kotae style
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"  # GitHub
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key id
    r"|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # JWT
    r"|\b(?:api[_-]?key|token|secret|password|passcode|パスワード|暗証番号)\s*[:=]\s*\S{8,}",
    ignore_case=True,
)
_EMAIL = linear_re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Card layouts: 4-4-4-(1..7) and 4-6-(4..5) (Amex, Diners), spaces, dots or hyphens, or none.
_CARD = linear_re.compile(
    r"[0-9]{4}[ .-]?[0-9]{4}[ .-]?[0-9]{4}[ .-]?[0-9]{1,7}|[0-9]{4}[ .-]?[0-9]{6}[ .-]?[0-9]{4,5}")
_MY_NUMBER = linear_re.compile(r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}")
# Phone layouts: 03(7731)5678, (03) 1234-5678, +81 90-1234-5678, 090-1234-5678, 03.1234.5678,
# 090 1234 5678, +1 (415) 555-0100, 09012345678. The digit count is checked afterwards.
_PHONE = linear_re.compile(
    r"(?:\+[0-9]{1,3}[ .-]?)?(?:\(0?\)[ ]?)?"
    r"(?:[0-9]{1,5}\([0-9]{1,5}\)[0-9]{3,5}"
    r"|\([0-9]{1,5}\)[ .-]?[0-9]{1,5}(?:[.-][0-9]{1,5}){0,2}(?:[ .-][0-9]{3,5})?"
    r"|[0-9]{1,5}(?:[.-][0-9]{1,5}){1,3}"
    r"|[0-9]{2,5}(?: [0-9]{2,5}){1,3}"
    r"|0[0-9]{9,10})")
_NOT_DIGIT = linear_re.compile(r"[^0-9]+")


def luhn_ok(digits: str) -> bool:
    """Check a card number's Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def my_number_ok(digits: str) -> bool:
    """Check a 12-digit My Number's check digit (the last one)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(d) for d in reversed(digits[:11])]  # P1 is the digit next to the check digit
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, start=1))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


@dataclass(frozen=True)
class Redaction:
    """Text with personal data masked, and the kinds that were found."""

    text: str
    kinds: tuple[str, ...]


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def _card(match: str) -> str | None:
    digits = _digits(match)
    return f"[CARD ****{digits[-4:]}]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else None


def _my_number(match: str) -> str | None:
    return "[MY_NUMBER]" if my_number_ok(_digits(match)) else None


def _phone(match: str) -> str | None:
    digits = _digits(match)
    if match.startswith("+"):
        ok = 8 <= len(digits) <= 15
    elif match[0] == "0" or match[0] == "(" or any(c in match for c in " .-()"):
        ok = 10 <= len(digits) <= 11
    else:
        ok = False
    return "[PHONE]" if ok and match.count("(") == match.count(")") else None


_Detector = tuple[str, linear_re.LinearPattern, Callable[[str], "str | None"], bool]
_DETECTORS: tuple[_Detector, ...] = (
    # kind, pattern, placeholder for a match (None: not this kind), digits must not touch it
    ("secret", _SECRET, lambda _m: "[SECRET]", False),
    ("email", _EMAIL, lambda _m: "[EMAIL]", False),
    ("card", _CARD, _card, True),
    ("my_number", _MY_NUMBER, _my_number, True),
    ("phone", _PHONE, _phone, True),
)


# Dashes people type in phone numbers, besides "-": hyphens, minus signs, the katakana
# prolonged sound mark (090ー1234ー5678) and its half-width form.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70", "-"))


@dataclass(frozen=True)
class Found:
    """One piece of personal data: its kind, where it is in the text, and its replacement."""

    kind: str
    start: int
    end: int
    replacement: str


def find_pii(text: str, kinds: Collection[str] = KINDS) -> list[Found]:
    """Return the personal data of the given kinds in a text, in order."""
    normal, where = nfkc_with_offsets(text)
    normal = normal.translate(_DASHES)  # one character for one: the offsets still hold
    taken: list[tuple[int, int, str, str]] = []  # spans of the normalised text
    for kind, pattern, placeholder, digit_bounded in _DETECTORS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(normal):
            start, end = match.span()
            if digit_bounded and not _standalone(normal, start, end):
                continue
            if any(start < e and s < end for s, e, _, _ in taken):
                continue
            replacement = placeholder(match.group(0))
            if replacement is not None:
                taken.append((start, end, kind, replacement))
    return [Found(kind, where[start], where[end], replacement)
            for start, end, kind, replacement in sorted(taken)]


def redact_pii(text: str, kinds: Collection[str] = KINDS) -> Redaction:
    """Mask the personal data of the given kinds; say which kinds were found."""
    found = find_pii(text, kinds)
    if not found:
        return Redaction(text, ())
    out: list[str] = []
    position = 0
    for item in found:
        out += [text[position:item.start], item.replacement]
        position = item.end
    out.append(text[position:])
    return Redaction("".join(out), tuple(dict.fromkeys(f.kind for f in found)))


def mask_pii(text: str, kinds: Collection[str] = KINDS) -> str:
    """Return text with e-mail addresses, phone numbers, cards, My Numbers and secrets masked."""
    return redact_pii(text, kinds).text


def _standalone(text: str, start: int, end: int) -> bool:
    """Tell whether a run of digits is not part of a longer number or a Latin word.

    Japanese writes numbers right against the words around them (携帯090-1234-5678まで), so
    only ASCII letters and digits count as touching.
    """
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _word_char(before) or _word_char(after):
        return False
    # "12-3456-7890-1234": a separator with a digit behind it continues the number.
    return not ((before in "+-." and start > 1 and text[start - 2].isdigit())
                or (after in "-." and end + 1 < len(text) and text[end + 1].isdigit()))


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")
