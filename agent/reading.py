"""How the agent reads a question and quotes a source: the things a question names, its rarest
words, the part that asks, a link or quote written safely, and a conversation's last message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.grounding import Grounding
from agent.policy import LANGUAGES, Policy, SignalTexts, Thresholds
from agent.tagger import TagPrediction
from agent.types import Message, Signal, SignalKind, SignalText
from retrieval.passages import part_asks, question_parts
from retrieval.textproc import detect_language

if TYPE_CHECKING:
    from retrieval.crosslingual import QueryTranslator

# A source in the customer's language is preferred to a better one in the other language only
# when its grounding score is at most this much lower.
SAME_LANGUAGE_LEAD = 0.1


def _signal(kind: SignalKind, account: str | None, evidence: str, texts: SignalTexts,
            confidence: float) -> Signal:
    """Build a signal whose texts are English, with every language's in `localized`."""
    localized = {lang: SignalText(why=getattr(texts.why, lang),
                                  next_step=getattr(texts.next_step, lang))
                 for lang in LANGUAGES}
    return Signal(kind=kind, account_id=account, evidence=evidence, why=texts.why.en,
                  next_step=texts.next_step.en, confidence=round(confidence, 4),
                  localized=localized)


# A Latin word, not the tail of one with digits ("2FA" is a code, not the name "FA").
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[.+&'-][A-Za-z0-9]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"'(\n]\s*)$")


def _rare_words(lexical: Any, groups: Sequence[Sequence[str]],
                ) -> tuple[list[Sequence[str]], list[Sequence[str]], float]:
    """Return a question's rarest word, the rarest of those the source uses (an unknown word
    is rarest of all, and is `unknown`'s to count), and the IDF-weighted share of its words
    the source never uses; each word as its alternative terms."""
    weights = [max(lexical.idf(t) for t in group) for group in groups] or [0.0]
    rarest = [groups[int(np.argmax(weights))]] if groups else []
    known = [(w, group) for w, group in zip(weights, groups, strict=False)
             if any(lexical.knows(t) for t in group)]
    rarest_known = [max(known, key=lambda wg: wg[0])[1]] if known else []
    unknown = sum(w for w, group in zip(weights, groups, strict=False)
                  if not any(lexical.knows(t) for t in group)) / (sum(weights) or 1.0)
    return rarest, rarest_known, unknown


def recognised_intent(tag: TagPrediction, floors: tuple[float, float] | None,
                      thresholds: Thresholds) -> bool:
    """Say whether a tag is sure enough to answer with what the taxonomy gives it.

    The softmax alone is sure of whichever intent an unrelated question resembles most
    ("Hi", "Single", a product the bot does not sell). When the tagger learned from the
    tickets how near a question comes to the tickets of its own intent (`floors`, loose and
    strict: Tagger.remember), a tag it is sure of (intent_min_confidence) must come within the
    loose floor, and one it merely trusts (tag_min_confidence) within the strict one. Without
    floors, or for a question without an embedding, the confidence must reach
    intent_min_confidence.
    """
    if floors is None or tag.neighbour is None:
        return tag.confidence >= thresholds.intent_min_confidence
    loose, strict = floors
    return ((tag.confidence >= thresholds.intent_min_confidence and tag.neighbour >= loose)
            or (tag.confidence >= thresholds.tag_min_confidence and tag.neighbour >= strict))


def asked_text(query: str, policy: Policy) -> str:
    """Return the sentences of a question that ask (a question mark, a Japanese question's
    か, or the policy's words that ask for steps or for a figure), without those that only
    give context ("We're in London."); the whole question when none of them, or it alone,
    asks."""
    pieces = question_parts(query)
    if len(pieces) < 2:
        return query
    asking = [p for p in pieces if part_asks_for(p, policy)]
    return " ".join(asking) if asking else query


def part_asks_for(part: str, policy: Policy) -> bool:
    """Tell whether a part of a message asks something: by its form (a question mark, a
    Japanese question's か), or by the policy's words that ask for steps or for a figure."""
    return part_asks(part) or bool(policy.procedure_cues(part)) or policy.asks_quantity(part)


def asks_something(text: str, policy: Policy) -> bool:
    """Tell whether a message asks something (a part ending in a question mark or a Japanese
    question's か, or the policy's words that ask for steps or for a figure), rather than only
    reporting ("Board view is blank for one project.")."""
    return any(part_asks_for(p, policy) for p in question_parts(text))


def _language_lead(groundings: Sequence[Grounding], language: str) -> float:
    """Return the score a source in the customer's language needs to be preferred to the
    best article in the other language (SAME_LANGUAGE_LEAD below it). Only articles set it: a
    past ticket in the other language does not push a same-language article aside."""
    return max((g.confidence for g in groundings
                if g.hit.language != language and g.kind == "kb"), default=0.0) - SAME_LANGUAGE_LEAD


def named_things(text: str) -> list[str]:
    """Return the words of a question that name a thing, by their form: a word in Latin
    script with a capital inside it or not at a sentence's start (PayPal, GraphQL, SAP,
    "posted to a Slack channel"), or any Latin word among Japanese text (Slackに). Words with
    digits (error codes, versions) are left out. Which of them a knowledge base mentions is
    for it to say."""
    japanese = bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text))
    out: list[str] = []
    for m in _LATIN_WORD.finditer(text):
        word = m.group(0)
        if len(word) < 2 or any(c.isdigit() for c in word):
            continue
        inner_capital = any(c.isupper() for c in word[1:])
        capital_inside = word[0].isupper() and not _SENTENCE_START.search(text[:m.start()])
        if japanese or inner_capital or capital_inside:
            out.append(word)
    return list(dict.fromkeys(out))


def _titled(grounding: Grounding, names: Sequence[str]) -> bool:
    """Tell whether a source is about every thing a question names (none: False): its title
    or the headings of the passage it would quote name them."""
    lowered = " ".join([grounding.hit.title, *grounding.passage.headings]).lower()
    return bool(names) and all(name.lower() in lowered for name in names)


def _link_text(text: str) -> str:
    """Escape what would end a Markdown link's text early."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _link_target(url: str) -> str:
    """Escape what would end a Markdown link's target early."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _clean_resolution(text: str, policy: Policy) -> str:
    """Drop the greeting and sign-off of a past agent's reply so it reads as a general answer."""
    return policy.clean_reply(text)


def _quote(text: str, focus: str | None, limit: int = 240) -> str:
    """Quote the customer's sentence that holds `focus` (or the start of the message)."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？\n])", text) if s.strip()]
    if focus:
        for sentence in sentences:
            if focus in sentence:
                return sentence[:limit]
    return (sentences[0] if sentences else text)[:limit]


def history_from_messages(messages: Sequence[Message]) -> tuple[list[Message], str]:
    """Split a conversation into its history and the last customer message."""
    last = max((i for i, m in enumerate(messages) if m.role == "customer"), default=None)
    if last is None:
        raise ValueError("a conversation needs at least one customer message")
    return list(messages[:last]), messages[last].text


def heading_glosses(translator: QueryTranslator, heading: str) -> set[str]:
    """Return the search terms of a heading in the glossary's source language, in its target
    language (an English question choosing among a Japanese article's sections)."""
    if detect_language(heading) != translator.source:
        return set()
    return {t for group in translator.translate(heading).groups for t in group}
