"""Reading eval case files: the documented format, and bad lines reported as path:line."""

from __future__ import annotations

import json
from pathlib import Path

from eval.cases import EvalCase, load_cases, write_cases


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_malformed_line_is_reported_as_path_and_line_and_skipped(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [
        json.dumps({"id": "a", "inquiry": "How do I invite people?"}),
        '{"id": "b", "inquiry": "broken',
        "",
        json.dumps({"id": "c", "inquiry": "請求書を再発行できますか", "language": "ja"}),
    ])
    loaded = load_cases(path)
    assert [c.id for c in loaded.cases] == ["a", "c"]
    assert len(loaded.problems) == 1
    assert loaded.problems[0].location == f"{path}:2"
    assert "malformed JSON" in str(loaded.problems[0])


def test_invalid_cases_say_what_is_wrong_and_the_rest_still_load(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [
        json.dumps({"id": "both", "inquiry": "x", "messages": [{"role": "customer",
                                                                "text": "y"}]}),
        json.dumps({"id": "no-customer", "messages": [{"role": "assistant", "text": "hi"}]}),
        json.dumps({"id": "bad-reason", "inquiry": "x", "expected_reason": "vibes"}),
        json.dumps({"id": "bad-action", "inquiry": "x", "expected_action": "maybe"}),
        json.dumps({"id": "contradiction", "inquiry": "x", "expected_action": "answer",
                    "expected_reason": "policy"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "ok", "inquiry": "fine"}),
        json.dumps({"id": "ok", "inquiry": "again"}),
    ])
    loaded = load_cases(path)
    assert [c.id for c in loaded.cases] == ["ok"]
    where = [p.location.rsplit(":", 1)[1] for p in loaded.problems]
    assert where == ["1", "2", "3", "4", "5", "6", "8"]
    text = [str(p) for p in loaded.problems]
    assert "exactly one of 'inquiry'" in text[0]
    assert "role 'customer'" in text[1]
    assert "expected_reason" in text[2]
    assert "duplicate case id 'ok'" in text[6]


def test_a_conversation_is_sent_as_history_plus_the_last_customer_turn() -> None:
    case = EvalCase(id="m", messages=[
        {"role": "customer", "text": "How do I export my data?"},
        {"role": "assistant", "text": "Go to Settings > Export."},
        {"role": "customer", "text": "Does that include attachments?"},
        {"role": "agent", "text": "(typing)"},
    ], account_id="acct_1", language="en")
    inquiry = case.to_inquiry()
    assert inquiry.text == "Does that include attachments?"
    assert [m.text for m in inquiry.history] == ["How do I export my data?",
                                                 "Go to Settings > Export."]
    assert inquiry.customer is not None and inquiry.customer.account_id == "acct_1"
    assert inquiry.id == "m" and inquiry.conversation_id == "m"
    # The labelled language is what is checked, not a hint to the agent.
    assert inquiry.language is None


def test_nulls_lists_and_extra_fields_are_accepted_and_written_back(tmp_path: Path) -> None:
    record = {"id": "E-1", "inquiry": "x", "expected_tag": ["bug", "success_opportunity"],
              "expected_action": "escalate", "expected_reason": None,
              "reference_answer": None, "relevant_ids": [], "category": "sso", "notes": "n"}
    path = write_lines(tmp_path / "in.jsonl", [json.dumps(record)])
    case = load_cases(path).cases[0]
    assert case.expected_tag == ("bug", "success_opportunity")
    assert case.expected_reason == () and case.expected_escalation
    assert case.extra == {"category": "sso", "notes": "n"}
    write_cases(tmp_path / "out.jsonl", [case])
    again = load_cases(tmp_path / "out.jsonl").cases[0]
    assert again == case


def test_language_is_detected_when_not_labelled() -> None:
    assert EvalCase(id="j", inquiry="請求書を再発行できますか").case_language == "ja"
    assert EvalCase(id="e", inquiry="Can you reissue an invoice?").case_language == "en"


def test_a_region_qualified_label_is_read_as_its_language() -> None:
    assert EvalCase(id="j", inquiry="請求書", language="ja-JP").case_language == "ja"
    assert EvalCase(id="e", inquiry="Invoice", language="EN-us").case_language == "en"


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    loaded = load_cases(tmp_path / "missing.jsonl")
    assert loaded.cases == [] and "cannot read cases" in str(loaded.problems[0])


def test_facts_are_read_written_back_and_bad_ones_explained(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [
        json.dumps({"id": "ok", "inquiry": "x", "expected_action": "answer",
                    "facts": ["Admin > Accounts", " 30 days|30日 "]}, ensure_ascii=False),
        json.dumps({"id": "string", "inquiry": "x", "facts": "Admin > Accounts"}),
        json.dumps({"id": "empty-alt", "inquiry": "x", "facts": ["30 days|"]}),
        json.dumps({"id": "number", "inquiry": "x", "facts": [30]}),
        json.dumps({"id": "escalate", "inquiry": "x", "expected_action": "escalate",
                    "facts": ["30 days"]}),
    ])
    loaded = load_cases(path)
    assert [c.id for c in loaded.cases] == ["ok"]
    assert loaded.cases[0].facts == ("Admin > Accounts", "30 days|30日")
    messages = {p.location.rsplit(":", 1)[1]: str(p) for p in loaded.problems}
    assert "facts: must be a list of strings" in messages["2"]
    assert "empty alternative" in messages["3"]
    assert "each fact must be a string, got int" in messages["4"]
    assert "'facts' are what an answer must contain" in messages["5"]
    write_cases(tmp_path / "out.jsonl", loaded.cases)
    assert load_cases(tmp_path / "out.jsonl").cases == loaded.cases


def test_the_openai_chat_shape_is_read_as_a_conversation() -> None:
    case = EvalCase.model_validate({"id": "o", "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "How do I export my data?"},
        {"role": "assistant", "content": "Go to Settings > Export.", "name": "bot"},
        {"role": "user", "content": [{"type": "text", "text": "Does that include"},
                                     {"type": "text", "text": "attachments?"}]},
    ]})
    inquiry = case.to_inquiry()
    assert inquiry.text == "Does that include\nattachments?"
    assert [(m.role, m.text) for m in inquiry.history] == [
        ("customer", "How do I export my data?"), ("assistant", "Go to Settings > Export.")]
    assert case.to_json()["messages"][0] == {"role": "customer",
                                             "text": "How do I export my data?"}


def test_openai_turns_that_cannot_be_replayed_are_explained(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", [
        json.dumps({"id": "only-system", "messages": [{"role": "system", "content": "hi"}]}),
        json.dumps({"id": "tool", "messages": [{"role": "tool", "content": "{}"}]}),
        json.dumps({"id": "image", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://x.example/a.png"}}]}]}),
        json.dumps({"id": "both", "messages": [{"role": "user", "content": "a", "text": "b"}]}),
        json.dumps({"id": "ja", "messages": [{"role": "user", "content": "請求書はどこですか"}]},
                   ensure_ascii=False),
    ])
    loaded = load_cases(path)
    assert [c.id for c in loaded.cases] == ["ja"]
    messages = {p.location.rsplit(":", 1)[1]: str(p) for p in loaded.problems}
    assert "needs at least one turn with role 'customer' (or 'user'" in messages["1"]
    assert "role 'tool' is not one of user, assistant, system" in messages["2"]
    assert "images and other parts cannot be replayed" in messages["3"]
    assert "has both 'text'" in messages["4"]
    assert loaded.cases[0].text == "請求書はどこですか"
    assert loaded.cases[0].case_language == "ja"
