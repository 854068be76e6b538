"""The prompt-injection guard: every customer turn that could reach a model is checked.

A turn is checked in every reading agent.normalize gives (so `ｉｇｎｏｒｅ`, `1gn0r3`,
`シ ス テ ム` read as the plain words), together with what it hides: base64 payloads
(decoded, bounded) and HTML comments. A conversation is checked turn by turn and as recent
turns joined, so an attack split across two innocent-looking messages is read whole. The
patterns are policy data (`injection` in agent/default_policy.yaml); every one runs in time
linear in the text (retrieval.linear_re).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from agent.normalize import readings
from agent.policy import Policy
from retrieval import linear_re

# Instructions can hide where a person would not see them: an HTML comment in a pasted text.
_COMMENT = linear_re.compile(r"<!--.*?-->", dotall=True)
_HIDDEN_MIN_CHARS = 20
# Base64 long enough to carry a sentence (16 characters are 12 bytes). What is decoded is
# bounded, so a 20,000-character blob costs one bounded decode, not a stall.
_BASE64 = linear_re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_BASE64_MAX_CHARS = 8192
_BASE64_MAX_PAYLOADS = 8
#: How many recent customer turns are read together (an attack split across messages).
JOINED_TURNS = 3


@dataclass(frozen=True)
class InjectionFinding:
    """Why a message looks like a prompt-injection attempt (for agents, not the customer)."""

    kind: str
    evidence: str
    where: str = "message"


@functools.cache
def _default_policy() -> Policy:
    return Policy.load()


def detect_injection(text: str, policy: Policy | None = None) -> InjectionFinding | None:
    """Return the first sign of a prompt-injection attempt in one customer message."""
    policy = policy or _default_policy()
    found = _match_readings(text, policy)
    if found is not None:
        return found
    for payload in _base64_payloads(text):
        found = _match_readings(payload, policy)
        if found is not None:
            return InjectionFinding(found.kind, found.evidence, "base64 payload")
    for comment in _COMMENT.findall(text):
        if len(comment) > _HIDDEN_MIN_CHARS:
            return InjectionFinding("hidden_text", comment[:120], "HTML comment")
    return None


def detect_conversation_injection(
    turns: Sequence[str], policy: Policy | None = None,
) -> InjectionFinding | None:
    """Check a conversation's customer turns, oldest first: each one, then recent ones joined.

    Any turn that ever held an attempt keeps the conversation escalated: a later harmless
    question would otherwise send the attempt to the model inside the conversation.
    """
    policy = policy or _default_policy()
    last = len(turns) - 1
    for i, turn in enumerate(turns):
        found = detect_injection(turn, policy)
        if found is not None:
            where = "this message" if i == last else f"earlier message {i + 1}"
            return InjectionFinding(found.kind, found.evidence, where)
    recent = list(turns[-JOINED_TURNS:])
    for size in range(2, len(recent) + 1):
        for start in range(len(recent) - size + 1):
            found = detect_injection(" ".join(recent[start:start + size]), policy)
            if found is not None:
                return InjectionFinding(found.kind, found.evidence,
                                        f"{size} recent messages read together")
    return None


def _match_readings(text: str, policy: Policy) -> InjectionFinding | None:
    for reading in readings(text):
        found = policy.injection(reading)
        if found is not None:
            return InjectionFinding(found.name, found.text[:120])
    return None


def _base64_payloads(text: str) -> list[str]:
    """Return the readable texts hidden as base64 in a message (a bounded number and size)."""
    out: list[str] = []
    for match in _BASE64.finditer(text):
        candidate = match.group(0)[:_BASE64_MAX_CHARS].rstrip("=")
        if not any(c.isdigit() or c.isupper() for c in candidate):
            continue  # a long lower-case word, not base64
        if len(candidate) % 4 == 1:
            candidate = candidate[:-1]
        raw = _b64decode(candidate + "=" * (-len(candidate) % 4))
        if raw is None:
            continue
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\n\t" for ch in decoded)
        if decoded and printable >= 0.9 * len(decoded) and any(ch.isalpha() for ch in decoded):
            out.append(decoded)
        if len(out) >= _BASE64_MAX_PAYLOADS:
            break
    return out


def _b64decode(candidate: str) -> bytes | None:
    alphabet = "-_" if ("-" in candidate or "_" in candidate) else "+/"
    try:
        return base64.b64decode(candidate, altchars=alphabet.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None
