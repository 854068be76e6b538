"""Escalation policy from a YAML file: thresholds, phrase lists, signal themes and rules.

Everything the agent matches in a customer's words (human requests, sensitive topics, churn,
breakage, expansion intent, follow-ups) and everything it says to a CSM about a signal is data
here, with defaults for English and Japanese in `default_policy.yaml`. A company's policy file
names `extends: default` and lists only what it adds or changes (`load_policy_data`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from agent.answerability import AnswerabilityModel
from agent.sentiment import Lexicon
from agent.tagger import TagPrediction
from errors import ConfigError
from retrieval import linear_re
from retrieval.linear_re import LinearPattern, PatternError

log = logging.getLogger("kotae.policy")

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")
LANGUAGES: tuple[Literal["en", "ja"], ...] = ("en", "ja")


def compile_pattern(pattern: str, *, multiline: bool = False) -> LinearPattern:
    """Compile one policy pattern, case-insensitive, matched in time linear in the text (RE2):
    the one place the regex engine is chosen."""
    return linear_re.compile(pattern, ignore_case=True, multiline=multiline)


def compile_any(patterns: Sequence[str], *, multiline: bool = False) -> LinearPattern | None:
    """Compile patterns into one alternation (None for an empty list: it matches nothing)."""
    if not patterns:
        return None
    return compile_pattern("|".join(f"(?:{p})" for p in patterns), multiline=multiline)


def _valid_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise ValueError(f"{exc} (patterns run under RE2: see retrieval/linear_re.py)"
                             ) from None
    return patterns


#: A list of regular expressions matched against customer text (checked on load).
Patterns = Annotated[list[str], AfterValidator(_valid_patterns)]


class _Strict(BaseModel):
    # A misspelt key would otherwise be ignored and its phrases silently never match.
    model_config = ConfigDict(extra="forbid")


class Thresholds(_Strict):
    """Numbers that move the answer/escalate line."""

    answer_min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    precedent_min_similarity: float = Field(0.82, ge=0.0, le=1.0)
    negative_sentiment: float = Field(-0.6, ge=-1.0, le=0.0)
    tag_min_confidence: float = Field(0.4, ge=0.0, le=1.0)
    # A label the taxonomy gives a reply or an article answers with it at this confidence,
    # when no source grounds an answer (an intent bot's canned replies).
    intent_min_confidence: float = Field(0.8, ge=0.0, le=1.0)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class OfficeHours(_Strict):
    """When a team's people answer in one language (local time in `timezone`)."""

    team: str = "support"
    language: Literal["en", "ja"]
    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    open: str = Field("09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    close: str = Field("18:00", pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")


class Handoff(_Strict):
    """How conversations pass between Kotae and people, in every channel (channels.handoff)."""

    # The customer asking the same thing this many times in a row, each time answered: a person.
    loop_turns: int = Field(3, ge=2, le=10)
    # How alike two of the customer's messages must be to count as the same question
    # (character-bigram Jaccard, so Japanese counts as well as English).
    loop_similarity: float = Field(0.6, gt=0.0, le=1.0)
    # Office hours per team and language; none listed: people are always there.
    office_hours: list[OfficeHours] = Field(default_factory=list)
    # Which team takes an escalation of each tag; any other tag: default_team.
    teams: dict[str, str] = Field(default_factory=dict)
    default_team: str = "support"
    # A customer saying an answer helped (a resolution "confirmed" in analytics), unless the
    # same message says it did not.
    helped: Patterns = Field(default_factory=list)
    helped_unless: Patterns = Field(default_factory=list)


class Rule(_Strict):
    """A configured rule: a pattern that escalates with reason `policy`."""

    name: str
    pattern: Annotated[str, AfterValidator(lambda p: _valid_patterns([p])[0])]
    detail: str


class Texts(_Strict):
    """One text in each language the product speaks."""

    en: str = Field(min_length=1)
    ja: str = Field(min_length=1)


class SignalTexts(_Strict):
    """What a CSM reads about a signal: why it was raised and what to do next."""

    why: Texts
    next_step: Texts


