"""Passage selection: which part of a retrieved article answers the question.

Search finds the article; the answer must quote the part of it that holds the fact asked for.
That is rarely the article's opening, and not necessarily the section the best-matching chunk
belongs to: a question uses the words of its heading ("bank transfer" under "Payment
methods"), of its content, or only of the article's title ("How do I set up SSO with Okta?"
in an article that is all about that, where the answer is its steps).

Every section of the article is scored on what tells it apart from the others:
- the question's words that are not in the title, found in the section (IDF-weighted),
  and found in its heading;
- how strongly the section's chunks match by BM25 (term frequency, length);
- how similar its chunks are to the question by vector, where the model reads the language;
- for a question asking how to do something, whether the section holds numbered steps;
- for a question asking how many, how long or up to what, whether the section holds figures,
  and whether the question names one of its table's rows in full ("How many transfers can one
  file hold?" and the row "Transfers in one file": a table's vector is a poor match for it);
- for a question read against an article in the other language, its words found in the
  headings' glosses (an English question about a Japanese article: "cards" and 対応カード).

A section that is only a list of links ("Related articles") is never the answer.

The best section is quoted whole up to a budget; a longer one is trimmed to its best chunks,
but a numbered list of steps is never cut. A second section is added when it holds question
words the first lacks (steps and a limit), and a question about the whole article's task gets
its step sections in order. A question that asks two things ("How do I export to Yayoi, and is
there a limit on the file size?", "登録手順と、何区間まで登録できるか") has each of its parts
answered: the section that best answers a part joins the quote when it differs from the one
chosen for the whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from retrieval import linear_re
from retrieval.catalog import ChunkRow
from retrieval.lexical import BM25Index

#: An answer quotes at most this many tokens of an article.
QUOTE_MAX_TOKENS = 450
_STEP = re.compile(r"^[ \t]{0,3}(?:\d{1,2}[.)]|[０-９]{1,2}[．.)）]|[①-⑳])[ \t　]*\S", re.MULTILINE)
_STEP_START = re.compile(r"^[ \t]{0,3}(?:\d{1,2}[.)]|[０-９]{1,2}[．.)）]|[①-⑳])")
# A figure in the text (not a step's number, nor part of a link target or a word like "E5").
_LINK = re.compile(r"\]\([^)\s]*\)|https?://\S+")
_FIGURE = re.compile(r"(?<![A-Za-z_/#-])[0-9０-９]")
# A line that is only a link, as a list item or after a label ("関連記事：[...](...)").
_LINK_LINE = re.compile(r"^\s*(?:[-*+・]\s*)?(?:[^\[\n]{0,20}[:：]\s*)?"
                        r"(?:\[[^\]\n]*\]\([^)\n]*\)[\s、,（(）)英語a-zA-Z]*)+$")
# Where a question that asks two things divides: sentence ends, ", and which ..." (a second
# question joined to the first), a noun's "と、" ("登録手順と、何区間まで"; a verb's
# conditional "すると、" does not divide), and two things written as a list, as a chat message
# does ("cost per seat + member limit", "料金＋上限", "料金；上限"). Linear-time (customers'
# text, retrieval.linear_re): what look-around did is read from the groups instead, the break
# being the span from `keep_before`'s end to `keep_after`'s start. `&` is read in Python
# (`_joins_two_parts`): between two words it names one thing ("R & D", "Terms & conditions").
_SPACE_CLASS = r"[\s\p{Z}]"
_PART_BREAK = linear_re.compile(
    rf"([?!？！。]){_SPACE_CLASS}*"
    rf"|(\.){_SPACE_CLASS}+"
    rf"|,?{_SPACE_CLASS}+(?:and|or|also){_SPACE_CLASS}+"
    r"(is|are|can|could|do|does|did|will|would|should|how|what|which|where|when|why|"
    r"who|whats|any)\b"
    r"|([\x{4e00}-\x{9fff}\x{30a0}-\x{30ff}Ａ-Ｚａ-ｚA-Za-z0-9])と、"
    rf"|{_SPACE_CLASS}+\+{_SPACE_CLASS}+|{_SPACE_CLASS}*＋{_SPACE_CLASS}*"
    rf"|{_SPACE_CLASS}*[;；]{_SPACE_CLASS}*"
    rf"|({_SPACE_CLASS}+&{_SPACE_CLASS}+)",
    ignore_case=True)


def _break_spans(text: str) -> list[tuple[int, int]]:
    """Return where a question divides, as (start, end) spans to cut out."""
    found: list[tuple[int, int, bool]] = []
    for m in _PART_BREAK.finditer(text):
        start, end = m.span()
        ends, dot, asks, noun, amp = m.groups()  # by position: RE2's spans take no names
        if ends is not None or dot is not None or noun is not None:
            start += 1
        if asks is not None:
            end -= len(asks)
        found.append((start, end, amp is not None))
    spans = []
    for n, (start, end, amp) in enumerate(found):
        before = text[found[n - 1][1] if n else 0:start]
        after = text[end:found[n + 1][0] if n + 1 < len(found) else len(text)]
        if not amp or _joins_two_parts(before, after):
            spans.append((start, end))
    return spans


def _joins_two_parts(before: str, after: str) -> bool:
    """Tell whether an ampersand joins two parts of a question ("export limit & import
    limit") rather than two words of a name ("R & D", "Terms & conditions", "the Terms &
    Conditions page")."""
    left, right = before.split(), after.split()
    if len(left) < 2 or len(right) < 2:
        return False
    return not (left[-1][:1].isupper() and right[0][:1].isupper())


def question_parts(text: str) -> list[str]:
    """Return the parts of a question that asks two things or more (one part: [text]).

    A part counts when it asks (a question mark, a Japanese question's か); the caller adds
    those that ask how to do something or how many. Context sentences stay with the whole.
    """
    text = text.strip()
    pieces, at = [], 0
    for start, end in _break_spans(text):
        pieces.append(text[at:start])
        at = end
    pieces.append(text[at:])
    pieces = [p.strip() for p in pieces if p.strip()]
    return pieces if len(pieces) > 1 else [text]


def part_asks(text: str) -> bool:
    """Tell whether a part of a question asks something by its form (? or か at the end)."""
    text = text.rstrip()
    if text.endswith(("?", "？")):
        return True
    if text.endswith(("。", ".")):
        text = text[:-1].rstrip()
    return text.endswith(("か", "ね"))


@dataclass(frozen=True)
class Passage:
    """What an answer quotes from a source, and the ids of the chunks it is made of.

    `text` is the quote itself (each part under its heading); `section` is the whole of the
    sections it comes from, for readers that want their full text (the LLM's context when
    it fits, the known-workaround check).
    """

    chunk_ids: list[str]
    text: str
    section: str
    headings: tuple[str, ...] = ()
    omitted: tuple[str, ...] = ()  # headings of the article's further steps that did not fit
    score: float = 0.0  # how well its best section matched the question (SectionScores)


@dataclass(frozen=True)
class SectionView:
    """One section of an article: its heading path and its chunks in order."""

    index: int
    heading: str
    rows: tuple[ChunkRow, ...]

    @property
    def chunk_ids(self) -> list[str]:
        """Return the ids of the section's chunks."""
        return [r.chunk_id for r in self.rows]

    @property
    def text(self) -> str:
        """Return the section's text (without its heading)."""
        return join_chunks(r.text for r in self.rows)

    @property
    def tokens(self) -> int:
        """Return the section's size in tokens."""
        return sum(r.tokens for r in self.rows)

    @functools.cached_property
    def has_steps(self) -> bool:
        """Tell whether the section holds a numbered list."""
        return any(len(_STEP.findall(r.text)) >= 2 for r in self.rows) or (
            len(_STEP.findall(self.text)) >= 2)

    @functools.cached_property
    def has_figures(self) -> bool:
        """Tell whether the section states a figure (a limit, a period, a price)."""
        text = "\n".join(_STEP_START.sub("", line)
                         for line in _LINK.sub("]", self.text).splitlines())
        return bool(_FIGURE.search(text))

    @functools.cached_property
    def row_labels(self) -> tuple[str, ...]:
        """Return the labels (first cells) of the body rows of the section's tables."""
        return table_labels(self.text)

    def label_terms(self, analyze: Callable[[str], list[str]]) -> tuple[frozenset[str], ...]:
        """Return the search terms of each row label, numbers left out; analysed once per
        section (a long Japanese table is many tokeniser calls), by the store's analyzer that
        the section's rows came from."""
        found = self.__dict__.get("_label_terms")
        if found is None:
            found = tuple(frozenset(t for t in analyze(label) if not t.isdigit())
                          for label in self.row_labels)
            self.__dict__["_label_terms"] = found  # frozen: kept as cached_property keeps
        return found

    @functools.cached_property
    def links_only(self) -> bool:
        """Tell whether the section is only links to other articles ("Related articles")."""
        return links_only(self.text)


def links_only(text: str) -> bool:
    """Tell whether a text is only links to other articles (a "Related articles" list)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_LINK_LINE.match(line) for line in lines)


def document_sections(rows: Sequence[ChunkRow]) -> list[SectionView]:
    """Group one document's chunk rows into its sections, in document order."""
    by_section: dict[int, list[ChunkRow]] = {}
    for row in sorted(rows, key=lambda r: r.position):
        by_section.setdefault(row.section, []).append(row)
    return [SectionView(index, group[0].heading, tuple(group))
            for index, group in sorted(by_section.items())]


@dataclass(frozen=True)
class SelectionWeights:
    """How much each kind of evidence counts when choosing among an article's sections.

    Chosen on the demo eval and the help-centre set (docs/BENCHMARKS.md, passage selection).
    """

    specific: float = 1.0  # share of the question's non-title words found in the section
    heading: float = 0.6  # share of them found in the section's heading
    bm25: float = 0.35  # the section's best chunk's BM25, relative to the article's best
    vector: float = 1.5  # gap to the article's most similar section, on the model's scale
    steps: float = 0.3  # numbered steps, for a question asking how to do something
    figures: float = 0.6  # figures stated, for a question asking how many, how long, up to what
    limits_heading: float = 0.4  # ...and more when its heading names limits ("Limits", "上限")
    row_named: float = 0.8  # ...and when the question names a row of its table in full
    links: float = 1.0  # taken off a section that is only links (never quoted where others are)
    remedy: float = 1.2  # for a bug report, a section that says how to get round it or fix it
    opening: float = 0.15  # taken off the untitled opening for such a question
    second: float = 0.6  # a second section joins when it scores this share of the first...
    second_gain: float = 0.2  # ...and adds this share of the question's words
    whole_task: float = 0.7  # a how-to question this much about the title asks for all steps
    part_steps_gap: float = 1.0  # a part asking how is answered by steps unless another
    # section scores this much higher for it
    parent_tokens: int = 120  # a subsection's parent text up to this long is quoted above it
    table_rows: int = 6  # a table with more rows than this may be quoted as the rows asked about


#: The cosines of some chunks to a question (given its embedding, or the whole question's).
Similarity = Callable[[Sequence[str], "np.ndarray | None"], dict[str, float]]


@dataclass
class QuestionView:
    """The question as passage selection reads it."""

    terms: list[str]
    procedural: bool = False
    embedding: np.ndarray | None = None  # where the model reads the question's language
    language: str | None = None  # the question's language (which cosine scale applies)
    quantity: bool = False  # asks how many, how long, how often, up to what (a figure)
    # Whether a heading names limits ("Limits", "ファイルの上限"): the words that ask for a
    # figure, read on the heading (the policy's quantity_question patterns).
    names_limits: Callable[[str], bool] | None = None
    # A question asking two things or more: each part as a question of its own.
    parts: list[QuestionView] = field(default_factory=list)
    # A report of something not working, answered from a known issue: whether a section (its
    # heading and text) says how to get round it or fix it (the policy's workaround_section
    # patterns). The symptom or overview section describes what the customer already sees.
    remedy: Callable[[str], bool] | None = None
    # A question read against an article in another language: the search terms, in the
    # question's language, of a heading written in the other (through a glossary: "cards"
    # finds 対応カード, not 対応端末). The sections' own words are not translated.
    foreign_heading: Callable[[str], set[str]] | None = None


@dataclass
class SectionScores:
    """How well each section of an article matches a question, and what it was measured on."""

    scores: dict[int, float]  # section index -> score
    found: dict[int, set[str]]  # section index -> the question's terms it holds
    idf: dict[str, float]
    specific: list[str]  # the question's terms that are not in the title
    chunk_weights: dict[str, list[float]]  # chunk id -> BM25 weight of each question term
    cosines: dict[str, float]  # chunk id -> cosine to the question, where there are vectors
    remedies: set[int] = field(default_factory=set)  # sections saying how to get round it

    @property
    def specific_total(self) -> float:
        """Return the IDF mass of the question's words that the title does not hold."""
        return sum(self.idf[t] for t in self.specific)

    @property
    def title_share(self) -> float:
        """Return the share of the question's IDF mass that the article's title holds."""
        return 1.0 - self.specific_total / (sum(self.idf.values()) or 1.0)

    def gain(self, section: int, over: int) -> float:
        """Return the share of the question's specific words one section adds to another."""
        if not self.specific_total:
            return 0.0
        added = self.found[section] - self.found[over]
        return sum(self.idf[t] for t in self.specific if t in added) / self.specific_total


class PassageSelector:
    """Choose the passage of an article that answers a question."""

    def __init__(self, weights: SelectionWeights | None = None,
                 max_tokens: int = QUOTE_MAX_TOKENS) -> None:
        self.weights = weights or SelectionWeights()
        self.max_tokens = max_tokens

    def score(
        self, question: QuestionView, sections: Sequence[SectionView], title_terms: set[str],
        index: BM25Index, analyze: Callable[[str], list[str]],
        similarity: Similarity | None = None,
        *, anchor: str | None = None,
    ) -> SectionScores:
        """Score every section of an article for how well it answers the question.

        `similarity` gives the cosine of the question (its own embedding: a part of a question
        is compared as itself) to chunks that have vectors; `anchor`
        is the chunk search found, which wins ties.
        """
        w = self.weights
        terms = list(dict.fromkeys(question.terms))
        idf = {t: index.idf(t) for t in terms}
        chunk_weights = {r.chunk_id: index.row_weights(r.chunk_id, terms)
                         for s in sections for r in s.rows}
        # Words the article holds nowhere cannot tell its sections apart ("instead" in "pay by
        # bank transfer instead of card"), nor say what else than the title is asked about.
        headings = {s.index: set(analyze(s.heading)) if s.heading else set() for s in sections}
        if question.foreign_heading is not None and question.language is not None:
            for s in sections:
                if s.heading and s.rows and s.rows[0].language != question.language:
                    headings[s.index] |= question.foreign_heading(s.heading)
        anywhere = {t for ws in chunk_weights.values()
                    for t, weight in zip(terms, ws, strict=True) if weight > 0}
        anywhere |= {t for t in terms for h in headings.values() if _in_heading(t, h)}
        # A number in the question is the customer's situation ("2週間", "400 more people"), not
        # what tells the sections apart (it still counts in BM25).
        specific = [t for t in terms
                    if t not in title_terms and t in anywhere and not t.isdigit()]
        idf = {t: w for t, w in idf.items() if t in anywhere or t in title_terms}
        asked = set(terms)
        cosines = (similarity([c for s in sections for c in s.chunk_ids], question.embedding)
                   if similarity else {})
        result = SectionScores({}, {}, idf, specific, chunk_weights, cosines)
        specific_total = result.specific_total
        bm25 = {c: sum(ws) for c, ws in chunk_weights.items()}
        bm25_top = max(bm25.values(), default=0.0) or 1.0
        cos_top = max(cosines.values(), default=0.0)
        for s in sections:
            present = result.found[s.index] = {
                t for r in s.rows
                for t, weight in zip(terms, chunk_weights[r.chunk_id], strict=True) if weight > 0}
            score = 0.0
            if specific_total > 0:
                score += w.specific * sum(idf[t] for t in specific if t in present) / specific_total
                score += w.heading * sum(idf[t] for t in specific
                                         if _in_heading(t, headings[s.index])) / specific_total
            score += w.bm25 * max(bm25[c] for c in s.chunk_ids) / bm25_top
            section_cos = [cosines[c] for c in s.chunk_ids if c in cosines]
            if section_cos:
                score -= w.vector * (cos_top - max(section_cos))
            if question.procedural or question.remedy is not None:
                if s.has_steps:
                    score += w.steps
                elif _is_opening(s, sections):
                    score -= w.opening
            if question.quantity and s.has_figures:
                score += w.figures
                # "How many transfers can one file hold?" names the row "Transfers in one
                # file" (every word of a label of two or more).
                if any(len(label) >= 2 and label <= asked for label in s.label_terms(analyze)):
                    score += w.row_named
                if question.names_limits is not None and s.heading and question.names_limits(
                        s.heading.split(" > ")[-1]):
                    score += w.limits_heading
            if question.remedy is not None and question.remedy(f"{s.heading}\n{s.text}"):
                score += w.remedy
                result.remedies.add(s.index)
            if s.links_only:
                score -= w.links
            if anchor is not None and anchor in s.chunk_ids:
                score += 1e-6  # ties go to the chunk search found
            result.scores[s.index] = score
        return result

    def select(
        self, question: QuestionView, sections: Sequence[SectionView], title_terms: set[str],
        index: BM25Index, analyze: Callable[[str], list[str]],
        similarity: Similarity | None = None,
        *, anchor: str | None = None,
    ) -> Passage:
        """Return the passage of an article (one or more of its sections) that best answers
        the question."""
        if not sections:
            raise ValueError("an article without sections has nothing to quote")
        w = self.weights
        scored = self.score(question, sections, title_terms, index, analyze, similarity,
                            anchor=anchor)
        scores = scored.scores
        # A list of links to other articles answers nothing itself.
        ranked = sorted([s for s in sections if not s.links_only] or sections,
                        key=lambda s: -scores[s.index])
        best = ranked[0]
        # A question about the article's task as a whole (its words are mostly the title's):
        # the answer is the procedure, every section of steps in order.
        chosen: list[SectionView]
        # (Its steps, also when the article's untitled opening scored best: "Oktaでシングルサイン
        # オンを設定する方法を教えて" had quoted the introduction of the article on exactly that.)
        stepped = best if best.has_steps else next(
            (s for s in ranked if s.has_steps), None) if _is_opening(best, sections) else None
        if question.procedural and scored.title_share >= w.whole_task and stepped is not None:
            chosen = list(_procedure(sections, sections.index(stepped)))
        else:
            chosen = [best]
            if len(ranked) > 1:
                second = ranked[1]
                # A second section joins on what it says about the question, not for saying
                # how to get round a problem (every issue on a known-issues page does).
                if (scores[second.index] - w.remedy * (second.index in scored.remedies)
                        >= w.second * (scores[best.index]
                                       - w.remedy * (best.index in scored.remedies))
                        and scored.gain(second.index, best.index) >= w.second_gain):
                    chosen.append(second)
            # A subsection is read under its parent's own short text: the rule it is a case of
            # ("By default, the rate of the previous business day" above "Entering your own
            # rate"), as a help centre writes them.
            parent = _parent(sections, best)
            if (parent is not None and parent not in chosen and not parent.links_only
                    and parent.tokens <= w.parent_tokens
                    and parent.tokens + sum(s.tokens for s in chosen) <= self.max_tokens):
                chosen.append(parent)
            chosen.sort(key=lambda s: s.index)
        extra = [s for s in self._part_sections(question, sections, title_terms, index, analyze,
                                                similarity, anchor=anchor)
                 if s not in chosen]
        # A long table's rows the question names by their label ("Members", "メンバー数").
        named = {t for view in (question, *question.parts) for t in view.terms
                 if t not in title_terms and not t.isdigit()}

        def rows_wanted(label: str) -> bool:
            return bool(named & set(analyze(label)))

        return replace(self._quote(chosen, scored, extra, rows_wanted if named else None),
                       score=scores[best.index])

    def _part_sections(
        self, question: QuestionView, sections: Sequence[SectionView], title_terms: set[str],
        index: BM25Index, analyze: Callable[[str], list[str]],
        similarity: Similarity | None, *, anchor: str | None,
    ) -> list[SectionView]:
        """Return, for each part of a question that asks two things, the section that best
        answers that part, when it shows it does (holds the part's own words, or the steps
        or figures the part asks for)."""
        out: list[SectionView] = []
        for part in question.parts:
            if not part.terms:
                continue
            scored = self.score(part, sections, title_terms, index, analyze, similarity,
                                anchor=anchor)
            # What tells this part from the others ("price" in "price per seat + member
            # limit"): a section whose heading names it answers this part, even where the
            # title names it too ("Prices" in "Plans and pricing").
            others = {t for p in question.parts if p is not part for t in p.terms}
            distinct = {t for t in part.terms if t not in others and not t.isdigit()}
            named = {s.index for s in sections if s.heading and any(
                _in_heading(t, set(analyze(s.heading.split(" > ")[-1]))) for t in distinct)}
            value = {s.index: scored.scores[s.index] + self.weights.heading * (s.index in named)
                     for s in sections}
            # A part asking how to do something is answered by steps, where the article has any,
            # unless another section answers the part far better than any steps do ("Where do
            # I catch that error?": the "Error Handling" section, not a list of the kinds of
            # async dependency).
            best = max(sections, key=lambda s: value[s.index])
            steps = [s for s in sections if s.has_steps] if part.procedural else []
            if steps:
                stepped = max(steps, key=lambda s: value[s.index])
                if value[best.index] - value[stepped.index] < self.weights.part_steps_gap:
                    best = stepped
            shows = (bool(scored.found[best.index] & set(scored.specific))
                     or (part.quantity and best.has_figures)
                     or (part.procedural and best.has_steps))
            if shows and not best.links_only and best not in out:
                out.append(best)
        return out

    def _quote(self, sections: Sequence[SectionView], scored: SectionScores,
               extra: Sequence[SectionView] = (),
               rows_wanted: Callable[[str], bool] | None = None) -> Passage:
        """Quote sections whole while they fit, the first one trimmed if it alone does not;
        then each of `extra` (what a part of the question asks) that still fits, or its best
        chunks.

        A long table is quoted as its header and the rows the question names (`rows_wanted`
        reads a row's label) where the whole does not fit, or where another part of the
        question needs the room: a table cut between chunks otherwise started at a row the
        chunking chose, without the row asked about.
        """
        parts: list[tuple[SectionView, list[ChunkRow], str]] = []
        used = 0

        def focused(s: SectionView) -> tuple[str, int] | None:
            if rows_wanted is None:
                return None
            text = focus_tables(s.text, rows_wanted, self.weights.table_rows)
            if text is None:
                return None
            return text, max(1, round(s.tokens * len(text) / max(1, len(s.text))))

        for n, s in enumerate(sections):
            table = focused(s) if extra or used + s.tokens > self.max_tokens else None
            if table is not None and used + table[1] <= self.max_tokens:
                parts.append((s, list(s.rows), table[0]))
                used += table[1]
            elif used + s.tokens <= self.max_tokens:
                parts.append((s, list(s.rows), join_chunks(r.text for r in s.rows)))
                used += s.tokens
            elif n == 0:
                rows = self._trim(s, scored)
                parts.append((s, rows, join_chunks(r.text for r in rows)))
                used += sum(r.tokens for r in rows)
            else:
                break
        omitted = tuple(s.heading.split(" > ")[-1] for s in sections[len(parts):] if s.heading)
        for s in extra:
            room = self.max_tokens - used
            table = focused(s) if s.tokens > room else None
            if table is not None and table[1] <= room:
                parts.append((s, list(s.rows), table[0]))
                used += table[1]
                continue
            rows = list(s.rows) if s.tokens <= room else self._trim(s, scored, room)
            if rows and sum(r.tokens for r in rows) <= room:
                parts.append((s, rows, join_chunks(r.text for r in rows)))
                used += sum(r.tokens for r in rows)
        parts.sort(key=lambda p: p[0].index)
        text = "\n\n".join(_under_heading(s.heading, body) for s, _, body in parts)
        return Passage(
            chunk_ids=[r.chunk_id for _, rows, _ in parts for r in rows],
            text=text,
            section="\n\n".join(_under_heading(s.heading, s.text) for s, _, _ in parts),
            headings=tuple(s.heading for s, _, _ in parts),
            omitted=omitted,
        )

    def _trim(self, section: SectionView, scored: SectionScores,
              budget: int | None = None) -> list[ChunkRow]:
        """Keep the best chunk of a long section and its neighbours while they fit, without
        cutting a numbered list: a chunk continuing the list of a kept one is kept too."""
        rows = list(section.rows)
        budget = self.max_tokens if budget is None else budget

        def value(i: int) -> float:
            c = rows[i].chunk_id
            return sum(scored.chunk_weights[c]) + 4.0 * scored.cosines.get(c, 0.0)

        best = max(range(len(rows)), key=value)
        lo = hi = best
        used = rows[best].tokens
        # A list that runs into the chunks around the best one stays whole.
        while lo > 0 and _STEP_START.match(rows[lo].text) and _STEP.search(rows[lo - 1].text):
            lo -= 1
            used += rows[lo].tokens
        while hi + 1 < len(rows) and _STEP_START.match(rows[hi + 1].text) and _STEP.search(
                rows[hi].text):
            hi += 1
            used += rows[hi].tokens
        while True:
            options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(rows)
                       and used + rows[i].tokens <= budget]
            if not options:
                break
            i = max(options, key=value)
            used += rows[i].tokens
            lo, hi = min(lo, i), max(hi, i)
        return rows[lo:hi + 1]


