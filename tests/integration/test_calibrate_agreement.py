"""Calibration from history labels a replayed ticket answerable when its own resolution agrees
with the source found: it links it, or finds it first when searched for itself, which reads a
paraphrase, or a Japanese reply to an English article, as agreeing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from agent.factory import build_agent
from agent.pipeline import Agent
from agent.types import Citation
from eval.calibrate import resolution_agrees
from settings import load_settings

ARTICLES = ("time-tracking.md", "two-step-verification.md", "accessibility.md",
            "export-data.md")
URL = "https://help.tsunagu.example/articles/{}"


def _citation(name: str, title: str) -> Citation:
    return Citation(id=f"kb-{name}", title=title, url=URL.format(name), source="kb", score=0.5)


TIMER = _citation("time-tracking", "Time tracking and time reports")
TWO_STEP = _citation("two-step-verification", "Two-step verification (2SV)")


@pytest.fixture(scope="module")
def agent(e5_article_store: Callable[[Sequence[str]], Path], e5_embedder: Any) -> Iterator[Agent]:
    built = build_agent(load_settings(store_dir=e5_article_store(ARTICLES), mode="offline"),
                        embedder=e5_embedder)
    yield built
    built.close()


@pytest.mark.parametrize("resolution", [
    # English, in other words than the article's, with a greeting and a signature
    "Hi Dana,\n\nOnly a single stopwatch can be running per person: when you kick one off on "
    "a second item, the first one halts by itself.\n\nCheers,\nAlex, Support",
    # Japanese, answering from the English article
    "田中様\n\nお問い合わせありがとうございます。タイマーは同時に一つしか動かせません。別のタスクで"
    "タイマーを開始すると、動いていたタイマーは自動的に止まります。\n\nよろしくお願いいたします。",
])
def test_a_paraphrase_agrees_with_its_article_in_either_language(
        agent: Agent, resolution: str) -> None:
    store = agent.deps.retriever.store
    assert resolution_agrees(agent, store, resolution, TIMER, quoted="")
    assert not resolution_agrees(agent, store, resolution, TWO_STEP, quoted="")


def test_a_link_to_the_candidate_agrees_whatever_the_words(agent: Agent) -> None:
    store = agent.deps.retriever.store
    linking = ("Hi,\n\nYou can run one timer at a time. More here: "
               f"{URL.format('two-step-verification')}\n\nBest,\nSam")
    assert resolution_agrees(agent, store, linking, TWO_STEP, quoted="")
    # The link does not stop its words from agreeing with the article they describe.
    assert resolution_agrees(agent, store, linking, TIMER, quoted="")


def test_shared_words_still_count_when_the_search_finds_another_article(agent: Agent) -> None:
    store = agent.deps.retriever.store
    resolution = "Open a task and click Timer, then click Timer again to stop."
    quote = "1. Open a task.\n2. In the task panel, click Timer (or press T).\n3. Click Timer again"
    assert resolution_agrees(agent, store, resolution, TWO_STEP, quoted=quote)
    assert not resolution_agrees(agent, store, resolution, TWO_STEP, quoted="Scan the QR code.")
