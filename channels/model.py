"""The conversation model every channel maps to: events in, actions out.

A channel module turns its provider's webhook into `ChannelEvent`s and carries out
`Reply`/`Handover` actions through the provider's API. Everything between (who holds the
conversation, whether the bot may speak, what it says) is the same for every channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from agent.types import Customer

#: What happened in a channel's conversation.
EventKind = Literal[
    "customer_message",  # the customer wrote (public)
    "agent_message",  # a person on the team replied publicly
    "claimed",  # a person took the conversation (assigned, or status moved to them)
    "released",  # the conversation went back to the bot's queue (pending)
    "resolved",  # a person (or the bot) closed it
    "opened",  # a new or reopened conversation
    "ignored",  # anything the bot has no business with (private notes, its own messages)
]


@dataclass(frozen=True)
class ChannelEvent:
    """One thing that happened in a channel's conversation, in Kotae's terms."""

    channel: str
    kind: EventKind
    thread_id: str  # the conversation as the channel names it, unique within the channel
    message_id: str | None = None  # for de-duplication of messages
    text: str = ""
    author: str | None = None  # the agent's name, for agent messages
    status: str | None = None  # the channel's own status of the conversation, if it has one
    customer: Customer | None = None
    language: str | None = None
    # How to reach the conversation again (account and conversation ids, Message-IDs...).
    address: Mapping[str, Any] = field(default_factory=dict)
    # Whether the bot may answer in this status at all (Chatwoot: only while pending).
    bot_may_answer: bool = True
    has_email: bool = False  # the channel can reach the customer by e-mail without asking
    why: str = ""  # for "ignored": why, for the log


@dataclass(frozen=True)
class Reply:
    """Say this to the customer, publicly, in the thread."""

    text: str
    tag: str | None = None  # the inquiry's tag (a help desk may route or tag on it)


@dataclass(frozen=True)
class Handover:
    """Give the conversation to people: tell the customer, leave the team a note."""

    notice: str | None  # for the customer (None: say nothing, e.g. a reopened conversation)
    note: str  # for the team only: reason, sources, draft
    reason: str
    tag: str | None = None


Action = Reply | Handover


class SignatureError(Exception):
    """A webhook whose signature is missing, stale or wrong: refused with 401."""


class Channel(Protocol):
    """What a channel module provides (see channels.chatwoot)."""

    name: str

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the request is signed by the channel."""

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """Return an id that is the same when the provider sends the same event again."""

    def parse(self, payload: Mapping[str, Any]) -> list[ChannelEvent]:
        """Return what a webhook payload says happened (raise ValueError if unreadable)."""

    def perform(
        self, client: httpx.Client, address: Mapping[str, Any], action: Action, step: str
    ) -> None:
        """Carry out one step of an action (raise httpx.HTTPError to be retried)."""

    def steps(self, action: Action) -> list[str]:
        """Return the named steps of an action, in order (each done at most once)."""
