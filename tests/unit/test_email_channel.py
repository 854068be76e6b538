"""Reading inbound e-mail (channels.email): quoted history and signatures cut in English and
Japanese, threads named by their first Message-ID, replies threaded."""

from __future__ import annotations

import pytest

from channels.email import Email, strip_quoted
from channels.model import Reply, SignatureError

CHANNEL = Email(smtp_host="127.0.0.1", smtp_port=25, sender="Support <help@example.com>",
                secret="s3cret-0123456789")


@pytest.mark.parametrize("body", [
    "Where is my invoice?\n\n-----Original Message-----\nFrom: Support\nOld text",
    "Where is my invoice?\n\nOn Mon, 7 Dec 2026 at 09:00, Support <help@example.com> wrote:\n> old",
    "Where is my invoice?\n> quoted line\n>> older",
    "Where is my invoice?\n\n-- \nMei Tanaka\nTanaka Trading",
    "Where is my invoice?\n\nFrom: Support <help@example.com>\nSent: Monday\nSubject: old",
])
def test_english_history_and_signatures_are_cut(body: str) -> None:
    assert strip_quoted(body) == "Where is my invoice?"


@pytest.mark.parametrize("body", [
    "請求書はどこですか？\n\n差出人: サポート <help@example.com>\n送信日時: 2026年12月7日 9:00\n件名: 以前",
    "請求書はどこですか？\n\n送信日時: 2026年12月7日 9:00",
    "請求書はどこですか？\n\n2026年12月7日(月) 9:00 サポート <help@example.com>:\n"
    "2026年12月7日 9:00 サポートさんは書きました:\n> 以前のご案内",
    "請求書はどこですか？\n\n━━━━━━━━\n田中 芽衣\n株式会社タナカ",
    "請求書はどこですか？\n＞ 以前のご案内",
    "請求書はどこですか？\n\n-----元のメッセージ-----\n以前",
])
def test_japanese_history_and_signatures_are_cut(body: str) -> None:
    assert strip_quoted(body) == "請求書はどこですか？"


def test_a_reply_is_threaded_on_the_first_message_id_and_keeps_the_chain() -> None:
    event = CHANNEL.parse({
        "FromFull": {"Email": "mei@example.jp", "Name": "Mei"}, "Subject": "Re: invoices",
        "TextBody": "And the receipts?\n> earlier",
        "Headers": [{"Name": "Message-ID", "Value": "<c3@example.jp>"},
                    {"Name": "In-Reply-To", "Value": "<k2@example.com>"},
                    {"Name": "References", "Value": "<c1@example.jp> <k2@example.com>"}],
    })[0]
    assert (event.kind, event.thread_id, event.text) == ("customer_message", "<c1@example.jp>",
                                                         "And the receipts?")
    assert event.customer is not None and event.customer.email == "mei@example.jp"
    mail = CHANNEL.message(event.address, "Open Billing.")
    assert mail["Subject"] == "Re: invoices"  # not "Re: Re:"
    assert mail["In-Reply-To"] == "<c3@example.jp>"
    assert mail["References"] == "<c1@example.jp> <k2@example.com> <c3@example.jp>"
    assert mail["Message-ID"].endswith("@example.com>")
    assert CHANNEL.steps(Reply("x")) == ["reply"]


def test_a_mail_with_nothing_of_its_own_is_ignored_and_no_sender_is_an_error() -> None:
    quoted_only = {"FromFull": {"Email": "a@example.jp"}, "TextBody": "> just quoting"}
    assert CHANNEL.parse(quoted_only)[0].kind == "ignored"
    with pytest.raises(ValueError, match="sender"):
        CHANNEL.parse({"TextBody": "hello"})


def test_only_the_shared_secret_opens_the_webhook() -> None:
    CHANNEL.verify({"Authorization": "Basic cG9zdG1hcms6czNjcmV0LTAxMjM0NTY3ODk="}, b"{}")
    for value in ("", "Bearer x", "Basic !!!", "Basic cG9zdG1hcms6bm8="):
        with pytest.raises(SignatureError):
            CHANNEL.verify({"Authorization": value}, b"{}")
