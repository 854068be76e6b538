"""Split documents into token-sized, heading-aware chunks; turn tickets into one chunk each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from retrieval import linear_re
from retrieval.mdclean import readable
from retrieval.textproc import detect_language
from retrieval.tokens import count_tokens, get_encoding
from retrieval.types import Chunk, Document, Ticket

# The local embedding model reads at most 256 word pieces and was trained on 128; a chunk of
# 180 tiktoken tokens plus its title stays inside 256 pieces in English and in Japanese.
DEFAULT_MAX_TOKENS = 180
CHUNKER_VERSION = "4"
# Linear-time (retrieval.linear_re): article text may come from the API. The trailing run of
# "#" and blanks is trimmed by the caller (_heading_text).
_HEADING = linear_re.compile(r"^(#{1,4})[ \t]+(.+)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# A line of bold text, or a Japanese section mark: 【…】, or ■ ◆ ● ▼ ▶ before the words.
_PSEUDO_HEADING = re.compile(r"\*\*([^*\n]{1,78})\*\*[:：]?|__([^_\n]{1,78})__[:：]?|"
                             r"【([^】\n]{1,40})】|[■◆●▼▶□◇]\s*([^。\n]{1,40})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])")
_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path."""

    heading: str
    body: str


def _pseudo_heading(lines: list[str], i: int) -> str | None:
    """Return the heading a line stands for without Markdown heading marks, or None.

    Help centres mark small sections with a line of bold text ("**Bank transfer**"), or in
    Japanese with 【…】 or a leading ■/◆/●; such a line heads a section of its own when it
    stands alone between a blank line (or the start) and text.
    """
    line = lines[i].strip()
    if len(line) > 80 or (i > 0 and lines[i - 1].strip()):
        return None
    if i + 1 >= len(lines) or not lines[i + 1].strip():
        return None
    match = _PSEUDO_HEADING.fullmatch(line)
    if match is None:
        return None
    text = next(g for g in match.groups() if g is not None).strip().rstrip(":：").strip()
    return text or None


def split_sections(title: str, text: str) -> list[Section]:
    """Split Markdown-like text at headings, keeping the heading path of each part.

    ATX (`## Heading`) and setext (a line underlined with `===` or `---`) headings count, and
    so does a line that only marks a small section (see _pseudo_heading), one level below the
    heading it follows.
    """
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False
    real_level = 0  # level of the last Markdown heading

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            path = [h for _, h in stack if h.strip().lower() != title.strip().lower()]
            sections.append(Section(" > ".join(path), body))
        lines.clear()

    def open_heading(level: int, heading: str) -> None:
        flush()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))

    source = text.splitlines()
    for i, line in enumerate(source):
        if line.strip().startswith("```"):
            in_fence = not in_fence
        if in_fence or line.strip().startswith("```"):
            lines.append(line)
            continue
        match = _HEADING.match(line)
        if match:
            real_level = len(match.group(1))
            text = match.group(2).strip()
            open_heading(real_level, text.rstrip("#").rstrip() or text)
            continue
        underline = _SETEXT.match(line)
        if underline and lines and lines[-1].strip() and _plain_line(lines[-1]) and (
                len(lines) < 2 or not lines[-2].strip()):
            heading = lines.pop().strip()
            real_level = 1 if underline.group(1).startswith("=") else 2
            open_heading(real_level, heading)
            continue
        pseudo = _pseudo_heading(source, i)
        if pseudo is not None:
            open_heading(min(real_level + 1, 6), pseudo)
            continue
        lines.append(line)
    flush()
    return sections


def _plain_line(line: str) -> bool:
    """Tell whether a line could be a setext heading's text (not a list item, table or quote)."""
    stripped = line.strip()
    return not (_LIST_ITEM.match(line) or stripped.startswith(("|", ">", "<")))


