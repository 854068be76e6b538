"""Personal data through the API: webhooks carry it masked unless the receiver is trusted with
raw text, and card numbers are masked before anything is stored, so no table, screen or
event holds one. Each format in English and Japanese; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import EscalationRow, InquiryRow, MessageRow, OutboxRow, SignalRow
from tests.integration.test_api_harness import (
    WEBHOOK_SECRET,
    ask,
    auth,
    client_for,
    conversation,
    services_of,
    sqlite_url,
    wait_until,
    webhook_receiver,
)

# (what the customer wrote, what must not leave as written, its mask)
FORMATS = {
    "email": ("bob.7731@acme-corp.example", "[EMAIL]"),
    "full-width @": ("bob.7731＠acme-corp.example", "[EMAIL]"),
    "phone": ("090-1234-5678", "[PHONE]"),
    "phone, area code in brackets": ("03(7731)5678", "[PHONE]"),
    "phone, international": ("+81 90 1234 5678", "[PHONE]"),
    "card, dots": ("4012.8888.8888.1881", "[CARD ****1881]"),
    "card, spaces": ("4242 4242 4242 4242", "[CARD ****4242]"),
    "card, full-width digits": ("４０１２ ８８８８ ８８８８ １８８１", "[CARD ****1881]"),
    "My Number": ("123456789018", "[MY_NUMBER]"),
}
SENTENCES = {
    # "cancel" makes the fake agent escalate and raise a churn-risk signal quoting it all.
    "en": "Please cancel our 20 seats and call me: {value}. Thanks!",
    "ja": "20席の契約を解約(cancel)したいのでご連絡ください。連絡先は{value}です。",
}
SEPARATORS = str.maketrans("", "", " .-")
CARDS = {name: value for name, value in FORMATS.items() if name.startswith("card")}


def hooks(receiver: Any, **overrides: object) -> dict[str, object]:
    return {"webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET, **overrides}


@pytest.mark.parametrize("language", SENTENCES)
@pytest.mark.parametrize("kind", FORMATS)
def test_webhooks_carry_customers_words_masked(tmp_path: Path, kind: str, language: str) -> None:
    value, mask = FORMATS[kind]
    text = SENTENCES[language].format(value=value)
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver)) as client,
    ):
        result = ask(client, text, customer={"account_id": "acme"})
        client.post(f"/v1/escalations/{result['escalation_id']}/resolve",
                    json={"answer": f"Done: we wrote to {value}."}, headers=auth("agent"))
        wait_until(lambda: len(receiver.deliveries) == 3)
    [created] = receiver.events("escalation.created")
    [signal] = receiver.events("signal.created")
    [resolved] = receiver.events("escalation.resolved")
    for field in (created["data"]["question"], signal["data"]["evidence"],
                  resolved["data"]["answer"]):
        assert value not in field and mask in field, field
    assert "20" in created["data"]["question"]  # the rest of the words are kept


def test_a_receiver_trusted_with_raw_text_gets_it_as_written(tmp_path: Path) -> None:
    email, card = FORMATS["email"][0], FORMATS["card, dots"][0]
    text = SENTENCES["en"].format(value=f"{email}, card {card}")
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver, webhook_raw_text=True)) as client,
    ):
        ask(client, text)
        wait_until(lambda: len(receiver.deliveries) == 2)
    [created] = receiver.events("escalation.created")
    assert email in created["data"]["question"]
    # A card number is never stored, so not even a trusted receiver gets one.
    assert card not in created["data"]["question"]
    assert "[CARD ****1881]" in created["data"]["question"]


def test_raw_webhook_text_is_a_setting_that_defaults_to_masked() -> None:
    from service.settings import ApiSettings

    assert ApiSettings(_env_file=None).webhook_raw_text is False


@pytest.mark.parametrize("language", SENTENCES)
@pytest.mark.parametrize("kind", CARDS)
def test_card_numbers_are_masked_wherever_stored_or_shown(db_url: str, kind: str,
                                                          language: str) -> None:
    value, mask = FORMATS[kind]
    text = SENTENCES[language].format(value=value)
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())
    with client_for(db_url) as client:
        result = ask(client, text, customer={"account_id": "acme"})
        escalation_id = result["escalation_id"]
        resolved = client.post(f"/v1/escalations/{escalation_id}/resolve",
                               json={"answer": f"We refunded card {value}."},
                               headers=auth("agent"))
        assert resolved.status_code == 200, resolved.text
        shown = [
            json.dumps(result, ensure_ascii=False),
            json.dumps(conversation(client, result), ensure_ascii=False),
            client.get(f"/v1/escalations/{escalation_id}", headers=auth("agent")).text,
            client.get("/v1/escalations", headers=auth("agent")).text,
            client.get("/v1/signals", headers=auth("csm")).text,
            client.get("/v1/signals.csv", headers=auth("csm")).text,
        ]
        with services_of(client).db.session() as session:
            stored = [
                *session.scalars(select(InquiryRow.text)),
                *(json.dumps(d, ensure_ascii=False)
                  for d in session.scalars(select(InquiryRow.decision))),
                *session.scalars(select(MessageRow.text)),
                *session.scalars(select(EscalationRow.resolution)),
                *session.scalars(select(SignalRow.evidence)),
                *(json.dumps(p, ensure_ascii=False)
                  for p in session.scalars(select(OutboxRow.payload))),
            ]
    for where in [*shown, *stored]:
        assert value not in where
        assert digits not in unicodedata.normalize("NFKC", where).translate(SEPARATORS)
    detail = json.loads(shown[2])
    assert mask in detail["question"] and mask in detail["resolution"]
    assert any(mask in m["text"] for m in detail["conversation"]["messages"])
