"""Documentation sites' Markdown read as its reader sees it (retrieval.mdclean), in English and
Japanese, and chunks that neither cut a code block open nor count a link's address as text."""

from __future__ import annotations

import pytest

from retrieval.chunking import chunk_document
from retrieval.mdclean import clean_markdown, readable
from retrieval.types import Document

VUE_PAGE = """<script setup>
import SwitchComponent from './keep-alive-demos/SwitchComponent.vue'
</script>

# KeepAlive {#keepalive}

`<KeepAlive>` is a built-in component <sup class="vt-badge" data-text="3.5+" /> that caches.

## Basic Usage {#basic-usage}

<div class="composition-api">

[Try it in the Playground](https://play.vuejs.org/#eNqtUsFOwzAMfRXLF9i0LlMBC7)

</div>

<SwitchComponent />

::: tip Note on caching
Use `<div>` here, and `include`.
:::

:::warning
Careful.
:::

<!-- translators: keep
this comment -->
```vue
<template>
  <div>{{ count }}</div>
</template>
```

<style>
.demo { color: red }
</style>
## Max Cached Instances <Badge text="3.3+" /> {#max-cached-instances}
"""


def test_a_generators_markup_is_removed_and_what_a_reader_sees_stays() -> None:
    out = clean_markdown(VUE_PAGE)
    for gone in ("{#", "<script", "import SwitchComponent", "<sup", "vt-badge", "<div class",
                 "<SwitchComponent", ":::", "<style", "color: red", "<Badge",
                 "translators"):
        assert gone not in out, gone
    assert "</div>" not in out.split("```vue")[0]
    assert "# KeepAlive\n" in out and "## Basic Usage\n" in out
    assert out.rstrip().endswith("## Max Cached Instances")
    assert "`<KeepAlive>` is a built-in component that caches." in out
    assert "**Note on caching**\nUse `<div>` here, and `include`." in out  # inline code kept
    assert "\nCareful.\n" in out
    # code is kept exactly, tags and all
    assert "```vue\n<template>\n  <div>{{ count }}</div>\n</template>\n```" in out
    assert "[Try it in the Playground](https://play.vuejs.org/#eNqtUsFOwzAMfRXLF9i0LlMBC7)" in out


def test_japanese_pages_lose_the_same_markup() -> None:
    page = ("# コンポーネントの登録 {#component-registration}\n\n"
            "::: info 前提条件\nこのページは基礎を読んだ前提です。\n:::\n\n"
            "<div class=\"options-api\">\n\n"
            "グローバル登録には `app.component()` を使います。<Badge text=\"3.3+\" />\n\n</div>\n")
    out = clean_markdown(page)
    assert out.startswith("# コンポーネントの登録\n")
    assert "**前提条件**\nこのページは基礎を読んだ前提です。" in out
    assert "グローバル登録には `app.component()` を使います。" in out
    assert "<" not in out.replace("`app.component()`", "") and ":::" not in out


@pytest.mark.parametrize("text", [
    "Plain text with a < b and 3 > 2.", "Use <kbd>Ctrl</kbd> + <kbd>K</kbd>.",
    "A table:\n\n| Plan | Limit |\n|---|---|\n| Team | 100 |", "請求書は<a href=\"/x\">こちら</a>",
])
def test_help_centre_markdown_is_left_as_it_is(text: str) -> None:
    assert clean_markdown(text) == text


def test_a_link_with_a_long_address_is_read_by_its_text() -> None:
    state = "eNqtUsFOwzAMfRXLF9i0" * 6
    assert readable(f"See [Try it](https://play.vuejs.org/#{state}) and ![demo](data:{state}).") == (
        "See Try it and demo.")
    assert readable(f"詳しくは[プレイグラウンド](https://play.vuejs.org/#{state})で試せます。") == (
        "詳しくはプレイグラウンドで試せます。")
    # an ordinary address stays: its words are the site's own, and the index was measured so
    short = "See [Invoices](https://help.example/articles/invoices) and [請求書](/ja/invoices)."
    assert readable(short) == short
    assert readable("no links here") == "no links here"


def test_a_long_link_is_not_chunked_as_text_and_the_index_reads_its_label() -> None:
    address = "https://play.vuejs.org/#" + "eNqtUsFOwzAMfRXLF9i0" * 60
    doc = Document(id="d", title="KeepAlive", language="en",
                   text=f"## Usage\n\nWrap it. [Try it in the Playground]({address})\n\nMore.")
    chunks = chunk_document(doc)
    assert len(chunks) == 1
    assert address in chunks[0].text  # the customer still gets the link
    assert "eNqt" not in chunks[0].index_text and "Try it in the Playground" in chunks[0].index_text


@pytest.mark.parametrize("language,line", [("en", "value = compute(item)  # step"),
                                           ("ja", "値 = 計算する(項目)  # 手順")])
def test_a_long_code_block_is_cut_into_fenced_pieces(language: str, line: str) -> None:
    code = "\n".join(f"{line} {i}" for i in range(120))
    doc = Document(id="d", title="Code", language=language,
                   text=f"## Example\n\nIntro.\n\n```python\n{code}\n```\n")
    pieces = [c.text for c in chunk_document(doc) if "```" in c.text]
    assert len(pieces) > 1
    for piece in pieces:
        body = piece[piece.index("```python"):]
        assert body.startswith("```python\n") and body.endswith("\n```")
        assert body.count("```") == 2
    # every line of the code is in exactly one piece
    joined = "\n".join(p[p.index("```python") + 10:-4] for p in pieces)
    assert joined.split("\n") == code.split("\n")


@pytest.mark.parametrize("text", [
    # markup written inside inline code, or inside a fence indented under a list item, is text
    "Start a comment with `<!--` in templates.\n\n## Next\n\nMore text.",
    "コメントは `<!--` で始めます。\n\n## 次へ\n\n続きの文章。",
    "Use `<!-- more -->` to cut.",
    "- Example:\n\n    ```vue\n    <script setup>\n    const a = 1\n    </script>\n    ```\n\n## More\n\nText",
    # placeholders and keys are not site components
    "Press <Ctrl>+<C>, then <Enter>. Open https://<your-domain>.example.com with Bearer <API-KEY>.",
    "<Ctrl>+<C>でコピーし、https://<ワークスペースID>.example.com を開きます。",
    "## Spread {...props}",
])
def test_what_only_looks_like_markup_is_kept_and_nothing_after_it_is_lost(text: str) -> None:
    assert clean_markdown(text) == text


def test_windows_line_endings_and_a_closed_component_are_read_too() -> None:
    assert clean_markdown("## Title {#anchor}\r\nBody\r\n") == "## Title\nBody\n"
    assert clean_markdown("<Wrapper>\n本文\n</Wrapper>") == "\n本文\n"


def test_html_comments_of_any_number_take_one_pass() -> None:
    assert clean_markdown("a<!-- c -->b<!-- d\ncontinues -->e") == "ab\ne"
    assert clean_markdown("<!---->" * 200_000 + "end") == "end"  # linear: about 0.1 s


def test_prose_right_after_a_long_code_block_is_not_put_inside_the_code() -> None:
    code = "\n".join(f"x = compute({i})" for i in range(150))
    doc = Document(id="d", title="T", language="en",
                   text=f"## Ex\n\n```js\n{code}\n```\nThis sentence follows the code.\n")
    chunks = [c.text for c in chunk_document(doc)]
    assert all(c.count("```") % 2 == 0 for c in chunks)
    last = chunks[-1]
    assert last.index("This sentence") > last.rindex("```")
