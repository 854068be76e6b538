"""A small lexicon sentiment score for English and Japanese, from -1 (furious) to 1."""

from __future__ import annotations

import re

from retrieval import linear_re

_NEGATIVE_EN = {
    "unacceptable": 0.5, "ridiculous": 0.45, "furious": 0.6, "angry": 0.4, "livid": 0.6,
    "terrible": 0.4, "awful": 0.4, "horrible": 0.4, "worst": 0.45, "useless": 0.45,
    "garbage": 0.5, "trash": 0.45, "joke": 0.3, "pathetic": 0.5, "disgusting": 0.5,
    "frustrated": 0.3, "frustrating": 0.3, "annoyed": 0.25, "annoying": 0.25,
    "disappointed": 0.3, "disappointing": 0.3, "fed up": 0.45, "sick of": 0.4,
    "waste of": 0.45, "incompetent": 0.5, "scam": 0.5, "again and again": 0.25,
    "third time": 0.3, "still broken": 0.3, "still not": 0.2, "nobody": 0.2, "no one": 0.2,
    "wtf": 0.5, "damn": 0.3, "hell": 0.25, "crap": 0.4, "stupid": 0.4, "unusable": 0.4,
    "losing money": 0.4, "lost data": 0.3, "are you kidding": 0.4,
}
_NEGATIVE_JA = {
    "最悪": 0.5, "ひどい": 0.4, "酷い": 0.4, "ふざけ": 0.55, "いい加減": 0.5, "怒": 0.4,
    "不満": 0.3, "使い物にならない": 0.5, "がっかり": 0.3, "何度も": 0.25, "困っています": 0.15,
    "迷惑": 0.35, "信じられない": 0.4, "あり得ない": 0.45, "ありえない": 0.45, "許せ": 0.5,
    "責任": 0.2, "損害": 0.4, "まだ直": 0.25, "対応が遅": 0.35, "返事がない": 0.3,
    "誠意": 0.35, "いつまで": 0.3, "話にならない": 0.5,
}
_POSITIVE = {
    "thanks": 0.15, "thank you": 0.2, "great": 0.2, "love": 0.25, "awesome": 0.25,
    "appreciate": 0.2, "helpful": 0.2, "ありがとう": 0.2, "助かり": 0.2, "素晴らしい": 0.25,
    "便利": 0.15,
}
_WORDS = re.compile(r"[A-Za-z]+")  # one character class: linear in re too (retrieval.linear_re)
_NEGATIVE_EN_PATTERNS = [
    (linear_re.compile(rf"\b{linear_re.escape(k)}\b"), w) for k, w in _NEGATIVE_EN.items()
]


def sentiment_score(text: str) -> float:
    """Score a message from -1 (very negative) to 1 (very positive)."""
    lowered = text.lower()
    negative = sum(w for pattern, w in _NEGATIVE_EN_PATTERNS if pattern.search(lowered))
    negative += sum(w for k, w in _NEGATIVE_JA.items() if k in text)
    positive = sum(w for k, w in _POSITIVE.items() if k in lowered)
    words = _WORDS.findall(text)
    shouted = [w for w in words if len(w) >= 3 and w.isupper() and w not in _ACRONYMS]
    if len(words) >= 4 and len(shouted) / len(words) >= 0.3:
        negative += 0.35  # SHOUTING
    exclamations = text.count("!") + text.count("！")
    if exclamations >= 3:
        negative += 0.15 if negative > 0 else 0.05
    if "??" in text or "？？" in text:
        negative += 0.1
    return max(-1.0, min(1.0, positive - negative))


_ACRONYMS = frozenset({"API", "SSO", "SAML", "SCIM", "CSV", "JSON", "URL", "IDP", "OKTA", "HTTP",
                       "HTTPS", "PDF", "IME", "JST", "UTC", "USD", "JPY", "SLA", "CSM", "IOS",
                       "SOC", "ISO", "GDPR", "MFA", "TOTP", "FAQ", "CEO", "CTO", "ASAP"})
