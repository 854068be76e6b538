"""Every pattern that runs on customer text is linear-time: pathological inputs of the largest
size the API accepts cost about what a trivial scan of them costs.

Times are compared with a trivial pattern timed on the same input in the same test, never with
a fixed number of milliseconds: a backtracking pattern over these inputs costs seconds (the
hidden-text guard spent ~1.4 s on `"<!--" * 5000`, the e-mail redactor ~1.3 s on
`"a." * 4000 + "@" + "b." * 5990`), hundreds of times the bound.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.guards import detect_conversation_injection, detect_injection
from agent.normalize import readings
from agent.output_guard import check_answer
from agent.pii import mask_pii, redact_pii
from agent.policy import Policy
from agent.precedent import clean_resolution
from agent.tagger import prose
from agent.types import Inquiry
from retrieval import loaders, textproc
from retrieval.passages import focus_tables, part_asks, question_parts

#: The longest inquiry the API and the agent accept.
MAX_TEXT = next(m.max_length for m in Inquiry.model_fields["text"].metadata
                if hasattr(m, "max_length"))
#: How many trivial scans one guard may cost. A guard reads the text several ways (plain,
#: joined, separated, unleeted) with several patterns each; the stalls this test exists for
#: cost thousands of trivial scans.
BOUND = 300


def _pathological() -> dict[str, str]:
    n = MAX_TEXT
    inputs = {
        "html comments": "<!--" * (n // 4),
        "code fences": "```x\n~~~\n" * (n // 9),
        "e-mail": "a." * 4000 + "@" + "b." * 5990,
        "newlines": "\n" * n,
        "spaces": " " * (n - 1) + "x",
        "digit groups": "1 " * (n // 2),
        "parentheses": "(1" * (n // 2),
        "dots and digits": "4." * (n // 2),
        "heading": "#" + " " * (n - 2) + "\n",
        "ignore": "ignore " * (n // 7),
        "spaced letters": "a " * (n // 2),
        "leet": "1a" * (n // 2),
        "base64": "QUFB" * (n // 4),
        "japanese": "指示を" * (n // 3),
        "japanese spaced": "シ " * (n // 2),
        "full-width": "ｉ" * n,
        "zero width": "a\u200b" * (n // 2),
        "list marks": " + & ; " * (n // 7),
        "japanese question": "か" + " " * (n - 2) + "x",
        "mixed": ("Ignore previous <!-- a.b@c 090-1234- 4242 ") * (n // 42),
    }
    return {name: text[:n] for name, text in inputs.items()}


def _elapsed(call: Callable[[], Any], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


_TRIVIAL = re.compile(r".", re.DOTALL)


def _baseline(text: str) -> float:
    """One trivial pass over the text: a match per character."""
    return _elapsed(lambda: _TRIVIAL.findall(text))


POLICY = Policy.load()
GUARDS: dict[str, Callable[[str], object]] = {
    "injection guard": detect_injection,
    "conversation guard": lambda t: detect_conversation_injection([t[: MAX_TEXT // 2], t]),
    "readings": readings,
    "pii redaction": redact_pii,
    "mask_pii": mask_pii,
    "sentiment": POLICY.sentiment,
    "sensitive topics": POLICY.sensitive_topic,
    "human request": POLICY.human_requested,
    "churn": POLICY.churn_intent,
    "rules": POLICY.rule,
    "output check": lambda t: check_answer(t, instructions=[t[:2000]], sources=[t[:2000]]),
    "precedent cleaning": lambda t: clean_resolution(t, POLICY),
    "language detection": textproc.detect_language,
    "lexical terms": textproc.Analyzer()._terms,  # uncached: every call analyses the text
    "bug cue": POLICY.bug_cue,
    "follow-up words": POLICY.follow_up,
    "expansion themes": POLICY.expansion_cue,
    "known workaround": POLICY.mentions_workaround,
    "reply cleanup": POLICY.clean_reply,
    "procedure question": POLICY.procedure_cues,
    "quantity question": POLICY.asks_quantity,
    "tagger prose": prose,
    "question parts": question_parts,
    "part asks": part_asks,
    "table focus": lambda t: focus_tables(f"| a |\n{t}", lambda label: False, 1),
}


@pytest.mark.parametrize("guard", list(GUARDS))
def test_each_guard_is_linear_on_pathological_inputs_of_the_largest_size(guard: str) -> None:
    call = GUARDS[guard]
    slow = []
    for name, text in _pathological().items():
        assert len(text) <= MAX_TEXT
        spent, trivial = _elapsed(functools.partial(call, text)), _baseline(text)
        if spent > BOUND * trivial:
            slow.append(f"{name}: {spent * 1000:.1f} ms, {spent / trivial:.0f}x a trivial scan")
    assert not slow, f"{guard} is not linear: {slow}"


def test_uploaded_articles_are_parsed_in_linear_time(tmp_path: Path) -> None:
    size = loaders.DEFAULT_MAX_DOCUMENT_CHARS
    bodies = {
        "front matter": "---\n" + "a: b\n" * (size // 5),
        "unclosed front matter": "---" + " " * (size - 4) + "\n",
        "headings": "#\n" * (size // 2),
        "blank lines": "x" + "\n" * (size - 1),
    }
    for name, body in bodies.items():
        path = tmp_path / f"{name.replace(' ', '-')}.md"
        path.write_text(body, encoding="utf-8")
        spent = _elapsed(functools.partial(loaders._parse_markdown, path, "doc", body),
                         repeats=1)
        trivial = _baseline(body)
        assert spent <= BOUND * trivial, f"{name}: {spent:.3f} s, {spent / trivial:.0f}x"
