"""Clean an agent's reply before it becomes a precedent that answers other customers.

A resolution is written to one person: "Hi Ken," at the top, "Best, Alex / Acme Support" at
the bottom, "(edited by Alex)" where it was changed, and perhaps that customer's address or
phone number. Reused verbatim it tells the next customer someone else's name. Cleaning keeps
the body: greeting lines at the top and sign-off lines (with the name and signature under
them) at the bottom go, edit notes go wherever they are, and personal data is masked. The
phrases are policy data (`precedent_cleaning` in agent/default_policy.yaml).
"""

from __future__ import annotations

import functools

from agent.pii import mask_pii
from agent.policy import Policy, compile_pattern
from retrieval.linear_re import LinearPattern

#: Lines under a sign-off that are taken for its signature (name, title, company, contact).
SIGNATURE_LINES = 4
_SIGNATURE_LINE_CHARS = 60


@functools.lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> list[LinearPattern]:
    return [compile_pattern(p) for p in patterns]


def clean_resolution(text: str, policy: Policy) -> str:
    """Return a reply without its greeting, sign-off, signature, edit notes or personal data."""
    cleaning = policy.cleaning
    greetings = _compiled(tuple(cleaning.greetings))
    signoffs = _compiled(tuple(cleaning.signoffs))
    for note in _compiled(tuple(cleaning.edit_notes)):
        text = note.sub("", text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    while lines and (not lines[0].strip() or _whole(greetings, lines[0])):
        lines.pop(0)
    cut = _signoff_start(lines, signoffs)
    if cut is not None:
        lines = lines[:cut]
    while lines and not lines[-1].strip():
        lines.pop()
    return mask_pii("\n".join(lines).strip())


def _whole(patterns: list[LinearPattern], line: str) -> bool:
    stripped = line.strip()
    return any(p.fullmatch(stripped) for p in patterns)


def _signoff_start(lines: list[str], signoffs: list[LinearPattern]) -> int | None:
    """Return where the sign-off begins: a sign-off line followed only by a short signature."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for i in filled[-(SIGNATURE_LINES + 1):]:
        after = [lines[j] for j in filled if j > i]
        if (_whole(signoffs, lines[i]) and len(after) <= SIGNATURE_LINES
                and all(len(line.strip()) <= _SIGNATURE_LINE_CHARS for line in after)):
            return i
    return None
