"""The records that flow through ingestion and search."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from retrieval.textproc import language_code

Source = Literal["kb", "ticket"]


def _bare_language(record: Document | Ticket) -> None:
    """Store 'en-US' from a help-desk export as 'en': bare codes are compared everywhere."""
    if record.language is not None:
        code = language_code(str(record.language))
        object.__setattr__(record, "language", code or None)


@dataclass(frozen=True)
class Document:
    """A knowledge-base article as read from a file."""

    id: str
    title: str
    text: str
    url: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # path (and line) the document came from, for messages

    def __post_init__(self) -> None:
        _bare_language(self)


@dataclass(frozen=True)
class Ticket:
    """A past support ticket: the customer's message and, when solved, the answer given."""

    id: str
    body: str
    subject: str | None = None
    resolution: str | None = None
    tag: str | None = None
    created_at: str | None = None
    account_id: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    def __post_init__(self) -> None:
        _bare_language(self)


@dataclass(frozen=True)
class Chunk:
    """A token-sized piece of a document, the unit that is embedded and searched."""

    id: str
    doc_id: str
    source: Source
    text: str  # what is shown and quoted
    index_text: str  # what is embedded and analysed (title and headings prepended)
    title: str
    heading: str
    section: int  # chunks of the same section share this number: answers quote whole sections
    position: int
    tokens: int
    language: str
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input, with where it was and what to do about it."""

    location: str
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return text + (f" ({self.hint})" if self.hint else "")
