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
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


@dataclass
class Call:
    """One request the fake API received."""

    path: str
    token: str | None
    body: dict[str, Any]


@dataclass
class FakeChatwoot:
    """Chatwoot's reply API on 127.0.0.1: records calls, fails `fail_next` of them (503)."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    fail_next: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self, conversation_id: int, *, private: bool | None = None) -> list[Call]:
        """Return the messages posted to a conversation (public, private or both)."""
        path = f"/api/v1/accounts/{ACCOUNT}/conversations/{conversation_id}/messages"
        with self._lock:
            return [c for c in self.calls if c.path == path
                    and (private is None or c.body.get("private") is private)]

    def toggles(self, conversation_id: int) -> list[Call]:
        """Return the status changes asked for a conversation."""
        path = f"/api/v1/accounts/{ACCOUNT}/conversations/{conversation_id}/toggle_status"
        with self._lock:
            return [c for c in self.calls if c.path == path]


@contextlib.contextmanager
def fake_chatwoot() -> Iterator[FakeChatwoot]:
    """Run a FakeChatwoot until the block ends."""
    fake = FakeChatwoot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with fake._lock:
                failing = fake.fail_next > 0
                if failing:
                    fake.fail_next -= 1
                    fake.failures += 1
                else:
                    fake.calls.append(Call(self.path, self.headers.get("api_access_token"),
                                           json.loads(raw or b"{}")))
            body = b'{"error":"down"}' if failing else b'{"id":1}'
            self.send_response(503 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
