"""Language detection and the analyzers that turn text into lexical search terms."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator
from typing import Any, Literal, NamedTuple

import snowballstemmer

Language = Literal["en", "ja"]

# These run on every uploaded article and question and find a match per word or character,
# so they stay on `re`: each is one character class (repeated), which `re` matches in linear
# time too, at a fraction of RE2's cost a match (retrieval/linear_re.py; held to it by
# tests/unit/test_linear_time.py).
_JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_HIRAGANA = re.compile(r"[\u3041-\u3096]")
_PARTICLE_ON_LATIN = re.compile(r"[A-Za-z0-9][\u3041-\u3096]")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Sudachi refuses inputs over ~49 KB; split long text at line ends well below that.
_SUDACHI_MAX_CHARS = 4000

_EN_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t don isn doesn didn won aren weren wasn hasn haven couldn shouldn wouldn can't cannot
    i'm i've we're it's please hi hello thanks thank
    regards best cheers dear team""".split()
)
# Parts of speech that carry no topic: particles, auxiliaries, symbols, blanks, and so on.
_JA_DROP_POS = frozenset(
    ["助詞", "助動詞", "補助記号", "空白", "記号", "接続詞", "感動詞", "代名詞", "接頭辞", "連体詞"]
)
# Light verbs and adjectives match everything ("してください"), so they are not index terms.
_JA_LIGHT = frozenset(["する", "為る", "いる", "居る", "ある", "有る", "なる", "成る", "できる",
                       "出来る", "くださる", "下さる", "いただく", "頂く", "おる", "思う", "良い",
                       "よい", "ない", "無い", "こと", "もの", "よう", "ため", "お願い", "願う",
                       "教える", "知る", "分かる", "わかる"])


def _no_topic(pos: tuple[str, ...], form: str) -> bool:
    """Tell whether a Sudachi morpheme carries no topic: its part of speech, a dependent
    word, or a light verb or adjective."""
    return pos[0] in _JA_DROP_POS or pos[1] == "非自立可能" or form in _JA_LIGHT


def _independent_verb(pos: tuple[str, ...], form: str, after: tuple[str, ...]) -> bool:
    """Tell whether a verb Sudachi marks as possibly dependent (忘れる, 始める, 終わる) is used
    on its own here: not right after another verb or its て/で (書き忘れる, 使って終わる),
    where it only adds an aspect. Light verbs (できる, する) never are."""
    return (pos[0] == "動詞" and pos[1] == "非自立可能" and form not in _JA_LIGHT
            and after[0] != "動詞" and not (after[0] == "助詞" and after[1] == "接続助詞"))


# Names people write for the two languages instead of an ISO 639-1 code.
_LANGUAGE_ALIASES = {"jp": "ja", "jpn": "ja", "japanese": "ja", "日本語": "ja",
                     "eng": "en", "english": "en", "英語": "en"}


def language_code(value: str) -> str:
    """Reduce a language tag to its lower-case primary subtag: 'en-US', 'EN', 'ja_JP' -> 'en', 'ja'.

    Help-desk exports and browsers write region-qualified BCP 47 tags; everything downstream
    (the languages a model reads, the same-language preference, language filters) compares
    bare codes. A few common names ('Japanese', 'jp') are mapped too; anything else keeps its
    primary subtag. A blank tag stays blank.
    """
    tag = unicodedata.normalize("NFKC", value).strip().lower().replace("_", "-")
    primary = tag.split("-", 1)[0]
    return _LANGUAGE_ALIASES.get(tag, _LANGUAGE_ALIASES.get(primary, primary))


def japanese_char_count(text: str) -> int:
    """Count kana and CJK characters in a text."""
    return len(_JA_CHAR.findall(text))


def detect_language(text: str) -> Language:
    """Guess whether a text is Japanese or English."""
    ja = japanese_char_count(text)
    if ja == 0:
        return "en"
    # A Japanese character carries about as much as three Latin letters, so a Japanese
    # company name in an English signature does not flip the verdict.
    latin = len(_LATIN_LETTER.findall(text))
    if ja * 3 >= latin:
        return "ja"
    # Hiragana written onto a Latin word is Japanese grammar (a particle, a verb ending),
    # which a name or a thank-you in an English sentence does not bring: "Businessだと？" and
    # "Enterprise planでもSAML SSOは使えますか" are Japanese around the product's English words.
    if _PARTICLE_ON_LATIN.search(text) is None:
        return "en"
    return "ja" if len(_HIRAGANA.findall(text)) * 6 >= latin else "en"


#: The most of one message that is searched with and tagged: its start and its end. A question
#: is a few hundred characters; a 20,000-character message is a pasted log, an e-mail thread
#: or an attack, and analysing all of it cost up to 34 ms of CPU a request (and longer
#: searches) for no better match. The guards and redactors still read the whole message.
QUERY_HEAD_CHARS = 1500
QUERY_TAIL_CHARS = 500


def query_window(text: str) -> str:
    """Return the part of a message that is searched with: all of it, or its start and end.

    A question is usually at the start of a message or, after a pasted log, at its end.
    """
    if len(text) <= QUERY_HEAD_CHARS + QUERY_TAIL_CHARS:
        return text
    return f"{text[:QUERY_HEAD_CHARS]}\n{text[-QUERY_TAIL_CHARS:]}"


def normalize(text: str) -> str:
    """Fold full-width forms and case so 'ＳＡＭＬ' and 'saml' are the same term."""
    return unicodedata.normalize("NFKC", text).lower()


