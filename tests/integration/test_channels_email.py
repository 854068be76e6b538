"""E-mail in and out: a Postmark-shaped inbound webhook, replies through a real SMTP server
(aiosmtpd) on 127.0.0.1, threaded; Japanese ISO-2022-JP mail with quoted history answered in
Japanese; an English reply continuing the same conversation; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import text

from agent.types import Decision, Inquiry
from tests.integration.test_api_harness import FakeAgent, client_for, services_of, wait_until
from tests.support.net import free_port

SECRET = "inbound-secret-0123456789"
SUPPORT = "Kotae Support <support@kotae.example>"


class MultilingualAgent(FakeAgent):
    """The harness's fake agent, answering Japanese questions in Japanese."""

    def _decide(self, inquiry: Inquiry) -> Decision:
        decision = super()._decide(inquiry)
        if decision.language == "ja" and decision.action == "answer":
            return decision.model_copy(update={
                "answer": "請求書は「設定」→「請求」からダウンロードできます。"})
        return decision


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail(db_url: str, smtp: tuple[Mailbox, int]) -> Iterator[tuple[TestClient, Mailbox,
                                                                  MultilingualAgent]]:
    mailbox, port = smtp
    agent = MultilingualAgent()
    with client_for(db_url, agent=agent, email_from=SUPPORT, email_webhook_secret=SECRET,
                    smtp_host="127.0.0.1", smtp_port=port, channel_poll_s=0.05,
                    channel_backoff_s=0.05) as client:
        yield client, mailbox, agent