def split_blocks(body: str) -> list[str]:
    """Split a section into blocks: paragraphs, whole lists and whole code fences."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    after_blank = False

    def flush() -> None:
        if current:
            blocks.append("\n".join(current))
            current.clear()

    for line in body.splitlines():
        fence = line.strip().startswith("```")
        if in_fence or fence:
            if fence and not in_fence and current and not after_blank:
                flush()
            current.append(line)
            in_fence = in_fence != fence
            after_blank = False
            continue
        if not line.strip():
            after_blank = True
            continue
        is_item = bool(_LIST_ITEM.match(line))
        in_list = bool(current) and bool(_LIST_ITEM.match(current[0]))
        indented = line.startswith(("   ", "\t"))
        if current and (
            (after_blank and not (in_list and (is_item or indented)))
            or (is_item and not in_list)
        ):
            # Loose lists (items separated by blank lines) stay one block; a paragraph after a
            # list, or a list after a paragraph, starts a new one.
            flush()
        current.append(line)
        after_blank = False
    flush()
    return [b.strip("\n") for b in blocks if b.strip()]


def _reading_tokens(text: str) -> int:
    """Return the tokens a chunk's text costs as it is searched and embedded (links by their
    text: an address of a thousand characters is not a thousand characters of reading)."""
    return count_tokens(readable(text))


def _split_oversized(block: str, max_tokens: int) -> Iterator[str]:
    """Cut a block that alone exceeds the budget at lines, then sentences, then tokens.

    A fenced code block is cut at lines, each piece fenced again with the block's own opening
    and closing lines, so that no chunk (and no answer quoting it) starts or ends inside code.
    """
    lines = block.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(("```", "~~~"))]
    if starts and starts[0] > 0:  # a paragraph introducing the code: cut before the fence
        yield from _cut_at(lines, starts[0], max_tokens)
        return
    opener = lines[0].strip()
    if len(lines) > 2 and opener.startswith(("```", "~~~")):
        marker = opener[:len(opener) - len(opener.lstrip(opener[0]))]
        end = next((i for i in range(1, len(lines)) if lines[i].strip().startswith(marker)
                    and not lines[i].strip().lstrip(marker[0])), None)
        if end is not None and end < len(lines) - 1:  # text after the code: cut after it
            yield from _cut_at(lines, end + 1, max_tokens)
            return
        close = lines[-1] if end is not None else marker
        inner = lines[1:-1] if end is not None else lines[1:]
        room = max(1, max_tokens - _reading_tokens(lines[0]) - _reading_tokens(close) - 2)
        pieces: list[str] = []
        for line in inner:
            if _reading_tokens(line) > room:  # one very long line: cut it by tokens
                pieces.extend(_split_oversized(line, room))
            else:
                pieces.append(line)
        for piece in _pack(pieces, room, "\n"):
            yield f"{lines[0]}\n{piece}\n{close}"
        return
    for unit_pattern in ("\n", None):
        units = block.split("\n") if unit_pattern else _SENTENCE_END.split(block)
        units = [u for u in units if u.strip()]
        if len(units) > 1 and all(_reading_tokens(u) <= max_tokens for u in units):
            yield from _pack(units, max_tokens, "\n" if unit_pattern else "")
            return
    enc = get_encoding()
    ids = enc.encode(block, disallowed_special=())
    for start in range(0, len(ids), max_tokens):
        yield enc.decode(ids[start:start + max_tokens])


def _cut_at(lines: list[str], at: int, max_tokens: int) -> Iterator[str]:
    """Cut a block's lines in two before line `at`; a part still over the budget is cut again."""
    for part in ("\n".join(lines[:at]), "\n".join(lines[at:])):
        if _reading_tokens(part) > max_tokens:
            yield from _split_oversized(part, max_tokens)
        elif part.strip():
            yield part


def _pack(units: list[str], max_tokens: int, joiner: str) -> Iterator[str]:
    current: list[str] = []
    used = 0
    for unit in units:
        n = _reading_tokens(unit) + (1 if joiner else 0)  # the joiner may cost a token
        if current and used + n > max_tokens:
            yield joiner.join(current)
            current, used = [], 0
        current.append(unit)
        used += n
    if current:
        yield joiner.join(current)


def embedded_text(source: str, title: str, heading: str, text: str) -> str:
    """Return what a chunk's vector is made from: an article chunk's text under its title and
    heading, a ticket's text alone."""
    if source == "ticket":
        return text
    context = title if not heading else f"{title} > {heading}"
    return f"{context}\n{text}"


def chunk_document(doc: Document, max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Chunk]:
    """Cut an article into chunks that never cross a heading and keep lists whole if they fit."""
    chunks: list[Chunk] = []
    language = doc.language or detect_language(doc.text)
    for s_index, section in enumerate(split_sections(doc.title, doc.text)):
        blocks: list[str] = []
        for block in split_blocks(section.body):
            if _reading_tokens(block) > max_tokens:
                blocks.extend(_split_oversized(block, max_tokens))
            else:
                blocks.append(block)
        for text in _pack(blocks, max_tokens, "\n\n"):
            position = len(chunks)
            chunks.append(Chunk(
                id=f"{doc.id}#{position}", doc_id=doc.id, source="kb", text=text,
                index_text=embedded_text("kb", doc.title, section.heading, readable(text)),
                title=doc.title, heading=section.heading,
                section=s_index, position=position, tokens=count_tokens(text),
                language=language, url=doc.url, metadata=dict(doc.metadata),
            ))
    return chunks


def ticket_chunk(ticket: Ticket) -> Chunk:
    """Make the one searchable chunk of a past ticket: its subject and the customer's words."""
    body = _QUOTED.sub("", ticket.body).strip() or ticket.body
    text = f"{ticket.subject}\n{body}" if ticket.subject else body
    metadata = dict(ticket.metadata)
    for key in ("resolution", "tag", "created_at", "account_id"):
        value = getattr(ticket, key)
        if value:
            metadata[key] = value
    return Chunk(
        id=ticket.id, doc_id=ticket.id, source="ticket", text=text,
        index_text=embedded_text("ticket", "", "", text),
        title=ticket.subject or body[:80], heading="", section=0, position=0,
        tokens=count_tokens(text), language=ticket.language or detect_language(text),
        url=None, metadata=metadata,
    )
