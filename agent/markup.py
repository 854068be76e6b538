"""Answers are Markdown: render them as safe HTML for the widget, or as plain text for drafts.

Help-centre passages carry lists, tables, bold and links. A customer should see them as such,
not as `|---|` and `**`; an agent editing a draft in a plain text box or an e-mail should get
readable text. Parsing is markdown-it-py's (CommonMark plus tables); raw HTML in the source is
never passed through, and the rendered HTML is cleaned by nh3 (ammonia) with a short list of
tags, so nothing a knowledge base or a model writes can run script in the widget.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from retrieval import linear_re

_TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "ul", "ol", "li", "a", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "h3", "h4", "h5", "h6", "hr"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


# Japanese writes an address straight into the sentence ("詳しくはhttps://…をご覧ください"):
# a link found in running text ends where Japanese script or full-width punctuation begins.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@functools.cache
def _parser() -> MarkdownIt:
    # html=False: HTML in a source is shown as text, never rendered. linkify: past tickets'
    # resolutions and agents' replies write bare addresses; only those with a scheme (or an
    # e-mail address) become links, not any word with a dot.
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True}).enable(
        ["table", "strikethrough", "linkify"])
    linkify = parser.linkify
    assert linkify is not None  # set up by the "linkify" option (linkify-it-py is a dependency)
    linkify.set({"fuzzy_link": False})
    parser.core.ruler.after("linkify", "cjk_link_end", _end_links_at_cjk)
    return parser


def _end_links_at_cjk(state: Any) -> None:
    """Cut a link found in running text where Japanese text resumes after it."""
    for block in state.tokens:
        children = block.children
        if block.type != "inline" or not children:
            continue
        for i in range(len(children) - 2, 0, -1):
            opening, text = children[i - 1], children[i]
            if opening.type != "link_open" or opening.markup != "linkify" or text.type != "text":
                continue
            cut = _CJK.search(text.content)
            if cut is None or cut.start() == 0:
                continue
            address, rest = text.content[: cut.start()], text.content[cut.start():]
            href = state.md.normalizeLink(address)
            if not state.md.validateLink(href):
                continue
            opening.attrSet("href", href)
            text.content = address
            tail = Token("text", "", 0)
            tail.content = rest
            children.insert(i + 2, tail)  # after link_close


# A table row: | a | b | (up to three spaces in, as CommonMark allows before a block).
# Run on knowledge-base text in every answer: linear time (RE2), whatever a line holds (with
# Python's backtracking, the delimiter pattern took quadratic time on a line of spaces).
_ROW = linear_re.compile(r"^ {0,3}\|.*\|\s*$")
_DELIMITER = linear_re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_FENCE = linear_re.compile(r"^ {0,3}(`{3,}|~{3,})")
_EMPTY_HEAD = linear_re.compile(
    r"<thead>\s*<tr>\s*(?:<th[^>]*>\s*</th>\s*)+</tr>\s*</thead>\s*")


def _cells(row: str) -> int:
    """Count a table row's cells: its pipes that are not escaped (`\\|` is a pipe in a cell)."""
    inner = row.strip().strip("|")
    return 1 + sum(1 for n, char in enumerate(inner)
                   if char == "|" and (n == 0 or inner[n - 1] != "\\"))


def _orphan_rows(lines: Sequence[str]) -> list[tuple[int, int]]:
    """Return the [start, end) line ranges of table rows that have no header and delimiter
    row above them (a quote that begins inside a table), outside fenced code."""
    runs: list[tuple[int, int]] = []
    fence = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            i += 1
            continue
        if opened:
            fence = opened.group(1)
            i += 1
            continue
        if not _ROW.match(line) or _DELIMITER.match(line):
            i += 1
            continue
        end = i
        while end < len(lines) and _ROW.match(lines[end]):
            end += 1
        headed = (end - i > 1 and _DELIMITER.match(lines[i + 1])) or (
            i > 0 and _DELIMITER.match(lines[i - 1]))
        if not headed and (end - i > 1 or line.count("|") >= 3):
            runs.append((i, end))
        i = end
    return runs


