"""E-mail: a provider's inbound webhook in, replies over SMTP in the customer's thread.

Inbound is the JSON shape Postmark's inbound webhook sends and many providers copy:
`FromFull` {`Email`, `Name`}, `Subject`, `TextBody`, `StrippedTextReply`, `MessageID`,
`Headers` [{`Name`, `Value`}] and, when the provider is asked to include it, `RawEmail`
(the message as received). From `RawEmail` the body is decoded in its own charset
(ISO-2022-JP, Shift_JIS, …) by Python's e-mail package; otherwise `TextBody` (already
decoded by the provider) is read. Quoted history and signatures are cut in English and
Japanese before the agent reads the text (`strip_quoted`). The webhook is authenticated
with HTTP Basic credentials in the URL the provider posts to (Postmark's own scheme);
the password is the shared secret.

Outbound replies go over SMTP with `In-Reply-To` and `References`, so the customer's mail
program shows them in the thread, and the customer's reply lands in the same
conversation (a thread is named by the first Message-ID of its `References`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

import httpx

from agent.types import Customer
from channels.model import Action, ChannelEvent, Reply, SignatureError

NAME = "email"
_ID = re.compile(r"<[^<>\s]+>")

# Where the quoted history of a reply begins, in English and Japanese mail programs.
_HISTORY = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded message|元のメッセージ|転送メッセージ)\s*-{2,}"
    r"|On .{4,200}wrote:\s*$"
    r"|\d{4}年\d{1,2}月\d{1,2}日.{0,80}(書きました|wrote)[:：]?\s*$"
    r"|\d{4}年\d{1,2}月\d{1,2}日.{0,120}<[^<>\s]+@[^<>\s]+>\s*[:：]\s*$"
    r"|(差出人|送信者|送信日時|From|Sent)\s*[:：]"
    r"|_{10,}\s*$)",
    re.IGNORECASE,
)
# Where a signature begins: the standard "-- " line, or a rule line as Japanese signatures
# draw them (----, ====, ━━━━, ＝＝＝＝).
_SIGNATURE = re.compile(r"^\s*(--\s*|[-=_＝━─]{4,}\s*)$")


def strip_quoted(text: str) -> str:
    """Return a reply's own words: no quoted history, no "> " lines, no signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _HISTORY.match(line) or _SIGNATURE.match(line):
            break
        if line.lstrip().startswith((">", "＞")):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _ids(value: str | None) -> list[str]:
    return _ID.findall(value or "")


def _thread_key(message_id: str) -> str:
    # A Message-ID can outgrow the column: long ones are named by their hash.
    return message_id if len(message_id) <= 200 else hashlib.sha256(message_id.encode()
                                                                     ).hexdigest()


@dataclass
class Email:
    """The e-mail channel: Postmark-shaped inbound webhooks, SMTP replies."""

    smtp_host: str
    smtp_port: int
    sender: str  # the From of replies, e.g. "Support <support@example.com>"
    secret: str  # the Basic-auth password in the inbound webhook's URL
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    timeout_s: float = 30.0
    name: str = NAME

    # ------------------------------------------------------------ in

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the request carries the shared secret (Basic auth)."""
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise SignatureError("inbound e-mail needs HTTP Basic credentials: put them in "
                                 "the webhook URL (https://user:<secret>@host/...)")
        try:
            _, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise SignatureError("malformed Basic credentials") from exc
        if not hmac.compare_digest(password.encode(), self.secret.encode()):
            raise SignatureError("wrong inbound e-mail credentials")

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """Return the provider's message id, else a hash of the body."""
        return hashlib.sha256(body).hexdigest()

    def parse(self, payload: Mapping[str, Any]) -> list[ChannelEvent]:
        """Return the customer's message in an inbound e-mail."""
        headers = {str(h.get("Name", "")).lower(): str(h.get("Value", ""))
                   for h in payload.get("Headers") or [] if isinstance(h, dict)}
        sender = payload.get("FromFull") if isinstance(payload.get("FromFull"), dict) else {}
        address = str((sender or {}).get("Email") or parseaddr(str(payload.get("From", "")))[1])
        name = str((sender or {}).get("Name") or "")
        subject = str(payload.get("Subject") or "")
        text = str(payload.get("TextBody") or "")
        raw = payload.get("RawEmail")
        if isinstance(raw, str) and raw.strip():
            message = message_from_string(raw, policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            if part is not None:
                text = str(part.get_content())  # decoded from its charset
            for key in ("message-id", "in-reply-to", "references"):
                if message[key] and key not in headers:
                    headers[key] = str(message[key])
            subject = subject or str(message["subject"] or "")
            address = address or parseaddr(str(message["from"] or ""))[1]
        if not address:
            raise ValueError("an inbound e-mail without a sender address")
        message_id = (_ids(headers.get("message-id")) or
                      [f"<{payload.get('MessageID') or hashlib.sha256(text.encode()).hexdigest()}"
                       "@inbound>"])[0]
        references = _ids(headers.get("references"))
        in_reply_to = _ids(headers.get("in-reply-to"))
        root = (references or in_reply_to or [message_id])[0]
        words = strip_quoted(text) or strip_quoted(str(payload.get("StrippedTextReply") or ""))
        base: dict[str, Any] = {
            "channel": NAME, "thread_id": _thread_key(root), "message_id": message_id,
            "address": {"to": address, "name": name, "subject": subject,
                        "message_id": message_id,
                        "references": [*references, *[i for i in in_reply_to
                                                      if i not in references], message_id]},
        }
        if not words:
            return [ChannelEvent(kind="ignored", why="an e-mail with no words of its own",
                                 **base)]
        customer = Customer(id=f"email:{address.lower()}", email=address)
        return [ChannelEvent(kind="customer_message", text=words, customer=customer,
                             has_email=True, **base)]

    # ------------------------------------------------------------ out

    def steps(self, action: Action) -> list[str]:
        """Return the mails an action sends: the reply, or the notice of a hand-over."""
        if isinstance(action, Reply):
            return ["reply"]
        return ["notice"] if action.notice else []

    def message(self, address: Mapping[str, Any], text: str) -> EmailMessage:
        """Return the reply to the thread's latest message, threaded."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = str(address["to"])
        subject = str(address.get("subject") or "")
        mail["Subject"] = subject if re.match(r"^\s*(re|ｒｅ)\s*[:：]", subject, re.I) else (
            f"Re: {subject}" if subject else "Re:")
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(domain=domain)
        mail["In-Reply-To"] = str(address["message_id"])
        mail["References"] = " ".join(address.get("references") or [address["message_id"]])
        mail.set_content(text)
        return mail

    def perform(self, client: httpx.Client, address: Mapping[str, Any], action: Action,
                step: str) -> None:
        """Send one mail over SMTP (an SMTP or network error is retried by the runner)."""
        text = action.text if isinstance(action, Reply) else (action.notice or "")
        mail = self.message(address, text)
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout_s) as smtp:
            if self.smtp_starttls:
                smtp.starttls()
            if self.smtp_username:
                smtp.login(self.smtp_username, self.smtp_password or "")
            smtp.send_message(mail)