# Linear-time: articles are uploaded text (a line of spaces after a row cost seconds with
# two adjacent `\s*` under `re`).
_TABLE_ROW = linear_re.compile(r"^\s*\|")
_DELIMITER_ROW = linear_re.compile(r"^\s*(?:\|\s*)?:?-{3,}")


def _tables(lines: Sequence[str]) -> Iterable[tuple[int, int]]:
    """Yield each Markdown table's lines as (start, end): its header at `start`, its
    delimiter after it, its body rows up to `end`."""
    i = 0
    while i < len(lines):
        if not (_TABLE_ROW.match(lines[i]) and i + 1 < len(lines)
                and _DELIMITER_ROW.match(lines[i + 1])):
            i += 1
            continue
        j = i + 2
        while j < len(lines) and _TABLE_ROW.match(lines[j]):
            j += 1
        yield i, j
        i = j


def focus_tables(text: str, wanted: Callable[[str], bool], max_rows: int) -> str | None:
    """Return a text with each table of more than `max_rows` rows cut to its header, its
    delimiter and the rows whose label (first cell) `wanted` accepts; None when no table is
    cut (none is that long, or no row of it is named: the whole table is the answer then)."""
    lines = text.split("\n")
    out: list[str] = []
    cut = False
    done = 0
    for start, end in _tables(lines):
        out.extend(lines[done:start])
        body = lines[start + 2:end]
        kept = [row for row in body if wanted(_first_cell(row))]
        if len(body) > max_rows and kept:
            out.extend([lines[start], lines[start + 1], *kept])
            cut = True
        else:
            out.extend(lines[start:end])
        done = end
    out.extend(lines[done:])
    return "\n".join(out) if cut else None