class Cues(_Strict):
    """Phrases that make a tag explicit, and phrases that cancel them."""

    tag: str
    phrases: Patterns = Field(default_factory=list)
    unless: Patterns = Field(default_factory=list)
    # The tagger's own best confidence below which a matching phrase decides the tag.
    decide_below: float = Field(0.8, ge=0.0, le=1.0)
    # The confidence reported for a tag a phrase decided.
    confidence: float = Field(0.6, ge=0.0, le=1.0)


class Theme(SignalTexts):
    """An expansion theme: the phrases that show it and what the CSM is told."""

    name: str
    intent: Patterns = Field(default_factory=list)
    topic: Patterns = Field(default_factory=list)


class Expansion(_Strict):
    """When an inquiry raises an expansion signal, and with which theme."""

    tag: str = "success_opportunity"
    min_tag_confidence: float = Field(0.5, ge=0.0, le=1.0)
    decide_below: float = Field(0.8, ge=0.0, le=1.0)
    confidence: float = Field(0.6, ge=0.0, le=1.0)
    unless: Patterns = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    fallback: SignalTexts  # when no theme fits


class ChurnSignal(_Strict):
    """What a CSM is told about a churn risk; {words} and {sentiment} are filled in."""

    intent: Texts
    frustration: Texts
    next_step: Texts


class Cleanup(_Strict):
    """Lines dropped from a past agent's reply before it is quoted as a general answer."""

    greeting: Patterns = Field(default_factory=list)
    signoff: Patterns = Field(default_factory=list)


class Sentiment(_Strict):
    """Weighted words that make a message negative or positive (agent.sentiment)."""

    negative: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    positive: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    not_shouting: list[str] = Field(default_factory=list)


class PrecedentCleaning(_Strict):
    """What is cut from an agent's reply before it is reused as an answer to others.

    Each entry is a pattern matched against one line of the reply (case-insensitive). A
    greeting or sign-off line is dropped only at the top or bottom of the reply; an edit note
    anywhere.
    """

    greetings: Patterns = Field(default_factory=list)
    signoffs: Patterns = Field(default_factory=list)
    edit_notes: Patterns = Field(default_factory=list)


class PolicyFile(_Strict):
    """The policy file's schema (after `extends` is resolved)."""

    version: str = "unversioned"
    thresholds: Thresholds = Thresholds()
    always_escalate_tags: list[str] = Field(default_factory=list)
    answer_known_bugs: bool = True
    on_llm_failure: Literal["offline", "escalate"] = "offline"
    redact_pii: bool = True
    # A resolution answers other customers only after a person approves it (the console's
    # Precedents); false: as soon as it is resolved (cleaned either way, agent.precedent).
    precedent_review: bool = True
    sensitive_topics: dict[str, Patterns] = Field(default_factory=dict)
    human_request: Patterns = Field(default_factory=list)
    churn: Patterns = Field(default_factory=list)
    # What a CSM is told is the policy's to say (no texts in code): a file that does not
    # extend the default gives them itself.
    churn_signal: ChurnSignal
    bug: Cues = Cues(tag="bug")
    expansion: Expansion
    follow_up: Patterns = Field(default_factory=list)
    # The words just before a name that make it the customer's own ("my Pixel", "our Berlin
    # office", "弊社の..."): their situation, not a product or service they ask about.
    own_thing: Patterns = Field(default_factory=list)
    # Words of the conversation itself ("ok", "thanks", "explain in more detail", 詳しく): in
    # a follow-up they ask about nothing new.
    conversational: Patterns = Field(default_factory=list)
    known_workaround: Patterns = Field(default_factory=list)
    # A section of a known issue that says how to get round it or fix it (what a bug report is
    # answered with), not its symptoms or overview.
    workaround_section: Patterns = Field(default_factory=list)
    cleanup: Cleanup = Cleanup()
    sentiment: Sentiment = Sentiment()
    # Drafts for agents per sensitive topic and language: {topic: {en: ..., ja: ...}}.
    drafts: dict[str, dict[str, str]] = Field(default_factory=dict)
    # A question asking how to do something: its answer is the article's steps.
    procedure_question: Patterns = Field(default_factory=list)
    # A question asking how many, how long, how often or up to what: its answer is a figure.
    quantity_question: Patterns = Field(default_factory=list)
    # A limit named as a condition, not asked for ("an expense over the category limit",
    # "上限を超えた経費"): read out before quantity_question, so it asks for no figure.
    quantity_condition: Patterns = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    # A fitted answerability model (python -m eval calibrate writes it); without one, the
    # answer_min_confidence threshold decides.
    answerability: AnswerabilityModel | None = None
    # Prompt-injection patterns by kind (agent.guards); None: the built-in policy's.
    injection: dict[str, Patterns] | None = None
    # Cut from a resolution before it becomes a precedent (agent.precedent); None: built-in.
    precedent_cleaning: PrecedentCleaning | None = None
    # Hand-over between Kotae and people: loops, office hours, teams.
    handoff: Handoff = Handoff()


