"""Pick up a changed policy file while serving: validate it, swap it in, say so.

`python -m eval calibrate --write` (or a person) rewrites the policy file; the API's
maintenance pass calls `PolicyReloader.check`, which reads the file and those it extends, and
when their text differs from what the agent's policy was loaded from, loads and validates it
in full before the agent sees it. A file that does not load (invalid YAML, an unknown key, a
broken pattern, an unreadable base) is logged once and the policy in use stays; the service
never stops for it. The swap is one assignment per reference the agent holds (`agent.policy`,
`agent.deps.policy`), so every later decision reads the new policy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from agent.policy import Policy, sha256_of, text_digest
from errors import ConfigError

log = logging.getLogger("kotae.policy")


class _Deps(Protocol):
    policy: Policy


class PolicyHolder(Protocol):
    """What the reloader swaps the policy of (agent.pipeline.Agent)."""

    policy: Policy

    @property
    def deps(self) -> _Deps: ...


@dataclass(frozen=True)
class PolicyStatus:
    """The policy in use and, if the file on disk was refused, that it was."""

    version: str
    sha256: str  # of the file and those it extends, as read
    loaded_at: str  # ISO 8601, UTC
    answer_decision: str  # what decides answer or escalate, with its threshold
    rejected_at: str | None = None  # when a changed file was refused (the log says why)
    rejected_sha256: str | None = None


def answer_decision(policy: Policy, embedder: str | None) -> str:
    """Say what decides between answering and escalating under a policy."""
    model = policy.answerability(embedder) if embedder else policy.spec.answerability
    if model is not None:
        return f"answerability model, probability >= {model.threshold:.4f}"
    return f"grounding score >= {policy.thresholds.answer_min_confidence:.4f}"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class PolicyReloader:
    """Reload an agent's policy file when its content changes."""

    def __init__(self, agent: PolicyHolder, *, embedder: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if agent.policy.path is None:
            raise ValueError("the agent's policy was not loaded from a file: nothing to watch")
        self.agent = agent
        self.path = agent.policy.path
        self.embedder = embedder
        self.clock = clock
        self._lock = threading.Lock()  # checks run in the maintenance thread, status anywhere
        self._loaded_at = clock()
        self._rejected: tuple[str, float] | None = None

    def on_disk(self) -> str:
        """Return the digest of the policy's files as they are now ("" when one is unreadable)."""
        try:
            return sha256_of((path, text_digest(path.read_text(encoding="utf-8")))
                             for path, _ in self.agent.policy.sources)
        except (OSError, UnicodeDecodeError):
            return ""  # differs from any digest: the load below says what is wrong

    def check(self) -> bool:
        """Load the policy file if it changed and swap it in; return whether it did.

        Never raises for a bad file: it is logged (once per content) and the policy in use
        stays.
        """
        with self._lock:
            current = self.agent.policy
            seen = self.on_disk()
            if seen == current.digest:
                self._rejected = None  # put back as it was: nothing is pending
                return False
            if self._rejected is not None and self._rejected[0] == seen:
                return False  # refused already; the log said why
            try:
                fresh = Policy.load(self.path)
            except ConfigError as exc:
                self._rejected = (seen, self.clock())
                log.error("policy file %s changed but cannot be used, so version %s (sha256 "
                          "%s) stays in force: %s%s", self.path, current.version,
                          current.digest[:12], exc, f" ({exc.hint})" if exc.hint else "")
                return False
            if fresh.digest == current.digest:
                return False  # changed and changed back between the two reads
            # One assignment per reference: a decision that starts after this reads `fresh`.
            self.agent.deps.policy = fresh
            self.agent.policy = fresh
            self._loaded_at = self.clock()
            self._rejected = None
        # A warning, not info: it changes what customers get, and an API run without logging
        # configuration shows warnings only.
        log.warning("policy reloaded from %s: version %s -> %s, sha256 %s -> %s; answer "
                    "decision: %s (was %s)", self.path, current.version, fresh.version,
                    current.digest[:12], fresh.digest[:12],
                    answer_decision(fresh, self.embedder), answer_decision(current, self.embedder))
        return True

    def status(self) -> PolicyStatus:
        """Return the policy in use (for /readyz)."""
        with self._lock:
            policy, rejected, loaded_at = self.agent.policy, self._rejected, self._loaded_at
        return PolicyStatus(
            version=policy.version, sha256=policy.digest, loaded_at=_stamp(loaded_at),
            answer_decision=answer_decision(policy, self.embedder),
            rejected_at=_stamp(rejected[1]) if rejected else None,
            rejected_sha256=(rejected[0] or None) if rejected else None)
