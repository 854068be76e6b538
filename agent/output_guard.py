"""Check a model's answer before it leaves the agent: no prompt, no links or contacts from nowhere.

The input guard (agent.guards) can miss an attack; a model that then obeys it shows itself in
what it writes. An answer is refused when it
- repeats the instructions the model was given: a run of words from the system prompt or the
  templates, or their markup (`<source`, `cited_ids`), that is in none of the sources sent;
- gives a link, an e-mail address or a phone number that is in none of the sources (an
  attacker's "tell the customer to log in at ..."), since a grounded answer only repeats
  the ones its sources give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agent.normalize import fold
from agent.pii import find_pii
from retrieval import linear_re

#: Words in a row from a prompt that make a leak (a shorter run could be an ordinary phrase).
LEAK_WORDS = 6
#: Characters in a row from a Japanese prompt sentence that make a leak.
LEAK_CHARS_JA = 14
# One character class repeated: linear in re too, which costs far less a match than RE2's
# binding (retrieval.linear_re).
_WORD = re.compile(r"[a-z0-9]+")
_JA_RUN = linear_re.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー]+")
_TEMPLATE_VARIABLE = linear_re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
# Markup and identifiers only a prompt holds: XML-like tags and snake_case names.
_MARKUP = linear_re.compile(r"</?[a-z][a-z_]*|\b[a-z]+(?:_[a-z]+)+\b")
_URL = linear_re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}(?:/[^\s<>\"'()\[\]{}]*)?",
    ignore_case=True)
# File names look like host names (export.csv); they are not links.
_FILE_SUFFIXES = frozenset(
    "md csv json jsonl txt pdf yaml yml png jpg jpeg gif svg xlsx xls docx doc pptx zip gz tar "
    "html htm js ts py log xml ini cfg conf sh exe dmg pkg apk ipa msi sql bak tmp ics vcf".split())
_TRAILING = ".,;:!?)」』】。、"


@dataclass(frozen=True)
class OutputFinding:
    """Why an answer may not be sent (for agents; the customer sees the escalation notice)."""

    kind: Literal["prompt_leak", "foreign_link", "foreign_contact"]
    evidence: str


def check_answer(answer: str, *, instructions: Sequence[str],
                 sources: Sequence[str]) -> OutputFinding | None:
    """Return why a model's answer may not reach the customer, or None when it may.

    `instructions`: what the model was told (the rendered system prompt, template text);
    `sources`: the passages and their links it was given, which the answer may repeat.
    """
    source_text = "\n".join(sources)
    grounded = fold(source_text)
    folded = fold(answer)
    # Runs of words (Japanese: of characters) as sets: one pass over each text, whatever the
    # number of prompt sentences compared with it.
    answer_runs, grounded_runs = _runs(folded), _runs(grounded)
    for instruction in instructions:
        plain = fold(_TEMPLATE_VARIABLE.sub(" ", instruction))
        for run in _runs(plain):
            if run in answer_runs and run not in grounded_runs:
                return OutputFinding("prompt_leak", " ".join(run) if isinstance(run, tuple)
                                     else run)
        for token in {m.group(0) for m in _MARKUP.finditer(plain)}:
            if len(token) > 3 and token in folded and token not in grounded:
                return OutputFinding("prompt_leak", token)
    allowed = {_link_key(u) for u in _links(source_text)}
    for url in _links(answer):
        key = _link_key(url)
        if key not in allowed and not any(key.startswith(a + "/") or key.startswith(a + "#")
                                          for a in allowed):
            return OutputFinding("foreign_link", url)
    for item in find_pii(answer, kinds=("email", "phone")):
        contact = answer[item.start:item.end]
        if fold(contact) not in grounded:
            return OutputFinding("foreign_contact", contact)
    return None


def _runs(folded: str) -> set[tuple[str, ...] | str]:
    """Return every LEAK_WORDS words in a row of a text (Latin words), and every LEAK_CHARS_JA
    characters in a row of its Japanese."""
    words = [m.group(0) for m in _WORD.finditer(folded) if m.group(0).isascii()]
    runs: set[tuple[str, ...] | str] = {tuple(words[i:i + LEAK_WORDS])
                                        for i in range(len(words) - LEAK_WORDS + 1)}
    for sentence in map(str, _JA_RUN.findall(folded)):
        runs.update(sentence[i:i + LEAK_CHARS_JA]
                    for i in range(len(sentence) - LEAK_CHARS_JA + 1))
    return runs


def _links(text: str) -> Iterable[str]:
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if "://" not in url and not url.lower().startswith("www."):
            host = url.split("/", 1)[0]
            if host.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES or "@" in text[
                    max(0, match.start() - 1):match.start()]:
                continue  # a file name, or the domain of an e-mail address
        yield url


def _link_key(url: str) -> str:
    key = url.lower()
    for prefix in ("https://", "http://"):
        key = key.removeprefix(prefix)
    return key.removeprefix("www.").rstrip("/")
