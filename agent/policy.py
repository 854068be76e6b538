"""Escalation policy from a YAML file: thresholds, sensitive topics, phrases and rules."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from errors import ConfigError
from retrieval import linear_re
from retrieval.linear_re import LinearPattern, PatternError

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")


class Thresholds(BaseModel):
    """Numbers that move the answer/escalate line."""

    answer_min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    precedent_min_similarity: float = Field(0.82, ge=0.0, le=1.0)
    negative_sentiment: float = Field(-0.6, ge=-1.0, le=0.0)
    tag_min_confidence: float = Field(0.4, ge=0.0, le=1.0)


class Rule(BaseModel):
    """A configured rule: a pattern that escalates with reason `policy`."""

    name: str
    pattern: str
    detail: str


class PrecedentCleaning(BaseModel):
    """What is cut from an agent's reply before it is reused as an answer to others.

    Each entry is a pattern matched against one line of the reply (case-insensitive). A
    greeting or sign-off line is dropped only at the top or bottom of the reply; an edit note
    anywhere.
    """

    greetings: list[str] = Field(default_factory=list)
    signoffs: list[str] = Field(default_factory=list)
    edit_notes: list[str] = Field(default_factory=list)

    @field_validator("greetings", "signoffs", "edit_notes")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)


class PolicyFile(BaseModel):
    """The policy file's schema."""

    version: str = "unversioned"
    thresholds: Thresholds = Thresholds()
    always_escalate_tags: list[str] = Field(default_factory=list)
    answer_known_bugs: bool = True
    on_llm_failure: Literal["offline", "escalate"] = "offline"
    redact_pii: bool = True
    sensitive_topics: dict[str, list[str]] = Field(default_factory=dict)
    human_request: list[str] = Field(default_factory=list)
    churn: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    # Prompt-injection patterns by kind (agent.guards); None: the built-in policy's.
    injection: dict[str, list[str]] | None = None
    # Cut from a resolution before it becomes a precedent (agent.precedent); None: built-in.
    precedent_cleaning: PrecedentCleaning | None = None

    @field_validator("sensitive_topics", "human_request", "churn", "rules", "injection")
    @classmethod
    def _patterns_compile(cls, value: object) -> object:
        patterns: list[str] = []
        if isinstance(value, dict):
            patterns = [p for group in value.values() for p in group]
        elif isinstance(value, list):
            patterns = [r.pattern if isinstance(r, Rule) else str(r) for r in value]
        _check_patterns(patterns)
        return value


def _check_patterns(patterns: list[str]) -> list[str]:
    """Refuse, naming it, a pattern the linear-time engine cannot compile."""
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise ValueError(f"{exc} (patterns run under RE2: see retrieval/linear_re.py)"
                             ) from None
    return patterns


@dataclass(frozen=True)
class Match:
    """Which pattern matched, and the words it matched."""

    name: str
    text: str


def compile_pattern(pattern: str) -> LinearPattern:
    """Compile one policy pattern: case-insensitive, matched in time linear in the text."""
    return linear_re.compile(pattern, ignore_case=True)


def _compile(patterns: list[str]) -> list[LinearPattern]:
    return [compile_pattern(p) for p in patterns]


@functools.cache
def _builtin() -> dict[str, Any]:
    """The built-in policy file's content (sections a custom policy leaves out fall back to)."""
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


class Policy:
    """A loaded policy with its patterns compiled."""

    def __init__(self, spec: PolicyFile) -> None:
        self.spec = spec
        self.thresholds = spec.thresholds
        self._sensitive = {name: _compile(ps) for name, ps in spec.sensitive_topics.items()}
        self._human = _compile(spec.human_request)
        self._churn = _compile(spec.churn)
        self._rules = [(r, compile_pattern(r.pattern)) for r in spec.rules]
        # A policy written before these sections existed still gets the built-in guard and
        # cleaning: leaving them out must not switch the injection guard off.
        injection = spec.injection if spec.injection is not None else _builtin()["injection"]
        #: One alternation per kind: a text is scanned once per kind, whatever the list's size.
        self.injection_patterns = {
            kind: compile_pattern("|".join(f"(?:{p})" for p in patterns))
            for kind, patterns in injection.items() if patterns}
        self.cleaning = spec.precedent_cleaning or PrecedentCleaning.model_validate(
            _builtin()["precedent_cleaning"])

    @property
    def version(self) -> str:
        """Return the policy file's version."""
        return self.spec.version

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        """Read a policy file (the default one when path is None)."""
        path = path or DEFAULT_POLICY_PATH
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls(PolicyFile.model_validate(data))
        except OSError as exc:
            raise ConfigError(f"cannot read policy file {path}: {exc}",
                              hint="check KOTAE_POLICY_PATH") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"policy file {path} is not valid YAML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in exc.errors())
            raise ConfigError(f"policy file {path} is invalid: {problems}") from exc

    def sensitive_topic(self, text: str) -> Match | None:
        """Return the sensitive topic a text touches, if any."""
        for name, patterns in self._sensitive.items():
            for pattern in patterns:
                found = pattern.search(text)
                if found:
                    return Match(name, found.group(0))
        return None

    def human_requested(self, text: str) -> Match | None:
        """Return the phrase with which the customer asked for a human, if any."""
        return _first(self._human, text, "human_request")

    def churn_intent(self, text: str) -> Match | None:
        """Return words that signal the customer may leave, if any."""
        return _first(self._churn, text, "churn")

    def injection(self, text: str) -> Match | None:
        """Return the first injection pattern a (normalised) text matches, by kind."""
        for kind, pattern in self.injection_patterns.items():
            found = pattern.search(text)
            if found:
                return Match(kind, found.group(0))
        return None

    def rule(self, text: str) -> tuple[Rule, Match] | None:
        """Return the first configured rule a text matches."""
        for rule, pattern in self._rules:
            found = pattern.search(text)
            if found:
                return rule, Match(rule.name, found.group(0))
        return None


def _first(patterns: list[LinearPattern], text: str, name: str) -> Match | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return Match(name, found.group(0))
    return None
