"""Eval cases: the documented JSONL format, read line by line with every bad line reported.

One case per line (PRODUCT.md, "Interfaces other parts depend on"):

    {"id", "inquiry" | "messages", "expected_tag"?, "expected_action"?, "expected_reason"?,
     "reference_answer"?, "relevant_ids"?, "language"?, "account_id"?, "facts"?}

`expected_tag` and `expected_reason` may also be lists: any of the listed values is right (a
ticket can honestly carry two tags). `facts` lists strings a right answer must contain, `"a|b"`
accepting either (how they are matched: eval/facts.py). A conversation's `messages` are Kotae's
`{"role": "customer"|"agent"|"assistant", "text"}` or the OpenAI chat shape
`{"role": "user"|"assistant"|"system", "content"}`, whose system turns are dropped. Unknown keys
are kept in `extra` and shown in reports. A malformed line is reported as `path:line` and
skipped; the other lines still run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.reading import history_from_messages
from agent.types import Customer, Inquiry, LanguageTag, Message, ReasonCode
from eval.facts import fact_problem
from retrieval.textproc import detect_language
from retrieval.types import Problem

Action = Literal["answer", "escalate"]
Language = Literal["en", "ja"]
_KNOWN_KEYS = frozenset({"id", "inquiry", "messages", "expected_tag", "expected_action",
                         "expected_reason", "reference_answer", "relevant_ids", "language",
                         "account_id", "facts"})
# The OpenAI chat shape's roles, as Kotae's; None: not part of the conversation the agent sees.
_OPENAI_ROLES: dict[str, str | None] = {"user": "customer", "assistant": "assistant",
                                        "system": None, "developer": None}


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError("must be a string or a list of strings")


def _content_text(content: object) -> str:
    """Return the text of an OpenAI message's content: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text"
                    and isinstance(part.get("text"), str)):
                raise ValueError("'content' parts must be {\"type\": \"text\", \"text\": "
                                 "...}; images and other parts cannot be replayed")
            texts.append(part["text"])
        return "\n".join(texts)
    raise ValueError(f"'content' must be a string or a list of text parts, got "
                     f"{type(content).__name__}")


def _turns(value: object) -> object:
    """Return a conversation as Kotae's turns, reading OpenAI-shaped turns too."""
    if not isinstance(value, list | tuple):
        return value  # pydantic says what is wrong with it
    turns: list[object] = []
    for n, turn in enumerate(value, start=1):
        if not (isinstance(turn, dict) and "content" in turn):
            turns.append(turn)
            continue
        if "text" in turn:
            raise ValueError(f"turn {n} has both 'text' (Kotae's shape) and 'content' (the "
                             "OpenAI chat shape); keep one")
        role = turn.get("role")
        if role not in _OPENAI_ROLES:
            raise ValueError(f"turn {n}: role {role!r} is not one of user, assistant, system "
                             "(the OpenAI chat shape, with 'content') nor customer, agent, "
                             "assistant (Kotae's, with 'text')")
        kotae_role = _OPENAI_ROLES[str(role)]
        if kotae_role is not None:
            turns.append({"role": kotae_role, "text": _content_text(turn["content"])})
    return turns


