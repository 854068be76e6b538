"""Escalation policy from a YAML file: thresholds, sensitive topics, phrases and rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from errors import ConfigError

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
    # Drafts for agents per sensitive topic and language: {topic: {en: ..., ja: ...}}.
    drafts: dict[str, dict[str, str]] = Field(default_factory=dict)
    # A question asking how to do something: its answer is the article's steps.
    procedure_question: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("sensitive_topics", "human_request", "churn", "procedure_question", "rules")
    @classmethod
    def _patterns_compile(cls, value: object) -> object:
        patterns: list[str] = []
        if isinstance(value, dict):
            patterns = [p for group in value.values() for p in group]
        elif isinstance(value, list):
            patterns = [r.pattern if isinstance(r, Rule) else str(r) for r in value]
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}"
                                 ) from exc
        return value


@dataclass(frozen=True)
class Match:
    """Which pattern matched, and the words it matched."""

    name: str
    text: str


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


class Policy:
    """A loaded policy with its patterns compiled."""

    def __init__(self, spec: PolicyFile) -> None:
        self.spec = spec
        self.thresholds = spec.thresholds
        self._sensitive = {name: _compile(ps) for name, ps in spec.sensitive_topics.items()}
        self._human = _compile(spec.human_request)
        self._churn = _compile(spec.churn)
        self._procedure = _compile(spec.procedure_question)
        self._rules = [(r, re.compile(r.pattern, re.IGNORECASE)) for r in spec.rules]

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

    def draft(self, topic: str, language: str) -> str | None:
        """Return the policy's draft reply for a sensitive topic in a language, if it has one."""
        text = self.spec.drafts.get(topic, {}).get(language, "").strip()
        return text or None

    def procedure_cues(self, text: str) -> list[str]:
        """Return the words with which a question asks how to do something (its answer is
        then steps); empty when it does not."""
        return [found.group(0) for pattern in self._procedure
                for found in [pattern.search(text)] if found]

    def rule(self, text: str) -> tuple[Rule, Match] | None:
        """Return the first configured rule a text matches."""
        for rule, pattern in self._rules:
            found = pattern.search(text)
            if found:
                return rule, Match(rule.name, found.group(0))
        return None


def _first(patterns: list[re.Pattern[str]], text: str, name: str) -> Match | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return Match(name, found.group(0))
    return None
