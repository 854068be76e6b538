"""Guardrails: prompt-injection detection and PII redaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

_INJECTION = [
    (r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|your|"
     r"the system|system)\b.{0,30}\b(instructions?|prompts?|rules|directions|guidelines)",
     "override"),
    (r"\b(reveal|show|print|repeat|output|tell me|give me|what is|what are)\b.{0,30}"
     r"\b(system prompt|your (instructions|prompt|rules|guidelines)|hidden (instructions|prompt)|"
     r"initial prompt)", "prompt_extraction"),
    (r"\bsystem prompt\b", "prompt_extraction"),
    (r"\byou are now\b|\bfrom now on,? you (are|will)\b|\bact as (an? )?(unrestricted|"
     r"different|new)\b|\bpretend (to be|you are)\b", "role_override"),
    (r"\b(jailbreak|developer mode|DAN mode|do anything now)\b", "jailbreak"),
    (r"\b(other|another|all( the)?|every) (customers?|users?|accounts?|tenants?|companies)'?s?\b"
     r".{0,40}\b(data|emails?|e-mail addresses|tickets|invoices|details|information|"
     r"conversations|phone numbers)\b", "data_exfiltration"),
    (r"\b(list|dump|export|show me) (all|every) (users|customers|accounts|api keys|tokens)\b",
     "data_exfiltration"),
    (r"<\|im_start\|>|<\|system\|>|\[INST\]|\[/INST\]|###\s*(system|instruction)|"
     r"BEGIN (SYSTEM|ADMIN) (PROMPT|MESSAGE)|^\s*system\s*:", "role_markup"),
    (r"(以前|これまで|上記|前|全て|すべて)の(指示|命令|ルール|設定)を(無視|忘れ)", "override"),
    (r"指示を無視", "override"),
    (r"システムプロンプト|(内部|隠された)(指示|プロンプト)", "prompt_extraction"),
    (r"(他の|別の|全ての|すべての)(顧客|ユーザー|お客様|利用者|会社|企業)の"
     r"(情報|データ|メール|メールアドレス|チケット|請求書|電話番号)", "data_exfiltration"),
    (r"(あなたは今から|今からあなたは|制限を解除|開発者モード)", "role_override"),
]
_INJECTION_RE = [(re.compile(p, re.IGNORECASE | re.MULTILINE), kind) for p, kind in _INJECTION]
# Instructions can hide where a person would not see them: zero-width characters, HTML comments.
_HIDDEN = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]|<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class InjectionFinding:
    """Why a message looks like a prompt-injection attempt."""

    kind: str
    evidence: str


def detect_injection(text: str) -> InjectionFinding | None:
    """Return the first sign of a prompt-injection attempt in a customer's message."""
    hidden = _HIDDEN.findall(text)
    visible = _HIDDEN.sub(" ", text)
    for candidate in [visible, *hidden]:
        for pattern, kind in _INJECTION_RE:
            found = pattern.search(candidate)
            if found:
                return InjectionFinding(kind, found.group(0)[:120])
    if any(h.startswith("<!--") and len(h) > 20 for h in hidden):
        return InjectionFinding("hidden_text", hidden[0][:120])
    return None


# --------------------------------------------------------------------------- PII

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_SECRET = re.compile(
    r"\b(?:sk|pk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{16,}\b"  # Stripe/OpenAI/Kotae style
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b"  # GitHub
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}\b"  # Slack
    r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key id
    r"|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"  # JWT
    r"|\b(?:api[_-]?key|token|secret|password|パスワード)\s*[:=：]\s*\S{8,}",
    re.IGNORECASE,
)
_CARD_CANDIDATE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(?\d{2,4}\)?[ -]?)?\d{2,4}[ -]\d{3,4}(?:[ -]\d{3,4})?(?!\w)"
    r"|(?<!\d)0\d{9,10}(?!\d)"  # Japanese numbers written without separators
)


def luhn_ok(digits: str) -> bool:
    """Check a card number's Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


@dataclass(frozen=True)
class Redaction:
    """Redacted text and what kinds of PII were removed."""

    text: str
    kinds: tuple[str, ...]


def redact_pii(text: str) -> Redaction:
    """Replace e-mails, secrets, card numbers (Luhn-valid) and phone numbers with placeholders."""
    kinds: list[str] = []

    def sub(pattern: re.Pattern[str], label: str, value: str, check: object = None) -> str:
        def replace(match: re.Match[str]) -> str:
            if callable(check) and not check(match.group(0)):
                return match.group(0)
            kinds.append(label.lower())
            return f"[{label}]"

        return pattern.sub(replace, value)

    out = sub(_SECRET, "SECRET", text)
    out = sub(_EMAIL, "EMAIL", out)
    out = sub(_CARD_CANDIDATE, "CARD", out,
              lambda s: 13 <= len(re.sub(r"\D", "", s)) <= 19 and luhn_ok(re.sub(r"\D", "", s)))
    out = sub(_PHONE, "PHONE", out, lambda s: 9 <= len(re.sub(r"\D", "", s)) <= 15)
    return Redaction(out, tuple(dict.fromkeys(kinds)))