@dataclass(frozen=True)
class Match:
    """Which pattern matched, and the words it matched."""

    name: str
    text: str


@dataclass(frozen=True)
class ExpansionFinding:
    """Why an inquiry is an expansion opportunity: the theme, its texts, the words seen."""

    theme: str
    texts: SignalTexts
    words: str  # the customer's words that showed it ("" when only the tagger did)
    by_cue: bool  # raised by an intent phrase, whatever the tagger said


# ----------------------------------------------------------------------------- loading


@functools.cache
def _builtin() -> dict[str, Any]:
    """The built-in policy file's content (sections a custom policy leaves out fall back to)."""
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _merge(base: Any, over: Any, replaced: set[str], path: str) -> Any:
    """Merge a policy file into the one it extends (rules: `default_policy.yaml`'s header)."""
    if path in replaced:
        replaced.discard(path)
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            at = f"{path}.{key}" if path else str(key)
            out[key] = (_merge(base[key], value, replaced, at) if key in base
                        else _take(value, replaced, at))
        return out
    if isinstance(base, list) and isinstance(over, list):
        if _named(base) and _named(over):
            merged = list(base)
            index = {item["name"]: i for i, item in enumerate(base)}
            fresh = []
            for item in over:
                if item["name"] in index:
                    i = index[item["name"]]
                    merged[i] = _merge(base[i], item, replaced, f"{path}.{item['name']}")
                else:
                    fresh.append(_take(item, replaced, f"{path}.{item['name']}"))
            # A company's own entries are more specific than the defaults: tried first.
            return fresh + merged
        return [*base, *(item for item in over if item not in base)]
    return over


def _take(value: Any, replaced: set[str], path: str) -> Any:
    """Return a value with no base; drop `replace` paths that lie inside it (nothing to replace)."""
    for name in [p for p in replaced if p == path or p.startswith(f"{path}.")]:
        replaced.discard(name)
    return value


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str)
                               for i in items)


def _base_path(name: object, path: Path) -> Path:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"policy file {path}: `extends` must be `default` or a file path",
                          hint="write `extends: default` to build on Kotae's default policy")
    if name == "default":
        return DEFAULT_POLICY_PATH
    base = Path(name)
    return base if base.is_absolute() else path.parent / base


def _read_yaml(path: Path, read: list[tuple[Path, str]] | None = None) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        if read is not None:
            read.append((path.resolve(), text_digest(text)))
        data = yaml.safe_load(text) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc}",
                          hint="check KOTAE_POLICY_PATH and `extends`") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"policy file {path} is not UTF-8 text: {exc}",
                          hint="save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"policy file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"policy file {path} must be a mapping of settings, not "
                          f"{type(data).__name__}")
    return data


def load_policy_data(path: Path, _seen: tuple[Path, ...] = (),
                     read: list[tuple[Path, str]] | None = None) -> dict[str, Any]:
    """Read a policy file and the files it extends into one mapping, not yet validated.

    `read`, when given, receives each file read and the sha256 of the text that was parsed.
    """
    resolved = path.resolve()
    if resolved in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, resolved))
        raise ConfigError(f"policy files extend each other in a circle: {chain}")
    data = _read_yaml(path, read)
    extends = data.pop("extends", None)
    replace_paths = data.pop("replace", [])
    if not isinstance(replace_paths, list) or not all(isinstance(p, str) for p in replace_paths):
        raise ConfigError(f"policy file {path}: `replace` must be a list of setting paths "
                          "such as `churn` or `expansion.themes.seats.intent`")
    if extends is None:
        if replace_paths:
            raise ConfigError(f"policy file {path}: `replace` needs `extends` (there is "
                              "nothing to replace)")
        return data
    base = load_policy_data(_base_path(extends, path), (*_seen, resolved), read)
    replaced = set(replace_paths)
    # A fitted model is one whole: a company's own replaces the default's, never merges with it.
    if "answerability" in data and "answerability" in base:
        replaced.add("answerability")
    merged: dict[str, Any] = _merge(base, data, replaced, "")
    if replaced:
        raise ConfigError(f"policy file {path}: `replace` names {sorted(replaced)}, which this "
                          "file does not set over its base",
                          hint="list the dotted path of a setting this file also gives, e.g. "
                          "`expansion.themes.seats.intent`")
    return merged


