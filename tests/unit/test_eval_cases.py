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
