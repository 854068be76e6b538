"""The tagger's development set loads cleanly and its groups keep translations together."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from retrieval.loaders import load_taxonomy, load_tickets

DEVSET = Path(__file__).resolve().parents[2] / "data" / "devsets" / "github_issues"


def test_the_github_issues_set_is_balanced_and_grouped_by_problem() -> None:
    loaded = load_tickets(DEVSET / "tickets.jsonl")
    assert loaded.problems == []
    taxonomy = load_taxonomy(DEVSET / "taxonomy.yaml")
    assert list(taxonomy.names) == ["bug", "feature", "question"]
    tickets = loaded.tickets
    assert Counter((t.language, t.tag) for t in tickets) == {
        ("en", "bug"): 30, ("en", "feature"): 30, ("en", "question"): 30,
        ("ja", "bug"): 20, ("ja", "feature"): 20, ("ja", "question"): 20}
    by_id = {t.id: t for t in tickets}
    for t in tickets:
        group = t.metadata["group"]
        # A Japanese ticket written after an English one names it, and carries its label.
        assert group == t.id or (t.language == "ja" and by_id[group].language == "en"
                                 and by_id[group].tag == t.tag)
    assert all(t.subject and t.body for t in tickets)
