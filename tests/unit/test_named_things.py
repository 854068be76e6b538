"""The things a question names, which no source may mention (agent.reading.named_things)."""

from __future__ import annotations

import pytest

from agent.policy import Policy
from agent.reading import asked_text, named_things


@pytest.mark.parametrize(("text", "names"), [
    ("Can we pay for our subscription with PayPal?", ["PayPal"]),
    ("Does the API have a GraphQL endpoint?", ["API", "GraphQL"]),
    ("Can approval requests be posted to a Slack channel?", ["Slack"]),
    ("Can I export our timeline to Microsoft Project (.mpp)?", ["Microsoft", "Project"]),
    ("Slackに承認依頼を通知できますか？", ["Slack"]),
    ("PayPayで利用料金を支払うことはできますか？", ["PayPay"]),
    ("LINE WORKSと連携できますか？", ["LINE", "WORKS"]),
])
def test_a_name_is_read_from_its_form_in_both_languages(text: str, names: list[str]) -> None:
    assert named_things(text) == names


@pytest.mark.parametrize("text", [
    "How do I forward a receipt? Can I send it from my gmail address?",  # sentence starts
    "What does error E102 mean?",  # a code with digits is not a name
    "Can I get the 2FA codes by text message?",  # nor its letters ("FA")
    "領収書を撮影して申請したいです。",
    "I", "",
])
def test_sentence_starts_codes_and_plain_words_are_not_names(text: str) -> None:
    assert named_things(text) == []


@pytest.mark.parametrize(("text", "asked"), [
    # a place, a team or a person in the context is the customer's situation
    ("What are your support hours? We're in London.", "What are your support hours?"),
    ("Someone renamed 30 tasks in our Finance project. Can I see who in the audit log?",
     "Can I see who in the audit log?"),
    ("Our CFO wants an extra approval above ¥100,000. Possible?", "Possible?"),
    ("来週から大阪オフィスで使います。Slackに通知できますか？", "Slackに通知できますか？"),
    # one sentence, or none that asks: the whole question
    ("Can we pay for our subscription with PayPal?",
     "Can we pay for our subscription with PayPal?"),
    ("Our Jira import failed. The file has 2,000 rows.",
     "Our Jira import failed. The file has 2,000 rows."),
])
def test_only_the_sentences_that_ask_are_read_for_names(text: str, asked: str) -> None:
    policy = Policy.load()
    assert asked_text(text, policy) == asked
    assert named_things(asked_text("We're in London. Can we pay with PayPal?", policy)) == [
        "PayPal"]


def test_the_shipped_answer_model_trusts_a_source_less_when_the_question_names_what_it_lacks(
        ) -> None:
    model = Policy.load().answerability("local-multilingual-e5-small-int8")
    assert model is not None and "unknown_name" in model.features
    evidence = {"confidence": 0.7, "cosine": 0.8, "vector": 1.0, "passage_match": 1.2,
                "coverage": 0.6, "rare_found": 1.0, "both_legs": 1.0, "fused": 1.0,
                "margin": 0.3, "same_language": 1.0, "tag_confidence": 0.9, "terms": 2.0}
    assert model.probability({**evidence, "unknown_name": 1.0}) < model.probability(
        {**evidence, "unknown_name": 0.0})