def _facts(value: object) -> tuple[str, ...]:
    """Check a case's facts: a list of non-empty strings, each alternative non-empty."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list of strings, e.g. [\"Admin > Accounts\", "
                         f"\"30 days|30日\"], got {type(value).__name__}")
    for fact in value:
        problem = fact_problem(fact)
        if problem is not None:
            raise ValueError(problem)
    return tuple(str(fact).strip() for fact in value)


class EvalCase(BaseModel):
    """One labelled inquiry (or conversation) and what the agent should do with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    inquiry: str | None = None
    messages: tuple[Message, ...] | None = None
    expected_tag: tuple[str, ...] = ()
    expected_action: Action | None = None
    expected_reason: tuple[ReasonCode, ...] = ()
    reference_answer: str | None = None
    relevant_ids: tuple[str, ...] = ()
    language: LanguageTag | None = None  # 'ja-JP' and the like are read as 'ja'
    account_id: str | None = None
    facts: tuple[str, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("expected_tag", "relevant_ids", mode="before")
    @classmethod
    def _strings(cls, value: object) -> tuple[str, ...]:
        return _as_tuple(value)

    @field_validator("messages", mode="before")
    @classmethod
    def _messages(cls, value: object) -> object:
        return _turns(value)

    @field_validator("facts", mode="before")
    @classmethod
    def _fact_list(cls, value: object) -> tuple[str, ...]:
        return _facts(value)

    @field_validator("expected_reason", mode="before")
    @classmethod
    def _reasons(cls, value: object) -> tuple[str, ...]:
        return _as_tuple(value)

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if (self.inquiry is None) == (self.messages is None):
            raise ValueError("give exactly one of 'inquiry' (text) or 'messages' (a conversation)")
        if self.inquiry is not None and not self.inquiry.strip():
            raise ValueError("'inquiry' is empty")
        if self.messages is not None and not any(m.role == "customer" for m in self.messages):
            raise ValueError("'messages' needs at least one turn with role 'customer' (or "
                             "'user' in the OpenAI chat shape)")
        if self.expected_reason and self.expected_action == "answer":
            raise ValueError("'expected_reason' is for escalations, but 'expected_action' is "
                             "'answer'")
        if self.facts and self.expected_escalation:
            raise ValueError("'facts' are what an answer must contain, but the case expects an "
                             "escalation; drop 'facts' or expect 'answer'")
        return self

    @property
    def expected_escalation(self) -> bool:
        """Tell whether the case should end with a human."""
        return self.expected_action == "escalate" or (
            self.expected_action is None and bool(self.expected_reason))

    @property
    def text(self) -> str:
        """Return the message the agent answers: the inquiry or the last customer turn."""
        if self.inquiry is not None:
            return self.inquiry
        return history_from_messages(list(self.messages or ()))[1]

    @property
    def history(self) -> list[Message]:
        """Return the turns before the last customer message."""
        if self.messages is None:
            return []
        return history_from_messages(list(self.messages))[0]

    @property
    def case_language(self) -> Language:
        """Return the labelled language, or the one detected from the customer's words."""
        if self.language is not None:
            return self.language
        customer = [m.text for m in self.history if m.role == "customer"]
        return detect_language(" ".join([*customer, self.text]))

    def to_inquiry(self) -> Inquiry:
        """Build the inquiry a client would send for this case."""
        # The labelled language is not sent: detecting it is part of what is measured.
        customer = Customer(account_id=self.account_id) if self.account_id else None
        return Inquiry(text=self.text, id=self.id, history=self.history, customer=customer,
                       conversation_id=self.id if self.messages is not None else None)

    def to_json(self) -> dict[str, Any]:
        """Return the case in its file format (lists only where there are several values)."""
        out: dict[str, Any] = {"id": self.id}
        if self.inquiry is not None:
            out["inquiry"] = self.inquiry
        if self.messages is not None:
            out["messages"] = [m.model_dump() for m in self.messages]
        for key, values in (("expected_tag", self.expected_tag),
                            ("expected_reason", tuple(str(r) for r in self.expected_reason))):
            if values:
                out[key] = values[0] if len(values) == 1 else list(values)
        for key, value in (("expected_action", self.expected_action),
                           ("reference_answer", self.reference_answer),
                           ("language", self.language), ("account_id", self.account_id)):
            if value is not None:
                out[key] = value
        if self.relevant_ids:
            out["relevant_ids"] = list(self.relevant_ids)
        if self.facts:
            out["facts"] = list(self.facts)
        out.update(self.extra)
        return out


@dataclass
class CaseFile:
    """The cases read from a file, and the lines that could not be used."""

    cases: list[EvalCase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_case(record: object) -> EvalCase:
    """Validate one decoded JSON line; unknown keys go to `extra`."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    known = {k: v for k, v in record.items() if k in _KNOWN_KEYS}
    extra = {k: v for k, v in record.items() if k not in _KNOWN_KEYS}
    if "id" in known and not isinstance(known["id"], str):
        known["id"] = str(known["id"])
    return EvalCase(**known, extra=extra)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def read_cases(lines: Iterable[str], origin: str) -> CaseFile:
    """Read JSONL lines; `origin` names the file in problem locations."""
    result = CaseFile()
    seen: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            case = parse_case(json.loads(line))
        except json.JSONDecodeError as exc:
            result.problems.append(Problem(where, f"malformed JSON: {exc.msg} at column "
                                           f"{exc.colno}", "fix or remove this line; the other "
                                           "cases still run"))
            continue
        except ValidationError as exc:
            result.problems.append(Problem(where, f"invalid case: {_describe(exc)}",
                                           "see the eval case format in PRODUCT.md"))
            continue
        except ValueError as exc:
            result.problems.append(Problem(where, f"invalid case: {exc}",
                                           "write one case object per line"))
            continue
        if case.id in seen:
            result.problems.append(Problem(where, f"duplicate case id {case.id!r}, first seen "
                                           f"at {seen[case.id]}; this one was skipped",
                                           "give each case a unique id"))
            continue
        seen[case.id] = where
        result.cases.append(case)
    return result


def load_cases(path: Path) -> CaseFile:
    """Read an eval case file (JSONL), reporting each unusable line as path:line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return CaseFile(problems=[Problem(str(path), f"cannot read cases: {exc}",
                                          "pass a UTF-8 JSONL file of eval cases")])
    return read_cases(text.splitlines(), str(path))


def write_cases(path: Path, cases: Iterable[EvalCase]) -> None:
    """Write cases as JSONL in the documented format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for case in cases:
            out.write(json.dumps(case.to_json(), ensure_ascii=False) + "\n")
