"""Markdown as a documentation site's reader sees it, not as its static-site generator reads it.

Help centres export plain Markdown; documentation sites (VitePress, Docusaurus, MkDocs, Hugo)
write Markdown for their generator, and an answer that quotes it raw shows the customer
`## Max cached instances {#max-cached-instances}`, `::: tip`, `<div class="composition-api">`
and a page's `<script setup>` imports. `clean_markdown` removes what the generator would have
turned into layout, at load time, outside code (fenced blocks and inline code are kept exactly):

- heading attribute lists: `## Title {#anchor}`, `{#id .class}`, `{.class}`;
- container fences (`::: tip`, `:::warning[Title]`, `::: details Click me`, the closing
  `:::`): the fence lines go, the content stays; a container's own title stays as a bold line;
- `<script>` and `<style>` blocks and HTML comments: nothing a reader sees;
- layout tags (`<div>`, `<span>`, `<section>`, `<br>`, `<sup>`, `<details>`, `<summary>` ...) and
  site components, whose names are capitalised or hyphenated (`<SwitchComponent />`,
  `<Badge text="3.3+" />`, `<client-only>`): the tags go, the text between them stays.

`readable` is what a chunk is searched and embedded by: a link or image whose address is
longer than LONG_ADDRESS characters by its text alone. Such an address is encoded state (a
playground's code in base64, tracking parameters), a thousand characters that are no words a
question could use: on a real documentation site a fifth of the chunks were nothing else and
outranked the text. Shorter addresses stay: taking every address out moved the calibrated
decisions on the help-centre and demo sets (their site-wide words, "help", "articles", had
been common terms; docs/BENCHMARKS.md).

Every pattern is linear-time (retrieval.linear_re) and runs line by line.
"""

from __future__ import annotations

from retrieval import linear_re

_FENCE = linear_re.compile(r"^[ \t]*(`{3,}|~{3,})")
_HEADING_ATTRS = linear_re.compile(r"^(#{1,6}[ \t].*?)[ \t]*\{[ \t]*[#.][A-Za-z][^{}\n]*\}[ \t]*$")
_CONTAINER = linear_re.compile(r"^[ \t]{0,3}:{3,}[ \t]*([A-Za-z][\w-]*)?(.*)$")
_BLOCK_OPEN = linear_re.compile(r"^[ \t]*<(script|style)(?:[\s>]|$)", ignore_case=True)
_TAG = linear_re.compile(r"</?([A-Za-z][\w.:-]*)(?:\s[^<>]*)?/?>")
_LINK = linear_re.compile(r"(!?)\[([^\[\]\n]*)\]\(([^()\s]*)(?:\s+\"[^\"\n]*\")?\)")
#: A link address longer than this is read as its text alone (readable).
LONG_ADDRESS = 100
_SPACES = linear_re.compile(r"[ \t]{2,}")
_CLOSING = linear_re.compile(r"</([A-Za-z][\w.:-]*)\s*>")
_LAYOUT_TAGS = frozenset({
    "div", "span", "section", "article", "main", "p", "br", "sup", "sub", "details", "summary",
    "center", "font", "small", "big", "figure", "figcaption", "picture", "source", "video",
    "audio", "iframe", "template", "slot", "hr", "wbr",
})


def _tag_replacement(match: linear_re.LinearMatch, closed: frozenset[str]) -> str:
    tag, name = str(match.group(0)), str(match.group(1))
    if name.lower() in _LAYOUT_TAGS:
        return " " if name.lower() == "br" else ""
    # A site component (capitalised or hyphenated) is a tag that closes itself, has
    # attributes, or is closed somewhere in the page: not "<Ctrl>+<C>", "https://<your-domain>"
    # or "Bearer <API-KEY>", which are text.
    component = name[0].isupper() or "-" in name
    if component and (tag.endswith("/>") or " " in tag or tag.startswith("</") or name in closed):
        return ""
    return tag


def _outside_code(line: str, closed: frozenset[str]) -> str:
    """Drop layout tags from a line, leaving inline code (between backticks) as written."""
    if "<" not in line:
        return line
    parts = line.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside inline code
        if "<" in parts[i]:
            parts[i] = _TAG.sub(lambda m: _tag_replacement(m, closed), parts[i])
    cleaned = "`".join(parts)
    if cleaned == line:
        return line
    return _SPACES.sub(" ", cleaned).rstrip()


def _container_title(rest: str, kind: str) -> str | None:
    """Return a container's own title (`::: tip Title`, `:::tip[Title]`), if it has one."""
    title = rest.strip()
    if title.startswith("[") and "]" in title:
        title = title[1:title.index("]")]
    if "{" in title:
        title = title[: title.index("{")]
    title = title.strip()
    if not title or title.lower() == kind.lower():
        return None
    return title


def clean_markdown(text: str) -> str:
    """Return a page's Markdown without its generator's markup (see the module)."""
    text = text.replace("\r\n", "\n")
    closed = frozenset(m.group(1) for m in _CLOSING.finditer(text)) if "</" in text else frozenset()
    out: list[str] = []
    fence: str | None = None  # the open code fence's marker
    closing_block: str | None = None  # "</script>" or "</style>" while inside one
    in_comment = False
    for line in text.split("\n"):
        if fence is not None:
            out.append(line)
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped[len(fence):].strip("`~"):
                fence = None
            continue
        opened = _FENCE.match(line)
        if opened is not None and closing_block is None and not in_comment:
            fence = opened.group(1)
            out.append(line)
            continue
        if closing_block is not None:
            if closing_block in line.lower():
                closing_block = None
            continue
        if in_comment or "<!--" in _code_blanked(line):
            line, in_comment = _without_comments(line, in_comment)
            if not line.strip():
                if out and out[-1].strip():
                    out.append("")
                continue
        block = _BLOCK_OPEN.match(line)
        if block is not None:
            end = f"</{block.group(1).lower()}>"
            if end not in line.lower():
                closing_block = end
            continue
        container = _CONTAINER.match(line)
        if container is not None:
            kind = container.group(1) or ""
            title = _container_title(container.group(2), kind) if kind else None
            if title:
                out.append(f"**{title}**")
            continue
        line = _outside_code(line, closed)
        attrs = _HEADING_ATTRS.match(line)
        if attrs is not None:
            line = attrs.group(1).rstrip()
        out.append(line)
    return "\n".join(out)


def _code_blanked(line: str) -> str:
    """Return a line with its inline code (between backticks) blanked, same length."""
    if "`" not in line:
        return line
    parts = line.split("`")
    return "`".join(p if i % 2 == 0 else " " * len(p) for i, p in enumerate(parts))


def _without_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """Return a line without its HTML comments (not those written inside inline code), and
    whether one is still open at its end. One pass over the line."""
    blanked = _code_blanked(line)
    kept: list[str] = []
    at = 0
    while at < len(line):
        if in_comment:
            end = blanked.find("-->", at)
            if end < 0:
                return "".join(kept), True
            at, in_comment = end + 3, False
        else:
            start = blanked.find("<!--", at)
            if start < 0:
                kept.append(line[at:])
                break
            kept.append(line[at:start])
            at, in_comment = start + 4, True
    return "".join(kept), in_comment


def readable(text: str) -> str:
    """Return text as it is searched: a link or image with a long address by its text alone."""
    if "](" not in text or len(text) < LONG_ADDRESS:
        return text
    return _LINK.sub(lambda m: str(m.group(2)) if len(m.group(3)) > LONG_ADDRESS
                     else str(m.group(0)), text)
