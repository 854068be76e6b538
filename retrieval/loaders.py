"""Read knowledge-base articles, past tickets and taxonomies from the documented file formats.

Every loader returns what it could read plus a list of problems; one bad file or line never
stops the rest of a batch from landing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup, Tag

from retrieval import linear_re
from retrieval.mdclean import clean_markdown
from retrieval.textproc import detect_language, japanese_char_count, language_code
from retrieval.types import Document, Problem, Ticket

KB_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl"}
TICKET_FIELDS = ("id", "subject", "body", "resolution", "tag", "created_at", "account_id",
                 "language")
_MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 50 * _MIB
DEFAULT_MAX_DOCUMENT_CHARS = 1_000_000
DEFAULT_TAGS = (
    ("bug", "Something in the product is broken or behaves differently from its documentation."),
    ("usage_question", "How to do something with the product, or how it works."),
    ("success_opportunity", "A sign the customer could expand: more seats, a higher plan, a new "
                            "team or use case, enterprise features, a quote."),
)
# Uploaded text is untrusted: its patterns run in linear time (retrieval.linear_re).
_FRONT_MATTER = linear_re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\z)", dotall=True)
_H1 = linear_re.compile(r"^#\s+(.+)$", multiline=True)
_BLANK_LINES = linear_re.compile(r"\n{3,}")
_HEADING_TAG = linear_re.compile(r"h[1-6]")
_BOILERPLATE_TAGS = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript",
                     "iframe", "svg", "button", "template")
_BOILERPLATE_HINT = linear_re.compile(r"cookie|consent|banner|breadcrumb|sidebar|menu|navbar|"
                                     r"share|newsletter|related", ignore_case=True)


@dataclass
class LoadResult:
    """What a loader read, and what it could not."""

    documents: list[Document] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class TagSpec:
    """One label of a taxonomy."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()
    # What to answer an inquiry confidently tagged with this label, per language (an intent's
    # canned reply), and/or the knowledge-base article that answers it.
    answer: tuple[tuple[str, str], ...] = ()
    article: str | None = None

    def answer_in(self, language: str) -> str | None:
        """Return the label's reply in a language, else in any language it has, else None."""
        replies = dict(self.answer)
        return replies.get(language) or next(iter(replies.values()), None)


@dataclass(frozen=True)
class Taxonomy:
    """The closed set of labels every inquiry is tagged with."""

    tags: tuple[TagSpec, ...]

    @property
    def names(self) -> list[str]:
        """Return the label names in file order."""
        return [t.name for t in self.tags]

    def to_dict(self) -> dict[str, Any]:
        """Return the taxonomy as the JSON/YAML file format."""
        return {"tags": [{"name": t.name, "description": t.description,
                          "examples": list(t.examples),
                          **({"answer": dict(t.answer)} if t.answer else {}),
                          **({"article": t.article} if t.article else {})}
                         for t in self.tags]}

    @classmethod
    def default(cls) -> Taxonomy:
        """Return bug / usage_question / success_opportunity."""
        return cls(tuple(TagSpec(n, d) for n, d in DEFAULT_TAGS))


class TaxonomyError(ValueError):
    """A taxonomy file cannot be used."""