class Morpheme(NamedTuple):
    """A content word of a Japanese text (Analyzer.japanese_content_morphemes)."""

    surface: str
    forms: tuple[str, ...]  # dictionary form, normalised form, surface (distinct, in order)
    pos: str  # Sudachi's part of speech, first level (名詞, 動詞, ...)
    parts: list[tuple[str, ...]]  # the forms of its pieces in Sudachi's finest split


class Analyzer:
    """Turn text into search terms: stemmed English words and Sudachi-normalised Japanese."""

    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._stem_lock = threading.Lock()
        self._sudachi: Any = None
        self._lock = threading.Lock()

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 - one Analyzer lives per process
    def _stem(self, word: str) -> str:
        # Snowball keeps its working state (current word, cursor) on the stemmer, so two
        # threads stemming at once corrupt each other: IndexError, or a wrong stem that
        # the cache above would then keep. It is pure Python, so the lock costs no parallelism.
        with self._stem_lock:
            return str(self._stemmer.stemWord(word))

    def _english_terms(self, text: str) -> Iterator[str]:
        for token in _WORD.findall(text):
            word = token.replace("’", "'").split("'")[0]
            if word in _EN_STOPWORDS or (len(word) == 1 and not word.isdigit()):
                continue
            yield self._stem(word)

    def _tokenizer(self) -> Any:
        if self._sudachi is None:
            from sudachipy import Dictionary, SplitMode

            self._sudachi = Dictionary(dict="core").tokenizer(mode=SplitMode.B)
        return self._sudachi

    def _japanese_terms(self, text: str) -> Iterator[str]:
        with self._lock:  # Sudachi tokenizers are not thread-safe
            tokenizer = self._tokenizer()
            morphemes: list[tuple[str, tuple[str, ...], str, str | None]] = []
            for piece in _pieces(text):
                morphemes.extend((m.normalized_form(), m.part_of_speech(), m.surface(),
                                  self._stem_noun(tokenizer, m.surface())
                                  if m.part_of_speech()[0] == "動詞"
                                  and m.part_of_speech()[5] == "連用形-一般" else None)
                                 for m in tokenizer.tokenize(piece))
        previous: tuple[str, ...] = ("",)
        for form, pos, surface, noun in morphemes:
            after = previous
            previous = pos
            # An English word inside Japanese text is an English term: Sudachi's normalised
            # form would spell it in katakana ("bank" -> バンク) and it would never match the
            # same word in an English text or question.
            if _LATIN_LETTER.search(surface) and not _JA_CHAR.search(surface):
                yield from self._english_terms(normalize(surface))
                continue
            if _no_topic(pos, form) and not _independent_verb(pos, form, after):
                continue
            form = normalize(form)
            if _JA_CHAR.search(form):
                yield form
                if noun is not None and noun != form:
                    yield noun
            else:
                yield from self._english_terms(form)

    @functools.lru_cache(maxsize=20_000)  # noqa: B019 - one Analyzer lives per process
    def _stem_noun(self, tokenizer: Any, surface: str) -> str | None:
        """Return the noun a verb's continuative form is used as, if Sudachi knows one: the
        same word is a verb in お支払い方法 and 請求書払い（銀行振込）, a noun in 支払期限 and
        請求書払いにした, and each should find the other. Called with the tokenizer's lock."""
        found = tokenizer.tokenize(surface)
        if len(found) == 1 and found[0].part_of_speech()[0] == "名詞":
            return normalize(found[0].normalized_form())
        return None

    def japanese_content_morphemes(self, text: str) -> list[Morpheme]:
        """Return a Japanese text's content words, to look up in a dictionary.

        The words are Sudachi's longest units (a compound such as 視覚障害 is one entry),
        not the mid-length ones the index terms use; particles, auxiliaries, light verbs
        and the other parts of speech the index drops are dropped, and adverbs too (さらに,
        どう: they say how, not what about).
        """
        from sudachipy import SplitMode

        out: list[Morpheme] = []
        with self._lock:  # Sudachi tokenizers are not thread-safe
            tokenizer = self._tokenizer()
            for piece in _pieces(unicodedata.normalize("NFKC", text)):
                for m in tokenizer.tokenize(piece, SplitMode.C):
                    pos = m.part_of_speech()
                    if (pos[0] == "副詞" or _no_topic(pos, m.normalized_form())
                            or m.dictionary_form() in _JA_LIGHT):
                        continue
                    forms = tuple(dict.fromkeys(
                        (m.dictionary_form(), m.normalized_form(), m.surface())))
                    parts = [tuple(dict.fromkeys((p.dictionary_form(), p.normalized_form())))
                             for p in m.split(SplitMode.A)]
                    out.append(Morpheme(m.surface(), forms, pos[0], parts))
        return out

    def terms(self, text: str) -> list[str]:
        """Return the search terms of a text, in order.

        Short texts (queries) are remembered: one decision searches the knowledge base and
        the tickets, scores groundings and tags with the same query, and Sudachi would
        otherwise analyse it each time.
        """
        if len(text) <= CACHE_MAX_CHARS:
            return list(self._cached_terms(text))
        return self._terms(text)

    @functools.lru_cache(maxsize=2048)  # noqa: B019 - one Analyzer lives per store
    def _cached_terms(self, text: str) -> tuple[str, ...]:
        return tuple(self._terms(text))

    def _terms(self, text: str) -> list[str]:
        text = normalize(text)
        if _JA_CHAR.search(text):
            return list(self._japanese_terms(text))
        return list(self._english_terms(text))


#: Texts up to this long (questions) are remembered by the analysers that see them again.
CACHE_MAX_CHARS = 2000


def _pieces(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = min(len(text), start + _SUDACHI_MAX_CHARS)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end
