"""Chatwoot: Kotae as a Chatwoot Agent Bot, answering inside the inbox a team already uses.

Read from Chatwoot's own source (docs/CHANNELS.md cites the files):
- Events (app/listeners/agent_bot_listener.rb): `message_created`, `message_updated`,
  `conversation_opened`, `conversation_resolved`, `conversation_status_changed`,
  `conversation_updated`, `webwidget_triggered`; the body is the object's `webhook_data`
  with `event` added. A message carries `message_type` ("incoming", "outgoing",
  "activity", "template"), `private`, `sender` (`type` "contact", "user" or "agent_bot"),
  `conversation` (its `id` is the display id the API takes, `status`, `meta.sender`,
  `meta.assignee`) and `account`.
- Delivery (lib/webhooks/trigger.rb): a POST with a 5 s timeout; headers
  `X-Chatwoot-Delivery` (an id per delivery) and, when the bot has a secret,
  `X-Chatwoot-Timestamp` and `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256 of
  "<timestamp>.<raw body>">`. A failed delivery of a message to a bot opens the
  conversation for people: acknowledge fast, work later.
- Replies (app/controllers/api/v1/accounts/conversations/messages_controller.rb,
  app/controllers/api/v1/accounts/conversations_controller.rb#toggle_status): `POST
  /api/v1/accounts/{account}/conversations/{id}/messages` with `content`, `message_type`
  "outgoing", `private`; `POST .../toggle_status` with `status` "open" (a bot moving a
  pending conversation to open is Chatwoot's bot hand-off); header `api_access_token`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from agent.types import Customer
from channels.model import Action, ChannelEvent, Handover, Reply, SignatureError
from storage.outbox import verify_signature

NAME = "chatwoot"
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
DELIVERY_HEADER = "X-Chatwoot-Delivery"
# Chatwoot's message_type enum (app/models/message.rb), for payloads that carry the number.
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class Chatwoot:
    """The Chatwoot channel: verify and parse its bot webhooks, answer through its API."""

    base_url: str  # e.g. https://chatwoot.example.com
    bot_token: str  # the agent bot's access token (api_access_token)
    secret: str  # the agent bot's webhook secret (signs every delivery)
    account_attribute: str = "account_id"  # the contact attribute naming Kotae's account
    tolerance_s: float = 300.0
    name: str = NAME

    # ------------------------------------------------------------ in

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the delivery carries a valid, recent signature."""
        signature = _header(headers, SIGNATURE_HEADER)
        timestamp = _header(headers, TIMESTAMP_HEADER)
        if not signature or not timestamp:
            raise SignatureError(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required: "
                                 "give the agent bot a secret in Chatwoot")
        if not verify_signature(self.secret, timestamp, body, signature,
                                tolerance_s=self.tolerance_s):
            raise SignatureError("the Chatwoot signature does not match this body, or is stale")

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """Return Chatwoot's delivery id, else a hash of the body (a resent body dedupes)."""
        return _header(headers, DELIVERY_HEADER) or hashlib.sha256(body).hexdigest()

    def parse(self, payload: Mapping[str, Any]) -> list[ChannelEvent]:
        """Return what a Chatwoot bot webhook says happened."""
        event = payload.get("event")
        if event in ("message_created", "message_updated"):
            return [self._message(payload, updated=event == "message_updated")]
        if event in ("conversation_opened", "conversation_status_changed",
                     "conversation_resolved", "conversation_updated"):
            return [self._conversation(str(event), payload)]
        if event == "webwidget_triggered":
            # A visitor opened the widget: Chatwoot sends the contact inbox, no conversation.
            return [ChannelEvent(NAME, "ignored", thread_id="-",
                                 why="webwidget_triggered carries no conversation")]
        if not isinstance(event, str):
            raise ValueError("a Chatwoot webhook without an event name")
        return [ChannelEvent(NAME, "ignored", thread_id="-", why=f"event {event}")]

    def _thread(self, account_id: object, conversation_id: object) -> tuple[str, dict[str, Any]]:
        if account_id in (None, "") or conversation_id in (None, ""):
            raise ValueError("a Chatwoot webhook without account and conversation ids")
        return (f"{account_id}:{conversation_id}",
                {"account_id": account_id, "conversation_id": conversation_id})

    def customer(self, account_id: object, contact: Mapping[str, Any]) -> Customer | None:
        """Map a Chatwoot contact to Kotae's customer: its identifier (else
        chatwoot:<account>:<contact id>), its e-mail, and the account named by its custom
        attribute `account_attribute` (else its company)."""
        if not contact:
            return None
        custom = _dict(contact.get("custom_attributes"))
        extra = _dict(contact.get("additional_attributes"))
        account = custom.get(self.account_attribute) or extra.get("company_name")
        contact_id = contact.get("identifier") or (
            f"chatwoot:{account_id}:{contact['id']}" if contact.get("id") is not None else None)
        email = contact.get("email") or None
        return Customer(id=str(contact_id) if contact_id else None,
                        account_id=str(account) if account else None,
                        email=str(email) if email else None)

    def _message(self, payload: Mapping[str, Any], *, updated: bool) -> ChannelEvent:
        conversation = _dict(payload.get("conversation"))
        account_id = _dict(payload.get("account")).get("id") or conversation.get("account_id")
        thread_id, address = self._thread(account_id, conversation.get("id"))
        status = conversation.get("status")
        kind = payload.get("message_type")
        message_type = MESSAGE_TYPES.get(kind, "") if isinstance(kind, int) else str(kind or "")
        sender = _dict(payload.get("sender"))
        sender_type = str(sender.get("type") or "").lower()
        base: dict[str, Any] = {"channel": NAME, "thread_id": thread_id, "address": address,
                "status": str(status) if status else None,
                "message_id": str(payload.get("id")) if payload.get("id") is not None else None}
        if updated:
            return ChannelEvent(kind="ignored", why="message_updated (edits are not re-answered)",
                                **base)
        if payload.get("private"):
            return ChannelEvent(kind="ignored", why="a private note", **base)
        text = str(payload.get("content") or "").strip()
        if message_type == "incoming":
            contact = sender if sender_type in ("contact", "") else _dict(
                _dict(conversation.get("meta")).get("sender"))
            customer = self.customer(account_id, contact)
            if not text:
                return ChannelEvent(kind="ignored", why="an incoming message without text",
                                    **base)
            return ChannelEvent(kind="customer_message", text=text, customer=customer,
                                bot_may_answer=status == "pending",
                                has_email=bool(customer and customer.email), **base)
        if message_type == "outgoing" and sender_type == "user":
            return ChannelEvent(kind="agent_message", text=text,
                                author=str(sender.get("name") or sender.get("email") or ""),
                                **base)
        return ChannelEvent(kind="ignored",
                            why=f"a {message_type or 'typeless'} message from "
                                f"{sender_type or 'nobody'}", **base)

    def _conversation(self, event: str, payload: Mapping[str, Any]) -> ChannelEvent:
        account_id = payload.get("account_id") or _dict(payload.get("account")).get("id")
        thread_id, address = self._thread(account_id, payload.get("id"))
        status = str(payload.get("status") or "")
        base: dict[str, Any] = {"channel": NAME, "thread_id": thread_id, "address": address,
                "status": status or None}
        assignee = _dict(_dict(payload.get("meta")).get("assignee"))
        if event == "conversation_resolved" or status == "resolved":
            return ChannelEvent(kind="resolved", **base)
        if status == "open" or assignee:
            return ChannelEvent(kind="claimed", author=str(assignee.get("name") or ""), **base)
        if status == "pending":
            return ChannelEvent(kind="released", **base)
        return ChannelEvent(kind="opened", **base)

    # ------------------------------------------------------------ out

    def steps(self, action: Action) -> list[str]:
        """Return the API calls an action takes, in order."""
        if isinstance(action, Reply):
            return ["reply"]
        return [*(["notice"] if action.notice else []), *(["note"] if action.note else []),
                "open"]

    def perform(self, client: httpx.Client, address: Mapping[str, Any], action: Action,
                step: str) -> None:
        """Make one call to Chatwoot's API (raise httpx.HTTPError to be retried)."""
        base = (f"{self.base_url.rstrip('/')}/api/v1/accounts/{address['account_id']}"
                f"/conversations/{address['conversation_id']}")
        headers = {"api_access_token": self.bot_token}
        if step == "open":
            response = client.post(f"{base}/toggle_status", json={"status": "open"},
                                   headers=headers)
        else:
            if isinstance(action, Reply):
                content, private = action.text, False
            elif step == "notice":
                content, private = action.notice or "", False
            else:
                assert isinstance(action, Handover)
                content, private = action.note, True
            response = client.post(f"{base}/messages", headers=headers, json={
                "content": content, "message_type": "outgoing", "private": private,
                "content_type": "text"})
        response.raise_for_status()