# --------------------------------------------------------------------------- reading files


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str | Problem:
    """Read a text file as Unicode, accepting UTF-8, UTF-16 with BOM and Shift_JIS."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Problem(str(path), f"file is {size / _MIB:.1f} MiB, over the "
                           f"{max_bytes / _MIB:g} MiB limit",
                           "split it into smaller files or raise --max-file-mb")
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(str(path), f"cannot read file: {exc.strerror or exc}",
                       "check that it exists and is readable by this user")
    text = _decode(path, raw)
    if isinstance(text, str) and "\x00" in text:
        return _nul_problem(str(path), text)
    return text


def _nul_problem(where: str, text: str) -> Problem:
    return Problem(where, f"contains a NUL character (at character {text.index(chr(0)):,}): "
                   "binary data, not text", "remove it, or convert the file to plain UTF-8")


def _decode(path: Path, raw: bytes) -> str | Problem:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # Japanese exports from older help desks are often Shift_JIS; accept them only when
        # the decoded text really is Japanese, so random bytes are not taken for text.
        text = raw.decode("cp932")
        if japanese_char_count(text) >= 2:
            return text
    except UnicodeDecodeError:
        pass
    return Problem(str(path), f"not valid UTF-8 (byte {utf8_error.start}: "
                   f"{raw[utf8_error.start:utf8_error.start + 4]!r})",
                   "save the file as UTF-8, e.g. iconv -f <encoding> -t utf-8")


# --------------------------------------------------------------------------- knowledge base


def iter_kb_files(root: Path) -> Iterator[Path | Problem]:
    """Yield the knowledge-base files under a directory in a stable order.

    A symbolic link is followed only when it stays inside the directory: a link to
    /etc/passwd named faq.md must not be ingested and quoted to customers. A link that leaves
    is yielded as a Problem.
    """
    if root.is_file():
        yield root
        return
    inside = root.resolve()
    for path in sorted(_walk(root)):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_symlink() or any(p.is_symlink() for p in path.parents if p != root and
                                    p.is_relative_to(root)):
            target = path.resolve()
            if not target.is_relative_to(inside):
                yield Problem(str(path), f"is a symbolic link to {target}, outside the "
                              f"knowledge-base folder {root}; it was not read",
                              "copy the file into the folder instead of linking to it")
                continue
        if path.is_file() and path.suffix.lower() in KB_SUFFIXES:
            yield path


def _walk(root: Path) -> Iterator[Path]:
    """Yield every path under root, descending into linked folders that stay inside root."""
    inside = root.resolve()
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen:  # a link back up would loop
            continue
        seen.add(real)
        for path in folder.iterdir():
            if path.is_dir() and not path.name.startswith("."):
                if path.is_symlink() and not path.resolve().is_relative_to(inside):
                    yield path  # reported by the caller, never descended into
                    continue
                stack.append(path)
            else:
                yield path


def load_knowledge_base(
    root: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
) -> LoadResult:
    """Read every article under a directory (or one file), reporting bad files and duplicates."""
    result = LoadResult()
    if not root.exists():
        result.problems.append(Problem(str(root), "no such file or directory",
                                       "pass --kb a directory of articles or one file"))
        return result
    seen: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    for path in iter_kb_files(root):
        if isinstance(path, Problem):
            result.problems.append(path)
            continue
        text = read_text(path, max_file_bytes)
        if isinstance(text, Problem):
            result.problems.append(text)
            continue
        for item in _parse_kb_file(path, base, text):
            if isinstance(item, Problem):
                result.problems.append(item)
                continue
            if not item.text.strip():
                result.problems.append(Problem(item.origin, f"document {item.id!r} is empty",
                                               "add text or delete the file"))
                continue
            if len(item.text) > max_document_chars:
                result.problems.append(Problem(
                    item.origin, f"document {item.id!r} has {len(item.text):,} characters, over "
                    f"the {max_document_chars:,} limit", "split it into several articles"))
                continue
            if item.id in seen:
                result.problems.append(Problem(
                    item.origin, f"duplicate id {item.id!r}, first seen at {seen[item.id]}; "
                    "this one was skipped", "give each document a unique id"))
                continue
            seen[item.id] = item.origin
            result.documents.append(item)
    return result


def _parse_kb_file(path: Path, base: Path, text: str) -> Iterator[Document | Problem]:
    suffix = path.suffix.lower()
    default_id = path.relative_to(base).with_suffix("").as_posix()
    if suffix in (".md", ".markdown"):
        yield _parse_markdown(path, default_id, text)
    elif suffix in (".html", ".htm"):
        yield _parse_html(path, default_id, text)
    elif suffix == ".txt":
        lines = text.strip().splitlines()
        title = lines[0].strip() if lines else default_id
        yield Document(id=default_id, title=title, text="\n".join(lines[1:]).strip() or title,
                       language=detect_language(text), origin=str(path))
    elif suffix == ".jsonl":
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Problem(where, f"malformed JSON: {exc.msg} at column {exc.colno}",
                              "fix or remove this line; the other lines were read")
                continue
            yield _document_from_record(record, where)
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Problem(f"{path}:{exc.lineno}", f"malformed JSON: {exc.msg}",
                          "fix the file; nothing in it was read")
            return
        records = data.get("documents", data.get("articles", [data])) if isinstance(
            data, dict) else data
        if not isinstance(records, list):
            yield Problem(str(path), "expected a record, a list of records or "
                          '{"documents": [...]}', "see the knowledge-base format in the README")
            return
        for i, record in enumerate(records):
            yield _document_from_record(record, f"{path}[{i}]")


def _document_from_record(record: Any, where: str) -> Document | Problem:
    if not isinstance(record, dict):
        return Problem(where, f"expected a JSON object, got {type(record).__name__}",
                       'write {"id", "title", "text", "url"?, "language"?, "metadata"?}')
    missing = [k for k in ("id", "text") if not str(record.get(k) or "").strip()]
    if missing:
        return Problem(where, f"missing field {' and '.join(missing)}",
                       "every knowledge-base record needs an id and a text")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        return Problem(where, "metadata must be an object", 'write "metadata": {...}')
    text = str(record["text"])
    if any("\x00" in str(record.get(k) or "") for k in ("id", "title", "text", "url")):
        return Problem(where, "a field contains a NUL character: binary data, not text",
                       "remove it from the record")
    return Document(
        id=str(record["id"]).strip(),
        title=str(record.get("title") or record["id"]).strip(),
        text=text.strip(),
        url=record.get("url") or None,
        language=record.get("language") or detect_language(text),
        metadata=metadata,
        origin=where,
    )


def _parse_markdown(path: Path, default_id: str, text: str) -> Document | Problem:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 2}" if mark is not None else ""
            return Problem(f"{path}{line}", "front matter is not valid YAML",
                           "fix the block between the --- lines")
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[match.end():]
    # Without the site generator's markup ({#anchors}, ::: containers, layout tags, scripts).
    body = _BLANK_LINES.sub("\n\n", clean_markdown(text)).strip()
    title = str(meta.pop("title", "") or "")
    if not title:
        heading = _H1.search(body)
        title = heading.group(1).strip() if heading else Path(default_id).name
    doc_id = str(meta.pop("id", "") or default_id)
    url = meta.pop("url", None)
    language = meta.pop("language", None) or detect_language(body)
    return Document(id=doc_id, title=title, text=body, url=str(url) if url else None,
                    language=str(language), metadata=_scalars(meta), origin=str(path))


def _parse_html(path: Path, default_id: str, text: str) -> Document | Problem:
    soup = BeautifulSoup(text, "html.parser")
    meta_id = soup.find("meta", attrs={"name": "kotae-id"})
    canonical = soup.find("link", attrs={"rel": "canonical"})
    html_tag = soup.find("html")
    title_tag = soup.find("title")
    doc_id = str(meta_id.get("content")) if isinstance(meta_id, Tag) else default_id
    url = str(canonical.get("href")) if isinstance(canonical, Tag) else None
    lang = str(html_tag.get("lang") or "") if isinstance(html_tag, Tag) else ""
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if isinstance(tag, Tag) and tag.attrs is not None and _looks_like_boilerplate(tag):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.find("body") or soup
    body = "\n".join(_html_blocks(root)).strip()
    body = _BLANK_LINES.sub("\n\n", body)
    h1 = _H1.search(body)
    title = h1.group(1).strip() if h1 else (title_tag.get_text(strip=True) if title_tag else "")
    return Document(id=doc_id, title=title or default_id, text=body, url=url,
                    language=lang or detect_language(body), origin=str(path))


def _looks_like_boilerplate(tag: Tag) -> bool:
    if tag.name in ("article", "main", "body", "html"):
        return False
    classes: object = tag.get("class") or []
    class_names = [str(c) for c in classes] if isinstance(classes, list) else [str(classes)]
    names = " ".join([*class_names, str(tag.get("id") or ""), str(tag.get("role") or "")])
    return bool(names.strip()) and bool(_BOILERPLATE_HINT.search(names))


# Elements that start a new line where a browser shows them: their text is kept apart from
# the text beside them; every other element (a, strong, code, span, ...) runs on in its line.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})


def _inline(node: Tag) -> str:
    """Return an element's text as a browser lays it out on one line: inline elements run on
    with no space added ("<strong>東京リージョン</strong>を" stays 東京リージョンを, "<a>data</a>."
    stays data.), block elements and whitespace in the source are one space."""
    parts: list[str] = []

    def walk(tag: Tag) -> None:
        for child in tag.children:
            if isinstance(child, Tag):
                block = child.name in _BLOCK_TAGS
                if block:
                    parts.append(" ")
                walk(child)
                if block:
                    parts.append(" ")
            else:
                parts.append(str(child))

    walk(node)
    return " ".join("".join(parts).split())


def _html_blocks(node: Tag) -> Iterator[str]:
    """Render HTML as Markdown-like blocks so the chunker sees headings and lists."""
    for child in node.children:
        if not isinstance(child, Tag):
            stripped = str(child).strip()
            if stripped:
                yield stripped
            continue
        name = child.name or ""
        if _HEADING_TAG.fullmatch(name):
            yield "\n" + "#" * int(name[1]) + " " + _inline(child)
        elif name in ("ul", "ol"):
            for n, item in enumerate(child.find_all("li", recursive=False), start=1):
                marker = f"{n}." if name == "ol" else "-"
                yield f"{marker} {_inline(item)}"
            yield ""
        elif name == "pre":
            yield "```\n" + child.get_text() .strip("\n") + "\n```"
        elif name == "table":
            # A Markdown table: its first row is the header, then the delimiter row (without it
            # the rows are no table and an answer quoting them would show raw `|`).
            for n, row in enumerate(child.find_all("tr")):
                cells = [_inline(c).replace("|", "\\|") for c in row.find_all(["th", "td"])]
                yield "| " + " | ".join(cells) + " |"
                if n == 0:
                    yield "|" + "---|" * max(1, len(cells))
            yield ""
        elif name in ("p", "blockquote", "dd", "dt", "figcaption"):
            yield _inline(child) + "\n"
        elif name == "br":
            continue
        else:
            yield from _html_blocks(child)


def _scalars(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Keep metadata Chroma can store: strings, numbers and booleans (dates become strings)."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, bool | int | float | str):
            out[str(key)] = value
        elif value is not None:
            out[str(key)] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


# --------------------------------------------------------------------------- tickets


def parse_column_map(spec: str | None) -> dict[str, str]:
    """Parse 'body=Description,subject=Title' into {field: column}."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for part in spec.split(","):
        if "=" not in part:
            raise ValueError(f"column mapping {part!r} is not FIELD=COLUMN")
        key, column = (s.strip() for s in part.split("=", 1))
        if key not in TICKET_FIELDS:
            raise ValueError(f"unknown ticket field {key!r}; known: {', '.join(TICKET_FIELDS)}")
        mapping[key] = column
    return mapping


