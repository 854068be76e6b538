"""A fake of Chatwoot for tests: its Agent Bot webhook payloads and its reply API.

Payloads follow Chatwoot's own `webhook_data` (app/models/message.rb, the conversation's
event data presenter, app/listeners/agent_bot_listener.rb) and are signed as
lib/webhooks/trigger.rb signs them: `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256 of
"<X-Chatwoot-Timestamp>.<raw body>">`, with an `X-Chatwoot-Delivery` id. The fake API records
every call on 127.0.0.1 and can be told to fail, like a Chatwoot that is down.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.recording import RecordingServer, Reply, recording_server

BOT_TOKEN = "cw_bot_token_0123456789"
BOT_SECRET = "cw_bot_secret_0123456789abcdef"
ACCOUNT = 7
_ids = itertools.count(1000)


def contact(*, email: str | None = "mei@example.jp", account: str | None = "acct-9") -> dict[
        str, Any]:
    """Return a contact as Chatwoot sends it (type "contact")."""
    return {
        "id": 501, "name": "Mei Tanaka", "email": email, "phone_number": None,
        "identifier": None, "thumbnail": "", "type": "contact",
        "additional_attributes": {"company_name": "Tanaka Trading"},
        "custom_attributes": {"account_id": account} if account else {},
    }


def agent_user() -> dict[str, Any]:
    """Return a support agent as Chatwoot sends a user sender."""
    return {"id": 12, "name": "Aiko (support)", "email": "aiko@help.example", "type": "user"}


def conversation(conversation_id: int, status: str, *, assignee: dict[str, Any] | None = None,
                 sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a conversation's webhook_data (its id is the display id the API takes)."""
    return {
        "id": conversation_id, "account_id": ACCOUNT, "inbox_id": 3, "status": status,
        "channel": "Channel::WebWidget", "can_reply": True, "unread_count": 1,
        "additional_attributes": {"browser_language": "ja"}, "custom_attributes": {},
        "contact_inbox": {"contact_id": 501, "inbox_id": 3, "source_id": str(uuid.uuid4())},
        "meta": {"sender": sender or contact(), "assignee": assignee, "team": None,
                 "hmac_verified": False},
        "messages": [], "labels": [], "timestamp": int(time.time()),
        "created_at": int(time.time()), "agent_last_seen_at": 0, "contact_last_seen_at": 0,
        "priority": None, "snoozed_until": None, "waiting_since": int(time.time()),
    }


def message_created(conversation_id: int, content: str, *, status: str = "pending",
                    message_type: str = "incoming", private: bool = False,
                    sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a message_created event as an agent bot receives it."""
    who = sender or (contact() if message_type == "incoming" else agent_user())
    return {
        "event": "message_created", "id": next(_ids), "content": content,
        "created_at": "2026-12-06T10:00:00.000Z", "message_type": message_type,
        "content_type": "text", "content_attributes": {}, "source_id": None,
        "private": private, "sender": who,
        "inbox": {"id": 3, "name": "Website"},
        "conversation": conversation(conversation_id, status),
        "account": {"id": ACCOUNT, "name": "Help desk"},
    }


def conversation_event(event: str, conversation_id: int, status: str, *,
                       assignee: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return conversation_opened / _resolved / _status_changed as an agent bot gets them."""
    return {**conversation(conversation_id, status, assignee=assignee), "event": event}


def signed(payload: dict[str, Any], *, secret: str = BOT_SECRET, timestamp: int | None = None
           ) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers Chatwoot sends for a payload."""
    body = json.dumps(payload).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Chatwoot-Timestamp": ts,
                  "X-Chatwoot-Signature": f"sha256={digest}",
                  "X-Chatwoot-Delivery": str(uuid.uuid4())}


@dataclass(frozen=True)
class Call:
    """One request the fake API received."""

    path: str
    token: str | None
    body: dict[str, Any]


class FakeChatwoot(RecordingServer):
    """Chatwoot's reply API on 127.0.0.1: records calls, fails `fail_next` of them (503)."""

    @property
    def calls(self) -> list[Call]:
        """Return the calls answered so far."""
        return [Call(r.path, r.header("api_access_token"), r.json) for r in self.recorded()]

    def messages(self, conversation_id: int, *, private: bool | None = None) -> list[Call]:
        """Return the messages posted to a conversation (public, private or both)."""
        path = f"/api/v1/accounts/{ACCOUNT}/conversations/{conversation_id}/messages"
        return [c for c in self.calls if c.path == path
                and (private is None or c.body.get("private") is private)]

    def toggles(self, conversation_id: int) -> list[Call]:
        """Return the status changes asked for a conversation."""
        path = f"/api/v1/accounts/{ACCOUNT}/conversations/{conversation_id}/toggle_status"
        return [c for c in self.calls if c.path == path]


def fake_chatwoot() -> contextlib.AbstractContextManager[FakeChatwoot]:
    """Run a FakeChatwoot until the block ends."""
    return recording_server(FakeChatwoot, ok=Reply(200, b'{"id":1}'),
                            failed=Reply(503, b'{"error":"down"}'))
