"""The help-centre eval set (data/helpcenter) is a measuring stick: check it is sound.

Every answerable case lists facts, and every fact is really in an article the case names, in
a section after the article's first one (the set measures answers whose fact is not in the
opening), so a typo in a fact or a case pointing at the wrong article fails here, not in a
misleading figure.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval.cases import EvalCase, load_cases
from eval.facts import contains_fact
from retrieval.loaders import load_knowledge_base, load_taxonomy, load_tickets
from retrieval.types import Document

DATA = Path(__file__).resolve().parents[2] / "data" / "helpcenter"


@pytest.fixture(scope="module")
def articles() -> dict[str, Document]:
    loaded = load_knowledge_base(DATA / "kb")
    assert not loaded.problems
    return {doc.id: doc for doc in loaded.documents}


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    loaded = load_cases(DATA / "cases.jsonl")
    assert not loaded.problems, [str(p) for p in loaded.problems]
    return loaded.cases


def sections(text: str) -> list[str]:
    """Split an article at its `## ` headings: [opening, first section, second, ...]."""
    parts: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("## ") and current:
            parts.append("\n".join(current))
            current = []
        current.append(line)
    parts.append("\n".join(current))
    return parts


def answerable(cases: list[EvalCase]) -> list[EvalCase]:
    return [c for c in cases if c.expected_action == "answer"]


def test_the_knowledge_base_is_multi_section_help_articles_in_both_languages(
        articles: dict[str, Document]) -> None:
    languages = Counter(doc.language for doc in articles.values())
    assert 24 <= len(articles) <= 30
    assert min(languages["en"], languages["ja"]) >= 12
    for doc in articles.values():
        parts = sections(doc.text)
        assert len(parts) >= 5, f"{doc.id}: an opening and at least 4 sections"
        assert parts[0].count("\n") >= 2, f"{doc.id}: an opening paragraph under the title"
        assert doc.url and doc.url.startswith("https://support.hikae.example/"), doc.id


def test_the_set_has_the_promised_shape(cases: list[EvalCase]) -> None:
    answers = Counter(c.case_language for c in answerable(cases))
    escalations = Counter(c.case_language for c in cases if c.expected_action == "escalate")
    assert answers["en"] >= 20 and answers["ja"] >= 20
    assert sum(escalations.values()) >= 15 and min(escalations["en"], escalations["ja"]) >= 5
    crossing = [c for c in cases if c.extra.get("category") == "cross_lingual"]
    assert {c.case_language for c in crossing} == {"en", "ja"}
    for case in cases:
        assert case.language is not None and case.expected_tag, case.id
        if case.expected_action == "escalate":
            assert case.expected_reason and not case.facts and not case.relevant_ids, case.id


def test_every_answerable_case_names_existing_articles_and_lists_facts(
        cases: list[EvalCase], articles: dict[str, Document]) -> None:
    for case in answerable(cases):
        assert case.relevant_ids, case.id
        assert set(case.relevant_ids) <= set(articles), f"{case.id}: unknown article"
        assert 1 <= len(case.facts) <= 3, case.id
        assert case.reference_answer, case.id


def test_cross_lingual_cases_are_answered_only_by_the_other_language(
        cases: list[EvalCase], articles: dict[str, Document]) -> None:
    for case in cases:
        if case.extra.get("category") == "cross_lingual":
            assert {articles[i].language for i in case.relevant_ids} == (
                {"ja"} if case.case_language == "en" else {"en"}), case.id


def test_every_fact_is_in_a_named_article_after_its_first_section(
        cases: list[EvalCase], articles: dict[str, Document]) -> None:
    for case in answerable(cases):
        texts = [articles[i].text for i in case.relevant_ids]
        for fact in case.facts:
            assert any(contains_fact(text, fact) for text in texts), (
                f"{case.id}: fact {fact!r} is in none of {', '.join(case.relevant_ids)}")
        later = ["\n".join(sections(text)[2:]) for text in texts]
        assert any(all(contains_fact(text, fact) for fact in case.facts) for text in later), (
            f"{case.id}: the facts must lie in a section after the article's first one")


def test_tickets_and_taxonomy_load_with_the_default_tags() -> None:
    tickets = load_tickets(DATA / "tickets.jsonl")
    assert not tickets.problems and len(tickets.tickets) >= 35
    assert {t.language for t in tickets.tickets} == {"en", "ja"}
    assert all(t.resolution and t.tag for t in tickets.tickets)
    taxonomy = load_taxonomy(DATA / "taxonomy.yaml")
    assert list(taxonomy.names) == ["bug", "usage_question", "success_opportunity"]
