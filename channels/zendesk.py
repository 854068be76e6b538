"""Zendesk: a trigger's webhook in, a ticket comment (public answer or internal note) out.

Zendesk signs every webhook (developer.zendesk.com, "Verifying webhook authenticity"):
`X-Zendesk-Webhook-Signature` is base64(HMAC-SHA256(signing secret, timestamp + body)) with
the timestamp from `X-Zendesk-Webhook-Signature-Timestamp`. A webhook's body is what the
trigger that notifies it says; docs/CHANNELS.md gives the trigger bodies Kotae reads
(`event` ticket_created, public_comment, agent_comment, ticket_solved; `ticket_id`, `subject`,
`text`, `requester`, `organization`).

Replies update the ticket (`PUT /api/v2/tickets/{id}.json` with a `comment` {`body`,
`public`} and `additional_tags`), authenticated as `{email}/token:{api_token}`. A known
question gets a public answer, unless its tag is listed as draft-only: then an internal
note with the draft. A hand-over leaves an internal note with the reason, sources and
draft. Either way the ticket is tagged `kotae`, `kotae_answered` or `kotae_escalated`,
`kotae_reason_<reason>` and `kotae_tag_<tag>`, for views and triggers to route on.

`python -m channels.zendesk import-tickets EXPORT.json -o tickets.jsonl` turns a Zendesk
ticket export (the API's {"tickets": [...]}, a JSON array, or the NDJSON full export with
comments) into the past-tickets format `ingest_kb.py --tickets` reads, through the same
column mapping (`--ticket-columns`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from agent.types import Customer
from channels.model import Action, ChannelEvent, Handover, Reply, SignatureError
from retrieval.loaders import parse_column_map, ticket_from_row
from retrieval.types import Problem, Ticket

NAME = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
_TAG_UNSAFE = re.compile(r"[^a-z0-9_]+")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def zendesk_tag(prefix: str, value: str | None) -> str | None:
    """Return a Zendesk-safe tag (lower case, no spaces), e.g. kotae_tag_billing."""
    if not value:
        return None
    return f"{prefix}{_TAG_UNSAFE.sub('_', value.lower()).strip('_')}"[:80]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return Zendesk's signature of a body sent at timestamp."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Zendesk:
    """The Zendesk channel: verify and parse trigger webhooks, comment on tickets."""

    base_url: str  # https://<subdomain>.zendesk.com
    email: str  # the agent Kotae comments as
    api_token: str
    secret: str  # the webhook's signing secret
    draft_only: Sequence[str] = ()  # tags whose answers are left as internal drafts
    tolerance_s: float = 300.0
    name: str = NAME

    # ------------------------------------------------------------ in

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless Zendesk signed this body recently."""
        signature = _header(headers, SIGNATURE_HEADER)
        timestamp = _header(headers, TIMESTAMP_HEADER)
        if not signature or not timestamp:
            raise SignatureError(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
        try:
            sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SignatureError("the Zendesk signature timestamp is not ISO 8601") from exc
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - sent).total_seconds()) > self.tolerance_s:
            raise SignatureError("the Zendesk signature is stale")
        if not hmac.compare_digest(sign(self.secret, timestamp, body), signature):
            raise SignatureError("the Zendesk signature does not match this body")

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """Return an id for this delivery (Zendesk resends the same body on retries)."""
        return _header(headers, "X-Zendesk-Webhook-Invocation-Id") or hashlib.sha256(
            body).hexdigest()

    def parse(self, payload: Mapping[str, Any]) -> list[ChannelEvent]:
        """Return what a Kotae trigger's webhook says happened to a ticket."""
        event = str(payload.get("event") or "")
        ticket_id = str(payload.get("ticket_id") or "").strip()
        if not ticket_id:
            raise ValueError("a Zendesk webhook without ticket_id")
        text = str(payload.get("text") or "").strip()
        base: dict[str, Any] = {"channel": NAME, "thread_id": ticket_id,
                                "address": {"ticket_id": ticket_id},
                                "status": str(payload.get("status") or "") or None}
        requester = payload.get("requester") if isinstance(payload.get("requester"),
                                                           dict) else {}
        if event in ("ticket_created", "public_comment"):
            if not text:
                return [ChannelEvent(kind="ignored", why="a comment without text", **base)]
            email = str((requester or {}).get("email") or "") or None
            customer = Customer(
                id=f"zendesk:{(requester or {}).get('id')}" if (requester or {}).get("id")
                else None,
                email=email, account_id=str(payload.get("organization") or "") or None)
            subject = str(payload.get("subject") or "").strip()
            words = f"{subject}\n\n{text}" if event == "ticket_created" and subject and (
                subject not in text) else text
            digest = hashlib.sha256(words.encode()).hexdigest()[:16]
            return [ChannelEvent(kind="customer_message", text=words, customer=customer,
                                 message_id=str(payload.get("comment_id") or digest),
                                 has_email=bool(email), **base)]
        if event == "agent_comment":
            if str(payload.get("author_email") or "").lower() == self.email.lower():
                return [ChannelEvent(kind="ignored", why="Kotae's own comment", **base)]
            return [ChannelEvent(kind="agent_message", text=text,
                                 author=str(payload.get("author") or "") or None, **base)]
        if event == "ticket_solved":
            return [ChannelEvent(kind="resolved", **base)]
        return [ChannelEvent(kind="ignored", why=f"event {event or 'missing'}", **base)]

    # ------------------------------------------------------------ out

    def steps(self, action: Action) -> list[str]:
        """Return the ticket updates an action makes: one comment with its tags."""
        if isinstance(action, Handover) and not action.note:
            return []
        return ["comment"]

    def update(self, action: Action) -> dict[str, Any]:
        """Return the ticket update for an action: the comment and the tags."""
        if isinstance(action, Reply):
            draft = action.tag is not None and action.tag in self.draft_only
            body = (f"Kotae's draft answer (not sent; tag {action.tag}):\n\n{action.text}"
                    if draft else action.text)
            tags = ["kotae", "kotae_draft" if draft else "kotae_answered",
                    zendesk_tag("kotae_tag_", action.tag)]
            comment = {"body": body, "public": not draft}
        else:
            tags = ["kotae", "kotae_escalated", zendesk_tag("kotae_reason_", action.reason),
                    zendesk_tag("kotae_tag_", action.tag)]
            comment = {"body": action.note, "public": False}
        return {"ticket": {"comment": comment, "additional_tags": [t for t in tags if t]}}

    def perform(self, client: httpx.Client, address: Mapping[str, Any], action: Action,
                step: str) -> None:
        """Update the ticket (raise httpx.HTTPError to be retried)."""
        response = client.put(
            f"{self.base_url.rstrip('/')}/api/v2/tickets/{address['ticket_id']}.json",
            json=self.update(action), auth=(f"{self.email}/token", self.api_token))
        response.raise_for_status()


