"""An intent bot's data through the whole agent: labelled utterances and a taxonomy that gives
each label a reply, no knowledge base. A confidently recognised intent is answered with its
reply in the customer's language; an unknown one escalates."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from eval.cli import main

INTENTS = {
    "reset_password": (
        ["I forgot my password", "how do I reset my password", "can't remember my password",
         "password reset please", "I need a new password", "lost my password, help",
         "パスワードを忘れました", "パスワードをリセットしたい", "パスワードの再設定方法",
         "パスワードが分からなくなりました"],
        {"en": "Use 'Forgot password' on the sign-in page; the link is valid for 1 hour.",
         "ja": "サインイン画面の「パスワードをお忘れの方」から再設定できます。リンクの有効期限は1時間です。"}),
    "opening_hours": (
        ["when are you open", "what are your support hours", "are you open on weekends",
         "opening hours?", "what time does support start", "is support available at night",
         "営業時間を教えてください", "サポートは何時からですか", "土日も対応していますか",
         "問い合わせ窓口の受付時間は"],
        {"en": "Support is open 9:00-18:00 JST on weekdays.",
         "ja": "サポートの受付時間は平日9時〜18時です。"}),
    "cancel_order": (
        ["cancel my order", "I want to cancel the order I placed", "how can I cancel an order",
         "stop my order please", "please cancel order 1234", "undo my purchase order",
         "注文をキャンセルしたい", "注文の取り消し方法", "先ほどの注文を取り消してください",
         "発注をキャンセルできますか"],
        {"en": "Open Orders, choose the order and click Cancel before it ships.",
         "ja": "「注文」から該当の注文を選び、発送前であれば「キャンセル」を押してください。"}),
}


def _write(folder: Path) -> None:
    tickets = [{"id": f"T-{name}-{n}", "body": text, "tag": name}
               for name, (texts, _) in INTENTS.items() for n, text in enumerate(texts)]
    (folder / "tickets.jsonl").write_text(
        "\n".join(json.dumps(t, ensure_ascii=False) for t in tickets) + "\n", encoding="utf-8")
    taxonomy = {"tags": [{"name": name, "description": name.replace("_", " "), "answer": reply}
                         for name, (_, reply) in INTENTS.items()]}
    (folder / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True),
                                          encoding="utf-8")
    cases = [
        {"id": "en-reset", "inquiry": "I can't remember my password, how do I reset it?",
         "expected_tag": "reset_password", "expected_action": "answer", "language": "en",
         "facts": ["Forgot password"]},
        {"id": "ja-hours", "inquiry": "サポートの営業時間は何時から何時までですか？",
         "expected_tag": "opening_hours", "expected_action": "answer", "language": "ja",
         "facts": ["平日9時〜18時"]},
        {"id": "en-weather", "inquiry": "What's the weather going to be like in Osaka tomorrow?",
         "expected_action": "escalate", "language": "en"},
    ]
    (folder / "cases.jsonl").write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")


def test_a_recognised_intent_is_answered_with_its_reply_in_both_languages(
        tmp_path: Path) -> None:
    _write(tmp_path)
    # Ten examples an intent teach the tagger less certainty than a real bot's hundreds.
    (tmp_path / "policy.yaml").write_text(
        "extends: default\nthresholds:\n  intent_min_confidence: 0.7\n", encoding="utf-8")
    out = tmp_path / "run"
    status = main(["run", str(tmp_path / "cases.jsonl"), "--policy", str(tmp_path / "policy.yaml"),
                   "--tickets",
                   str(tmp_path / "tickets.jsonl"), "--taxonomy", str(tmp_path / "taxonomy.yaml"),
                   "--out", str(out), "--no-cache", "--no-progress"])
    assert status == 0
    decisions = {r["id"]: r["decision"] for r in
                 map(json.loads, (out / "cases.jsonl").read_text(encoding="utf-8").splitlines())}
    reset, hours, weather = decisions["en-reset"], decisions["ja-hours"], decisions["en-weather"]
    assert reset["action"] == "answer" and reset["tag"] == "reset_password", reset
    assert "Forgot password" in reset["answer"] and "intent_answer" in reset["flags"]
    assert hours["action"] == "answer" and "平日9時〜18時" in hours["answer"], hours
    assert hours["language"] == "ja"
    assert weather["action"] == "escalate", weather