#: At most this many table rows of a section are read for labels the question names.
MAX_LABELS = 200


def table_labels(text: str) -> tuple[str, ...]:
    """Return the labels (first cells) of the body rows of a text's Markdown tables, at most
    MAX_LABELS of them."""
    lines = text.split("\n")
    labels = (_first_cell(row) for start, end in _tables(lines) for row in lines[start + 2:end])
    return tuple(label for label in labels if label)[:MAX_LABELS]


def _first_cell(row: str) -> str:
    """Return a Markdown table row's first cell (its label)."""
    cells = row.strip().strip("|").split("|")
    return cells[0].strip() if cells else ""


def _parent(sections: Sequence[SectionView], child: SectionView) -> SectionView | None:
    """Return the section whose heading path a subsection's continues, when it has text of its
    own (a heading followed at once by its first subsection has none, and no section)."""
    if " > " not in child.heading:
        return None
    path = child.heading.rsplit(" > ", 1)[0]
    return next((s for s in reversed(sections) if s.index < child.index and s.heading == path),
                None)


def _is_opening(section: SectionView, sections: Sequence[SectionView]) -> bool:
    """Tell whether a section is the article's untitled opening (its introduction)."""
    return not section.heading and section.index == sections[0].index


def _procedure(sections: Sequence[SectionView], at: int) -> Sequence[SectionView]:
    """Return the run of sections of steps around one: the article's procedure.

    A step may be a section of its own without a numbered list (a table of settings under
    "Step 2"), so one such section between two of steps belongs to the run; two or more end
    it (symptom, cause and status sections between the set-up steps and a workaround's).
    """
    lo = hi = at
    while hi + 1 < len(sections) and (sections[hi + 1].has_steps or (
            hi + 2 < len(sections) and sections[hi + 2].has_steps)):
        hi += 2 if not sections[hi + 1].has_steps else 1
    while lo > 0 and (sections[lo - 1].has_steps or (
            lo - 2 >= 0 and sections[lo - 2].has_steps)):
        lo -= 2 if not sections[lo - 1].has_steps else 1
    return sections[lo:hi + 1]


