"""The demo product's vocabulary lives in its own configuration, never in agent code.

Another company's product must not be judged by the demo's words: its plans, features,
known bugs and competitors are in data/demo/policy.yaml and data/demo/taxonomy.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
AGENT_CODE = sorted((ROOT / "agent").glob("*.py"))
# The demo product, its plans and features, and the tools its customers come from or leave for.
KNOWN_DEMO_WORDS = [
    "Tsunagu", "つなぐ", "東京リージョン", "Tokyo region", "Backlog", "Asana", "Trello", "Notion",
    "Jira", "monday.com", "ClickUp", "Wrike", "KB-BUG", "Business plan", "Enterprise plan",
    "Team plan", "Businessプラン", "Enterpriseプラン", "automation runs", "自動化の実行",
    "Google Calendar", "Googleカレンダー", "Android 14",
]
# Words of the demo's files that any support product shares (and the agent's own vocabulary).
SHARED = {"Kotae", "Japanese", "English", "チーム", "アドレス", "ドキュメント", "タスク",
          "プロジェクト", "メンバー", "ワークスペース"}


def strings(value: Any) -> Iterator[str]:
    """Every text in a YAML document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def demo_words() -> set[str]:
    """The demo's names and Japanese terms: known words, plus what its own policy and taxonomy
    hold (names: capitalised words never written in lower case there; Japanese: runs of
    three or more characters with a kanji or katakana), minus words every product shares
    and words of Kotae's default policy."""
    found: set[str] = set(KNOWN_DEMO_WORDS)
    for name in ("policy.yaml", "taxonomy.yaml"):
        data = yaml.safe_load((DEMO / name).read_text(encoding="utf-8"))
        # Regex syntax is not vocabulary: keep the literal runs of each pattern.
        text = re.sub(r"\\[a-zA-Z]", " ", "\n".join(strings(data)))
        lower = set(re.findall(r"\b[a-z]+\b", text))
        found |= {w for w in re.findall(r"\b[A-Z][a-z][A-Za-z]*\b", text)
                  if w.lower() not in lower}
        found |= {w for w in re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]{3,}", text)
                  if re.search(r"[\u30a0-\u30ff\u4e00-\u9fff]", w) or len(w) >= 6}
    # A word Kotae's default policy uses is everyone's vocabulary ("plan", "トライアル").
    default = (ROOT / "agent" / "default_policy.yaml").read_text(encoding="utf-8").lower()
    return {w for w in found - SHARED if w in KNOWN_DEMO_WORDS or w.lower() not in default}


def test_the_word_list_reads_the_demos_configuration() -> None:
    words = demo_words()
    # Read from the files, not only the list above: a word the demo adds later is checked too.
    assert {"ひらがなのまま", "Safari", "Chrome", "セキュリティ審査"} <= words
    assert len(words) > 40


@pytest.mark.parametrize("path", AGENT_CODE, ids=lambda p: p.name)
def test_no_demo_word_is_in_agent_code(path: Path) -> None:
    code = path.read_text(encoding="utf-8")
    found = sorted(w for w in demo_words()
                   if re.search(rf"(?<!\w){re.escape(w)}(?!\w)" if w.isascii() else re.escape(w),
                                code, re.IGNORECASE if w in KNOWN_DEMO_WORDS else 0))
    assert found == [], (f"{path.name} holds the demo product's words {found}: move them to "
                         "data/demo/policy.yaml (or the policy and taxonomy files' defaults)")


def test_the_default_policy_names_no_demo_product_either() -> None:
    text = (ROOT / "agent" / "default_policy.yaml").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    found = [w for w in KNOWN_DEMO_WORDS if w.lower() in text.lower()]
    assert found == []