# ---------------------------------------------------------------- importing an export

#: How a Zendesk ticket's fields become past-ticket fields unless --ticket-columns says
#: otherwise (the same mapping ingest_kb.py takes).
DEFAULT_COLUMNS = {"body": "description", "resolution": "public_reply", "tag": "type",
                   "account_id": "organization_id"}


@dataclass
class ImportResult:
    """What an import read."""

    tickets: list[Ticket] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # NDJSON: one ticket per line
        if isinstance(data, dict) and isinstance(data.get("tickets"), list):
            for index, item in enumerate(data["tickets"]):
                yield f"{path}:tickets[{index}]", item
            return
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield f"{path}:[{index}]", item
            return
        if isinstance(data, dict):
            yield f"{path}", data.get("ticket", data)
            return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield f"{path}:{lineno}", json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{path}:{lineno}", Problem(f"{path}:{lineno}",
                                                  f"malformed JSON: {exc.msg}",
                                                  "fix or remove this line")


def flatten(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """Return a Zendesk ticket as one row: its fields, tags joined, and `public_reply`: the
    last public comment by someone other than the requester on a solved or closed ticket."""
    row: dict[str, Any] = {key: value for key, value in ticket.items()
                           if not isinstance(value, dict | list)}
    row["tags"] = ", ".join(map(str, ticket.get("tags") or []))
    comments = [c for c in ticket.get("comments") or [] if isinstance(c, dict)]
    if not row.get("description") and comments:
        first = comments[0]
        row["description"] = first.get("plain_body") or first.get("body")
    if str(ticket.get("status") or "") in ("solved", "closed"):
        replies = [c for c in comments if c.get("public", True)
                   and c.get("author_id") != ticket.get("requester_id")]
        if replies:
            row["public_reply"] = replies[-1].get("plain_body") or replies[-1].get("body")
    row.pop("comments", None)
    return row


def import_tickets(path: Path, columns: Mapping[str, str] | None = None) -> ImportResult:
    """Read a Zendesk ticket export into past tickets, mapping its fields."""
    mapping = {**DEFAULT_COLUMNS, **(columns or {})}
    result = ImportResult()
    seen: set[str] = set()
    for where, record in _records(path):
        if isinstance(record, Problem):
            result.problems.append(record)
            continue
        if not isinstance(record, dict):
            result.problems.append(Problem(where, "expected a ticket object",
                                           "export tickets as JSON"))
            continue
        ticket = ticket_from_row(flatten(record), where, mapping)
        if isinstance(ticket, Problem):
            result.problems.append(ticket)
        elif ticket.id in seen:
            result.problems.append(Problem(where, f"duplicate ticket id {ticket.id!r}",
                                           "the later one was skipped"))
        else:
            seen.add(ticket.id)
            result.tickets.append(ticket)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run `python -m channels.zendesk import-tickets EXPORT -o OUT.jsonl`."""
    parser = argparse.ArgumentParser(
        prog="python -m channels.zendesk",
        description="Zendesk tools. Example: python -m channels.zendesk import-tickets "
        "export.json -o tickets.jsonl && python ingest_kb.py --tickets tickets.jsonl ...")
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import-tickets",
                                   help="turn a Zendesk ticket export into past tickets")
    importer.add_argument("export", type=Path, help="the export: JSON or NDJSON")
    importer.add_argument("-o", "--output", type=Path, required=True, help="a .jsonl file")
    importer.add_argument("--ticket-columns", metavar="MAP", default=None,
                          help="field=column overrides, e.g. 'tag=priority' (defaults: "
                          + ",".join(f"{k}={v}" for k, v in DEFAULT_COLUMNS.items()) + ")")
    args = parser.parse_args(argv)
    try:
        columns = parse_column_map(args.ticket_columns)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.export.is_file():
        parser.error(f"no such file: {args.export}")
    result = import_tickets(args.export, columns)
    with args.output.open("w", encoding="utf-8") as out:
        for ticket in result.tickets:
            # The past-tickets format: its fields, and the export's other fields beside them
            # (ingest_kb.py keeps those as metadata).
            fields = {k: v for k, v in asdict(ticket).items()
                      if k not in ("origin", "metadata") and v}
            record = {**ticket.metadata, **fields}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print(f"{len(result.tickets)} tickets written to {args.output}; "
          f"{len(result.problems)} problems")
    return 1 if result.problems and not result.tickets else 0


if __name__ == "__main__":
    sys.exit(main())