def load_tickets(
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> LoadResult:
    """Read past tickets from CSV or JSONL, mapping help-desk column names when asked."""
    result = LoadResult()
    text = read_text(path, max_file_bytes)
    if isinstance(text, Problem):
        result.problems.append(text)
        return result
    rows: Iterable[tuple[str, Any]]
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path, text)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path, text)
    else:
        result.problems.append(Problem(str(path), "unknown tickets format",
                                       "use a .csv or .jsonl file"))
        return result
    seen: dict[str, str] = {}
    for where, row in rows:
        if isinstance(row, Problem):
            result.problems.append(row)
            continue
        ticket = _ticket_from_row(row, where, columns or {})
        if isinstance(ticket, Problem):
            result.problems.append(ticket)
        elif ticket.id in seen:
            result.problems.append(Problem(where, f"duplicate ticket id {ticket.id!r}, first "
                                           f"seen at {seen[ticket.id]}; this one was skipped",
                                           "give each ticket a unique id"))
        else:
            seen[ticket.id] = where
            result.tickets.append(ticket)
    return result


def _csv_rows(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    try:
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as exc:
        yield f"{path}:{reader.line_num}", Problem(f"{path}:{reader.line_num}",
                                                   f"malformed CSV: {exc}",
                                                   "fix the quoting of this row")


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            yield where, Problem(where, f"malformed JSON: {exc.msg} at column {exc.colno}",
                                 "fix or remove this line; the other lines were read")


def ticket_from_row(row: Any, where: str, columns: Mapping[str, str]) -> Ticket | Problem:
    """Return the past ticket in one exported row, its columns mapped, or what is wrong."""
    return _ticket_from_row(row, where, columns)


def _ticket_from_row(row: Any, where: str, columns: Mapping[str, str]) -> Ticket | Problem:
    if not isinstance(row, dict):
        return Problem(where, f"expected a JSON object, got {type(row).__name__}",
                       "write one ticket object per line")

    def get(name: str) -> str | None:
        value = row.get(columns.get(name, name))
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    ticket_id, body = get("id"), get("body")
    if not ticket_id or not body:
        missing = " and ".join(n for n, v in (("id", ticket_id), ("body", body)) if not v)
        mapped = ", ".join(f"{k}={columns[k]}" for k in ("id", "body") if k in columns)
        return Problem(where, f"ticket has no {missing}",
                       "map your export's columns with --ticket-columns "
                       f"'body=Description,id=Ticket ID'{f' (now {mapped})' if mapped else ''}")
    if any("\x00" in str(value) for value in row.values() if value is not None):
        return Problem(where, "a field contains a NUL character: binary data, not text",
                       "remove it from the ticket")
    known = set(TICKET_FIELDS) | {columns.get(f, f) for f in TICKET_FIELDS}
    extra = {k: v for k, v in row.items() if k not in known and v not in (None, "")}
    return Ticket(
        id=ticket_id, body=body, subject=get("subject"), resolution=get("resolution"),
        tag=get("tag"), created_at=get("created_at"), account_id=get("account_id"),
        language=get("language") or detect_language(f"{get('subject') or ''} {body}"),
        metadata=_scalars(extra), origin=where,
    )


# --------------------------------------------------------------------------- taxonomy


def load_taxonomy(path: Path | None) -> Taxonomy:
    """Read a YAML or JSON taxonomy file; with no path, return the default taxonomy."""
    if path is None:
        return Taxonomy.default()
    text = read_text(path)
    if isinstance(text, Problem):
        raise TaxonomyError(str(text))
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML or JSON ({exc})") from exc
    return taxonomy_from_data(data, str(path))


def taxonomy_from_data(data: Any, path: str) -> Taxonomy:
    """Build a taxonomy from a taxonomy file's parsed content (`path` names it in errors)."""
    items = data.get("tags") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise TaxonomyError(f"{path}: expected a list of tags, or {{tags: [...]}}")
    tags: list[TagSpec] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise TaxonomyError(f"{path}: tag #{i + 1} has no name")
        examples = item.get("examples") or []
        if not isinstance(examples, list):
            raise TaxonomyError(f"{path}: examples of tag {item['name']!r} must be a list")
        answer = item.get("answer") or {}
        if isinstance(answer, str):  # one text: in the language it is written in
            answer = {detect_language(answer): answer}
        if not isinstance(answer, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in answer.items()):
            raise TaxonomyError(f"{path}: answer of tag {item['name']!r} must be a text or a "
                                "mapping of language to text (en: ..., ja: ...)")
        article = item.get("article")
        if article is not None and not (isinstance(article, str) and article.strip()):
            raise TaxonomyError(f"{path}: article of tag {item['name']!r} must be a document id")
        tags.append(TagSpec(str(item["name"]).strip(), str(item.get("description") or ""),
                            tuple(str(e) for e in examples),
                            tuple((language_code(k), v.strip()) for k, v in answer.items()),
                            article.strip() if isinstance(article, str) else None))
    names = [t.name for t in tags]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TaxonomyError(f"{path}: tag names must be unique; repeated: {duplicates}")
    return Taxonomy(tuple(tags))