#: English suffixes that Snowball leaves on a word its verb does not have (pay -> payment).
_DERIVED = ("ment", "ments", "er", "ers", "ing", "ion", "ions", "ation", "ations", "al", "ance",
            "ence", "able", "ible", "ity", "ive", "or", "ors")


def _in_heading(term: str, heading_terms: set[str]) -> bool:
    """Tell whether a question term is in a heading, as itself or as a word derived from it
    ("pay" under "Payment methods")."""
    if term in heading_terms:
        return True
    if len(term) < 3 or not term.isascii():
        return False
    return any(h.startswith(term) and h[len(term):] in _DERIVED for h in heading_terms)


def join_chunks(texts: Iterable[str]) -> str:
    """Join a section's chunks back into its text.

    Chunks are joined by a blank line, except where a table was cut between two of them: a
    blank line there would end the table, and its second half would show as raw `| … |` rows.
    """
    out = ""
    for text in texts:
        if out and out.rstrip().rsplit("\n", 1)[-1].lstrip().startswith("|") and \
                text.lstrip().startswith("|"):
            out = out.rstrip() + "\n" + text.lstrip()
        else:
            out = f"{out}\n\n{text}" if out else text
    return out


def _under_heading(heading: str, body: str) -> str:
    """Put a section's own heading (the last of its path) above its text."""
    if not heading:
        return body
    return f"**{heading.split(' > ')[-1]}**\n{body}"
