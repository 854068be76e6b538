"""A resolution answers the next customer without the first one's greeting, names or data."""

import shutil
from pathlib import Path
from typing import Any

from agent.factory import build_agent
from agent.types import Inquiry, ReasonCode
from retrieval.types import Ticket
from settings import load_settings


def test_a_learned_resolution_is_reused_cleaned(demo_store_dir: Path, local_embedder: Any,
                                                 tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    shutil.copytree(demo_store_dir, store_dir)  # learning writes to the store
    agent = build_agent(load_settings(store_dir=store_dir, mode="offline"),
                        embedder=local_embedder)
    question = "Can Tsunagu print a wall poster of our Kanban board in A0 size?"
    first = agent.handle(Inquiry(text=question))
    assert first.escalation.reason == ReasonCode.LOW_CONFIDENCE
    agent.learn(Ticket(
        id="ESC-1", body=question, tag="usage_question", language="en",
        resolution="Hi Ken,\n\nThanks for reaching out!\nUse Board view > Export > PDF and "
                   "choose A0 as page size. I also updated ken@bluefin.example on the "
                   "account. (edited by Alex)\n\nBest regards,\nAlex Chen\nTsunagu Support"))
    second = agent.handle(Inquiry(text=question))
    assert second.action == "answer" and second.citations[0].id == "ESC-1"
    answer = second.answer or ""
    assert "A0 as page size" in answer
    for personal in ("Ken", "Alex", "edited by", "ken@bluefin.example", "Best regards"):
        assert personal not in answer, personal