def basic(password: str = SECRET) -> dict[str, str]:
    token = base64.b64encode(f"postmark:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def postmark(raw: bytes, *, text_body: str = "") -> dict[str, Any]:
    """Return Postmark's inbound JSON for a raw message (RawEmail included)."""
    parsed = message_from_bytes(raw, policy=policy.default)
    sender = parsed["From"].addresses[0]
    return {
        "FromName": sender.display_name, "From": sender.addr_spec,
        "FromFull": {"Email": sender.addr_spec, "Name": sender.display_name, "MailboxHash": ""},
        "To": "support@kotae.example", "ToFull": [{"Email": "support@kotae.example"}],
        "Subject": str(parsed["Subject"]), "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "Date": "Thu, 10 Dec 2026 10:00:00 +0900", "TextBody": text_body, "HtmlBody": "",
        "StrippedTextReply": "", "Tag": "", "Attachments": [],
        "Headers": [{"Name": name, "Value": str(parsed[name])}
                    for name in ("Message-ID", "In-Reply-To", "References") if parsed[name]],
        "RawEmail": raw.decode("ascii"),
    }


JAPANESE_BODY = (
    "請求書はどこでダウンロードできますか？\n"
    "\n"
    "----\n"
    "田中 芽衣\n"
    "株式会社タナカ\n"
    "\n"
    "差出人: Kotae Support <support@kotae.example>\n"
    "送信日時: 2026年12月1日 9:00\n"
    "件名: 以前のお問い合わせ\n"
    "> 以前のご案内です。パスワードの変更は設定から行えます。\n"
)


def japanese_mail() -> bytes:
    """Return a Japanese mail as Japanese mail programs send it: ISO-2022-JP, 7 bit."""
    subject = base64.b64encode("請求書について".encode("iso-2022-jp")).decode()
    body = JAPANESE_BODY.encode("iso-2022-jp")
    head = (
        "From: =?UTF-8?B?55Sw5Lit?= <mei@example.jp>\r\n"
        "To: support@kotae.example\r\n"
        f"Subject: =?ISO-2022-JP?B?{subject}?=\r\n"
        "Message-ID: <q1.20261210@example.jp>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
    )
    return head.encode("ascii") + body.replace(b"\n", b"\r\n")


def deliver(client: TestClient, payload: dict[str, Any]) -> Any:
    return client.post("/v1/channels/email", content=json.dumps(payload),
                       headers={"Content-Type": "application/json", **basic()})


def test_a_japanese_iso_2022_jp_mail_is_answered_in_japanese_in_thread_and_continued(
        mail: Any) -> None:
    client, mailbox, agent = mail
    response = deliver(client, postmark(japanese_mail()))
    assert response.status_code == 200, response.text
    wait_until(lambda: mailbox.messages, timeout_s=15, what="a reply over SMTP")
    # The agent read the question alone: no signature, no quoted history.
    assert agent.calls[0].text == "請求書はどこでダウンロードできますか？"
    reply = mailbox.messages[0]
    assert reply["To"] == "mei@example.jp"
    assert reply["From"] == SUPPORT
    assert reply["Subject"] == "Re: 請求書について"
    assert reply["In-Reply-To"] == "<q1.20261210@example.jp>"
    assert reply["References"] == "<q1.20261210@example.jp>"
    assert "請求書は「設定」→「請求」からダウンロードできます。" in reply.get_content()

    # The customer answers in English from their mail program, quoting the reply.
    follow = EmailMessage()
    follow["From"] = "Mei Tanaka <mei@example.jp>"
    follow["To"] = "support@kotae.example"
    follow["Subject"] = "Re: 請求書について"
    follow["Message-ID"] = "<q2.20261210@example.jp>"
    follow["In-Reply-To"] = reply["Message-ID"]
    follow["References"] = f"<q1.20261210@example.jp> {reply['Message-ID']}"
    follow.set_content("Thanks. How do I invite my accountant to see invoices?\n\n"
                       "On Thu, 10 Dec 2026 at 10:01, Kotae Support wrote:\n"
                       "> 請求書は「設定」→「請求」からダウンロードできます。\n")
    assert deliver(client, postmark(follow.as_bytes())).status_code == 200
    wait_until(lambda: len(mailbox.messages) == 2, timeout_s=15, what="the second reply")
    assert agent.calls[1].text == "Thanks. How do I invite my accountant to see invoices?"
    # The same conversation: the agent saw the first exchange as history.
    assert [m.role for m in agent.calls[1].history] == ["customer", "assistant"]
    second = mailbox.messages[1]
    assert second["In-Reply-To"] == "<q2.20261210@example.jp>"
    assert second["References"].split() == ["<q1.20261210@example.jp>", reply["Message-ID"],
                                            "<q2.20261210@example.jp>"]
    assert second.get_content().startswith("Open Settings")  # English for English
    with services_of(client).db.session() as session:
        conversations = session.execute(text("SELECT count(*) FROM conversations")).scalar()
        threads = session.execute(text("SELECT channel FROM channel_threads")).scalars().all()
    assert (conversations, threads) == (1, ["email"])


def test_a_shift_jis_mail_is_decoded(mail: Any) -> None:
    client, mailbox, agent = mail
    body = base64.encodebytes("パスワードを変更したいです。\r\n".encode("shift_jis")).decode()
    raw = ("From: mei@example.jp\r\nTo: support@kotae.example\r\nSubject: password\r\n"
           "Message-ID: <sj1@example.jp>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=Shift_JIS\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + body).encode("ascii")
    assert deliver(client, postmark(raw)).status_code == 200
    wait_until(lambda: mailbox.messages, timeout_s=15, what="a reply")
    assert agent.calls[0].text == "パスワードを変更したいです。"


def test_wrong_credentials_get_401_and_nothing_is_stored(mail: Any) -> None:
    client, mailbox, _agent = mail
    payload = json.dumps(postmark(japanese_mail()))
    wrong = client.post("/v1/channels/email", content=payload,
                        headers={"Content-Type": "application/json", **basic("guess")})
    none = client.post("/v1/channels/email", content=payload,
                       headers={"Content-Type": "application/json"})
    assert (wrong.status_code, none.status_code) == (401, 401)
    with services_of(client).db.session() as session:
        assert session.execute(text("SELECT count(*) FROM webhook_outbox")).scalar() == 0
    assert mailbox.messages == []