def text_digest(text: str) -> str:
    """Return the sha256 of a policy file's text as read (newlines normalised)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_of(sources: Iterable[tuple[Path, str]]) -> str:
    """Return one sha256 over files' paths and content hashes (a policy's `digest`)."""
    return hashlib.sha256("\n".join(f"{path}\t{digest}" for path, digest in sources)
                          .encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- the policy


class Policy:
    """A loaded policy with its patterns compiled."""

    def __init__(self, spec: PolicyFile, *, path: Path | None = None,
                 sources: Sequence[tuple[Path, str]] = ()) -> None:
        self._warned: set[str] = set()  # embedders told that the model is not theirs
        self.spec = spec
        # Where it was read from: the file and those it extends, each with the sha256 of the
        # text parsed (what a reload compares with; agent.policy_reload).
        self.path = path
        self.sources = tuple(sources)
        self.thresholds = spec.thresholds
        self._sensitive = {name: [compile_pattern(p) for p in ps]
                           for name, ps in spec.sensitive_topics.items()}
        self._human = [compile_pattern(p) for p in spec.human_request]
        self._helped = compile_any(spec.handoff.helped)
        self._helped_unless = compile_any(spec.handoff.helped_unless)
        self._churn = [compile_pattern(p) for p in spec.churn]
        self._rules = [(r, compile_pattern(r.pattern)) for r in spec.rules]
        self._procedure = [compile_pattern(p) for p in spec.procedure_question]
        self._quantity = [compile_pattern(p) for p in spec.quantity_question]
        self._quantity_condition = compile_any(spec.quantity_condition)
        self._bug = compile_any(spec.bug.phrases)
        self._bug_unless = compile_any(spec.bug.unless)
        expansion = spec.expansion
        self._expansion_unless = compile_any(expansion.unless)
        self._themes = [(t, compile_any(t.intent), compile_any(t.topic))
                        for t in expansion.themes]
        self._follow_up = compile_any(spec.follow_up)
        self._own_thing = compile_any(spec.own_thing)
        self._conversational = [compile_pattern(p) for p in spec.conversational]
        self._workaround = compile_any(spec.known_workaround)
        self._remedy = compile_any(spec.workaround_section)
        self._greeting = compile_any(spec.cleanup.greeting, multiline=True)
        self._signoff = compile_any(spec.cleanup.signoff, multiline=True)
        # A policy written before these sections existed still gets the built-in guard and
        # cleaning: leaving them out must not switch the injection guard off.
        injection = spec.injection if spec.injection is not None else _builtin()["injection"]
        #: One alternation per kind: a text is scanned once per kind, whatever the list's size.
        self.injection_patterns = {
            kind: compile_pattern("|".join(f"(?:{p})" for p in patterns))
            for kind, patterns in injection.items() if patterns}
        self.cleaning = spec.precedent_cleaning or PrecedentCleaning.model_validate(
            _builtin()["precedent_cleaning"])
        self.sentiment_lexicon = Lexicon(spec.sentiment.negative, spec.sentiment.positive,
                                         spec.sentiment.not_shouting, compile_pattern)

    @property
    def version(self) -> str:
        """Return the policy file's version."""
        return self.spec.version

    @property
    def digest(self) -> str:
        """Return the sha256 of what was read (every file of the `extends` chain), or ""."""
        if not self.sources:
            return ""
        return sha256_of(self.sources)

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        """Read a policy file (the default one when path is None), resolving `extends`."""
        path = path or DEFAULT_POLICY_PATH
        read: list[tuple[Path, str]] = []
        data = load_policy_data(path, read=read)
        try:
            return cls(PolicyFile.model_validate(data), path=path, sources=read)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in exc.errors())
            hint = ("start the file with `extends: default` to take what it does not set from "
                    "Kotae's default policy" if "extends" not in _read_yaml(path) else None)
            raise ConfigError(f"policy file {path} is invalid: {problems}", hint=hint) from exc

    # ------------------------------------------------------------------ escalation guards

    def sensitive_topic(self, text: str) -> Match | None:
        """Return the sensitive topic a text touches, if any."""
        for name, patterns in self._sensitive.items():
            found = _first(patterns, text, name)
            if found:
                return found
        return None

    def said_it_helped(self, text: str) -> bool:
        """Return whether the customer says an answer helped (handoff.helped, not _unless)."""
        if self._helped is None or not self._helped.search(text):
            return False
        return self._helped_unless is None or not self._helped_unless.search(text)

    def human_requested(self, text: str) -> Match | None:
        """Return the phrase with which the customer asked for a human, if any."""
        return _first(self._human, text, "human_request")

    def churn_intent(self, text: str) -> Match | None:
        """Return words that signal the customer may leave, if any."""
        return _first(self._churn, text, "churn")

    def answerability(self, embedder: str) -> AnswerabilityModel | None:
        """Return the fitted answerability model, if the policy has one for this embedder.

        A model fitted on another embedding model's cosines would misjudge this one's, so
        it is not used (the fixed threshold decides) and a warning says to calibrate again.
        """
        model = self.spec.answerability
        if model is None or model.embedder in (None, embedder):
            return model
        if embedder not in self._warned:
            self._warned.add(embedder)
            log.warning("the policy's answerability model was fitted with embedder %s, not %s: "
                        "deciding with answer_min_confidence; run `python -m eval calibrate`",
                        model.embedder, embedder)
        return None

    def injection(self, text: str) -> Match | None:
        """Return the first injection pattern a (normalised) text matches, by kind."""
        for kind, pattern in self.injection_patterns.items():
            found = pattern.search(text)
            if found:
                return Match(kind, found.group(0))
        return None

    def draft(self, topic: str, language: str) -> str | None:
        """Return the policy's draft reply for a sensitive topic in a language, if it has one."""
        text = self.spec.drafts.get(topic, {}).get(language, "").strip()
        return text or None

    def procedure_cues(self, text: str) -> list[str]:
        """Return the words with which a question asks how to do something (its answer is
        then steps); empty when it does not."""
        return [found.group(0) for pattern in self._procedure
                for found in [pattern.search(text)] if found]

    def _without_conditions(self, text: str) -> str:
        """Return text with the limits it names as conditions ("over the limit") blanked."""
        if self._quantity_condition is None:
            return text
        return self._quantity_condition.sub(" ", text)

    def quantity_cues(self, text: str) -> list[str]:
        """Return the words with which a question asks for a figure; empty when it does not."""
        text = self._without_conditions(text)
        return [found.group(0) for pattern in self._quantity
                for found in [pattern.search(text)] if found]

    def conversational_cues(self, text: str) -> list[str]:
        """Return every word of a message that belongs to the conversation (thanks, please,
        explain, 詳しく), not to what it asks about."""
        return [found.group(0) for pattern in self._conversational
                for found in pattern.finditer(text)]

    def asks_quantity(self, text: str) -> bool:
        """Tell whether a question asks for a figure (how many, how long, up to what)."""
        text = self._without_conditions(text)
        return any(pattern.search(text) for pattern in self._quantity)

    def sentiment(self, text: str) -> float:
        """Score a message from -1 (furious) to 1 (delighted) with the policy's words."""
        return self.sentiment_lexicon.score(text)

    def rule(self, text: str) -> tuple[Rule, Match] | None:
        """Return the first configured rule a text matches."""
        for rule, pattern in self._rules:
            found = pattern.search(text)
            if found:
                return rule, Match(rule.name, found.group(0))
        return None

    # ------------------------------------------------------------------ tags

    def bug_cue(self, text: str) -> Match | None:
        """Return the words that report breakage, unless the text asks how to do something."""
        return _cue(self._bug, self._bug_unless, text, self.spec.bug.tag)

    def expansion_cue(self, text: str) -> Match | None:
        """Return the words that show expansion intent on their own, if any."""
        if _search(self._expansion_unless, text) is not None:
            return None
        for theme, intent, _topic in self._themes:
            found = _search(intent, text)
            if found is not None:
                return Match(theme.name, found)
        return None

    def cue_tag(self, text: str, prediction: TagPrediction) -> tuple[TagPrediction, Match | None]:
        """Let a phrase decide the tag when the tagger is unsure; return the tag and the cue.

        The cue is returned whenever its tag is the tag returned: a tagger's own weak bug tag
        that breakage words confirm counts as a bug report (Agent._offline).
        """
        expansion = self.spec.expansion
        for tag, cue, decide_below, confidence in (
                (self.spec.bug.tag, self.bug_cue, self.spec.bug.decide_below,
                 self.spec.bug.confidence),
                (expansion.tag, self.expansion_cue, expansion.decide_below,
                 expansion.confidence)):
            if tag not in prediction.probabilities:  # not a tag of this taxonomy
                continue
            found = cue(text)
            if found is None:
                continue
            if prediction.tag == tag:
                return replace(prediction, confidence=max(prediction.confidence,
                                                          confidence)), found
            if prediction.confidence < decide_below:
                return replace(prediction, tag=tag, confidence=confidence,
                               neighbour=None), found
        return prediction, None

    # ------------------------------------------------------------------ signals

    def expansion(self, text: str, prediction: TagPrediction) -> ExpansionFinding | None:
        """Return why an inquiry is an expansion opportunity, or None when it is not one."""
        spec = self.spec.expansion
        if _search(self._expansion_unless, text) is not None:
            return None  # fewer seats, a lower plan: the opposite of expansion
        for theme, intent, _topic in self._themes:
            found = _search(intent, text)
            if found is not None:
                return ExpansionFinding(theme.name, theme, found, by_cue=True)
        if prediction.tag != spec.tag or prediction.confidence < spec.min_tag_confidence:
            return None
        for theme, _intent, topic in self._themes:
            found = _search(topic, text)
            if found is not None:
                return ExpansionFinding(theme.name, theme, found, by_cue=False)
        return ExpansionFinding("", spec.fallback, "", by_cue=False)

    def churn_texts(self, *, words: str | None, sentiment: float) -> SignalTexts:
        """Return the churn signal's texts: for switching words, or for frustration."""
        spec = self.spec.churn_signal
        if words is not None:
            why = _fill(spec.intent, "{words}", words)
        else:
            why = _fill(spec.frustration, "{sentiment}", f"{sentiment:.2f}")
        return SignalTexts(why=why, next_step=spec.next_step)

    # ------------------------------------------------------------------ conversation and sources

    def follow_up(self, text: str) -> bool:
        """Return whether a message points back at the previous one ("that", "それ")."""
        return _search(self._follow_up, text) is not None

    def mentions_workaround(self, text: str) -> bool:
        """Return whether a source documents a workaround for a known bug."""
        return _search(self._workaround, text) is not None

    def names_own_thing(self, before: str) -> bool:
        """Tell whether the text just before a name makes it the customer's own thing."""
        return _search(self._own_thing, before) is not None

    def states_remedy(self, text: str) -> bool:
        """Return whether a section of a source says how to get round a problem or fix it."""
        return _search(self._remedy, text) is not None

    def clean_reply(self, text: str) -> str:
        """Drop the greeting and sign-off of a past agent's reply."""
        if self._greeting is not None:
            text = self._greeting.sub("", text, count=2).strip()
        if self._signoff is not None:
            text = self._signoff.sub("", text).strip() or text
        return text


def _fill(texts: Texts, placeholder: str, value: str) -> Texts:
    # str.replace, not str.format: a policy text may hold braces of its own.
    return Texts(en=texts.en.replace(placeholder, value), ja=texts.ja.replace(placeholder, value))


def _search(pattern: LinearPattern | None, text: str) -> str | None:
    if pattern is None:
        return None
    found = pattern.search(text)
    return found.group(0) if found else None


def _cue(pattern: LinearPattern | None, unless: LinearPattern | None, text: str,
         name: str) -> Match | None:
    found = _search(pattern, text)
    if found is None or _search(unless, text) is not None:
        return None
    return Match(name, found)


def _first(patterns: Iterable[LinearPattern], text: str, name: str) -> Match | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return Match(name, found.group(0))
    return None