def complete_tables(passage: str, source: str = "") -> str:
    """Give table rows quoted without their table's header the header back.

    A quote that starts inside a table ("| Storage | 1 GB | 100 GB |" without the "| | Free |
    Team |" and "|---|" lines above) is no table in Markdown and would show as raw `|` rows.
    The header and delimiter rows are taken from `source` (the section the passage was
    quoted from) when it holds the table; otherwise a header of empty cells is put in, which
    to_html leaves out and to_plain skips, so the rows still show as a table.
    """
    lines = passage.split("\n")
    runs = _orphan_rows(lines)
    if not runs:
        return passage
    known = source.split("\n")
    for start, end in reversed(runs):
        head = _header_in(known, lines[start].strip()) or _empty_header(lines[start:end])
        before = [""] if start > 0 and lines[start - 1].strip() else []
        lines[start:start] = before + head
    return "\n".join(lines)


def _header_in(source: Sequence[str], row: str) -> list[str]:
    """Return the header and delimiter rows of the table in source that holds row."""
    at = next((n for n, line in enumerate(source) if line.strip() == row), None)
    if at is None:
        return []
    n = at
    while n > 0 and _ROW.match(source[n - 1]) and not _DELIMITER.match(source[n]):
        n -= 1
    if n >= 1 and _DELIMITER.match(source[n]) and _ROW.match(source[n - 1]):
        return [source[n - 1].strip(), source[n].strip()]
    return []


def _empty_header(rows: Sequence[str]) -> list[str]:
    width = max(_cells(r) for r in rows)
    return ["|" + " |" * width, "|" + "---|" * width]


def to_html(markdown: str) -> str:
    """Render Markdown as HTML that is safe to insert into a page."""
    html = _parser().render(complete_tables(markdown))
    html = _EMPTY_HEAD.sub("", html)  # the header complete_tables made up, of empty cells
    # Headings in an answer are section names inside a chat bubble: never larger than h3.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return str(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                         set_tag_attribute_values={"a": {"target": "_blank"}}))


def to_plain(markdown: str) -> str:
    """Flatten Markdown into plain text: lists keep their numbers and bullets, a table becomes
    one line per row, a link becomes its text and address, emphasis marks go."""
    lines: list[str] = []
    _Flattener(lines).run(_parser().parse(complete_tables(markdown)))
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip()


class _Flattener:
    """Walk markdown-it's token stream and write plain text lines."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.lists: list[list[Any]] = []  # open lists: [ordered, next number]
        self.prefix_pending = ""
        self.row: list[str] = []
        self.cell: list[str] | None = None

    def run(self, tokens: Sequence[Token]) -> None:
        for token in tokens:
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = int(token.attrGet("start") or 1)
                self.lists.append([kind == "ordered_list_open", start])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                if not self.lists:
                    self.lines.append("")
            elif kind == "list_item_open":
                ordered, number = self.lists[-1]
                self.prefix_pending = f"{number}. " if ordered else "- "
                if ordered:
                    self.lists[-1][1] = number + 1
            elif kind == "inline":
                text = _inline_text(token.children or [])
                if self.cell is not None:
                    self.cell.append(text)
                else:
                    self._write(text)
            elif kind in ("paragraph_close", "heading_close", "blockquote_close") and not self.lists:
                self.lines.append("")
            elif kind in ("fence", "code_block"):
                self.lines.extend(token.content.rstrip("\n").splitlines())
                self.lines.append("")
            elif kind == "tr_open":
                self.row = []
            elif kind in ("th_open", "td_open"):
                self.cell = []
            elif kind in ("th_close", "td_close"):
                self.row.append(" ".join(self.cell or []).strip())
                self.cell = None
            elif kind == "tr_close" and any(self.row):  # not a header of empty cells
                self.lines.append(" | ".join(c for c in self.row))
            elif kind == "table_close" or kind == "hr":
                self.lines.append("")

    def _write(self, text: str) -> None:
        indent = "   " * max(0, len(self.lists) - 1)
        for n, line in enumerate(text.split("\n")):
            if n == 0 and self.prefix_pending:
                self.lines.append(f"{indent}{self.prefix_pending}{line}")
                self.prefix_pending = ""
            else:
                self.lines.append(f"{indent}{'   ' if self.lists else ''}{line}")


def _inline_text(children: Sequence[Token]) -> str:
    """Return the text of an inline run: marks dropped, a link as its text and address."""
    parts: list[str] = []
    href: str | None = None
    start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            start = len(parts)
        elif child.type == "link_close":
            label = "".join(parts[start:])
            if href and href != label and not label.endswith(href):
                parts.append(f" ({href})")
            href = None
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)
