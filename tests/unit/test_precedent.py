"""A resolution is cleaned before it answers other customers."""

from pathlib import Path

from agent.policy import Policy
from agent.precedent import clean_resolution

POLICY = Policy.load()


def test_an_english_reply_loses_greeting_edit_note_sign_off_and_signature() -> None:
    reply = ("Hi Ken,\n\nThanks for reaching out!\nUse Board view > Export > PDF and choose A0 "
             "as page size. (edited by Alex)\n\nBest regards,\nAlex Chen\nTsunagu Support")
    assert clean_resolution(reply, POLICY) == (
        "Use Board view > Export > PDF and choose A0 as page size.")


def test_a_japanese_reply_loses_greeting_edit_note_and_sign_off() -> None:
    reply = ("山田様\n\nお世話になっております。\nボード表示 > エクスポート > PDF を選び、"
             "用紙サイズをA0にしてください。（佐藤が編集）\n\nよろしくお願いいたします。\n"
             "つなぐサポート 佐藤")
    assert clean_resolution(reply, POLICY) == (
        "ボード表示 > エクスポート > PDF を選び、用紙サイズをA0にしてください。")


def test_personal_data_in_the_body_is_masked() -> None:
    cleaned = clean_resolution("I have updated ken@bluefin.example; card 4242 4242 4242 4242 "
                               "was refunded.", POLICY)
    assert cleaned == "I have updated [EMAIL]; card [CARD ****4242] was refunded."


def test_body_lines_that_start_like_a_sign_off_are_kept() -> None:
    reply = ("Open Workspace settings > Members.\nThanks to the new importer, a CSV of 500 "
             "members can be invited at once from the same page.")
    assert clean_resolution(reply, POLICY) == reply


def test_the_phrases_are_policy_data(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("extends: default\nreplace: [precedent_cleaning]\nprecedent_cleaning:\n  greetings: ['yo\\b.*']\n  signoffs: []\n"
                    "  edit_notes: []\n", encoding="utf-8")
    custom = Policy.load(path)
    assert clean_resolution("Yo Ken!\nUse Billing.\nBest,\nAlex", custom) == (
        "Use Billing.\nBest,\nAlex")
