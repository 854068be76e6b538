"""PolicyReloader: a changed policy file is validated and swapped in; a broken one changes
nothing and is reported once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.policy import Policy
from agent.policy_reload import PolicyReloader

BASE = """\
extends: default
version: "v1"
thresholds:
  answer_min_confidence: 0.5
answerability: null  # the grounding score decides, not the default's fitted model
"""


@dataclass
class Deps:
    policy: Policy


class Holder:
    """Holds a policy twice, as agent.pipeline.Agent does (agent.policy, agent.deps.policy)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.deps = Deps(policy)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Holder, PolicyReloader]:
    path = tmp_path / "policy.yaml"
    path.write_text(BASE, encoding="utf-8")
    holder = Holder(Policy.load(path))
    return path, holder, PolicyReloader(holder, clock=lambda: 1_800_000_000.0)


def test_nothing_changes_while_the_file_does_not(setup: tuple[Path, Holder, PolicyReloader]
                                                 ) -> None:
    _path, holder, reloader = setup
    before = holder.policy
    assert not reloader.check() and not reloader.check()
    assert holder.policy is before
    status = reloader.status()
    assert status.version == "v1" and status.sha256 == before.digest and len(status.sha256) == 64
    assert status.answer_decision == "grounding score >= 0.5000"
    assert status.rejected_at is None and status.loaded_at.startswith("2027-01-15T")


def test_a_changed_file_is_swapped_into_both_references(
        setup: tuple[Path, Holder, PolicyReloader], caplog: pytest.LogCaptureFixture) -> None:
    path, holder, reloader = setup
    path.write_text(BASE.replace("v1", "v2").replace("0.5", "0.8"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kotae.policy"):
        assert reloader.check()
    assert holder.policy is holder.deps.policy
    assert holder.policy.version == "v2" and holder.policy.thresholds.answer_min_confidence == 0.8
    assert "policy reloaded" in caplog.text and "v1 -> v2" in caplog.text
    assert "grounding score >= 0.8000 (was grounding score >= 0.5000)" in caplog.text
    assert not reloader.check()  # once


def test_a_broken_file_keeps_the_policy_in_force_and_is_reported_once(
        setup: tuple[Path, Holder, PolicyReloader], caplog: pytest.LogCaptureFixture) -> None:
    path, holder, reloader = setup
    before = holder.policy
    for broken in ("thresholds: [unclosed\n", BASE + "answer_min_confidense: 0.9\n",
                   BASE.replace("0.5", "1.7"), BASE + "rules:\n  - {name: x, pattern: '(', "
                   "detail: d}\n"):
        path.write_text(broken, encoding="utf-8")
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="kotae.policy"):
            assert not reloader.check()
            assert not reloader.check()
        assert holder.policy is before and holder.deps.policy is before
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1, broken  # once per content, not every pass
        assert "stays in force" in errors[0].getMessage()
        assert reloader.status().rejected_at is not None
    path.write_text(BASE, encoding="utf-8")  # put back as it was
    assert not reloader.check()
    assert reloader.status().rejected_at is None and holder.policy is before


def test_a_file_that_is_not_utf8_or_is_gone_keeps_the_policy_in_force(
        setup: tuple[Path, Holder, PolicyReloader]) -> None:
    path, holder, reloader = setup
    before = holder.policy
    # "あ" in Shift_JIS (82 A0) is not UTF-8.
    path.write_bytes(BASE.replace("v1", "v2").encode("shift_jis") + "# あ\n".encode("shift_jis"))
    assert not reloader.check()
    assert holder.policy is before and reloader.status().rejected_at is not None
    path.unlink()
    assert not reloader.check()
    assert holder.policy is before and reloader.status().rejected_at is not None


def test_a_change_to_a_file_it_extends_is_picked_up(tmp_path: Path) -> None:
    base = tmp_path / "company.yaml"
    base.write_text(BASE, encoding="utf-8")
    team = tmp_path / "team.yaml"
    team.write_text('extends: company.yaml\nversion: "team-1"\n', encoding="utf-8")
    holder = Holder(Policy.load(team))
    reloader = PolicyReloader(holder)
    assert len(holder.policy.sources) == 3  # team, company, Kotae's default
    base.write_text(BASE.replace("0.5", "0.7"), encoding="utf-8")
    assert reloader.check()
    assert holder.policy.thresholds.answer_min_confidence == 0.7
    assert holder.policy.version == "team-1"


def test_a_policy_not_read_from_a_file_is_not_watched() -> None:
    policy = Policy.load()
    holder = Holder(Policy(policy.spec))
    with pytest.raises(ValueError, match="not loaded from a file"):
        PolicyReloader(holder)
