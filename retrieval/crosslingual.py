"""Japanese questions, English articles: the question's words looked up in a dictionary.

The local embedding model reads English only, and BM25 matches words in the question's own
language, so a Japanese question about something only an English article explains found
nothing to ground an answer on. A `QueryTranslator` turns the question's content words
(Sudachi morphemes) into their English glosses from JMdict, which the English search legs,
BM25 and vectors alike, can then read. It is a bag of words, not a translation: it is
searched with, never shown.

The glossary is built at set-up (`make models`, or `python -m retrieval.crosslingual`) from
JMdict as packaged on PyPI (`jamdict-data==1.5`, an sdist pinned by sha256), and kept as a
small SQLite file next to the embedding model, read on demand. JMdict is the property of
the Electronic Dictionary Research and Development Group, used under its licence
(CC BY-SA 4.0): https://www.edrdg.org/edrdg/licence.html

CLI::

    python -m retrieval.crosslingual [--cache-dir DIR] [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import lzma
import re
import shutil
import sqlite3
import sys
import tarfile
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.artifacts import (
    Log,
    ModelPrepError,
    atomic_move,
    atomic_write_bytes,
    default_cache_dir,
    ensure_pinned,
    remove_stale_temporaries,
    sha256_file,
)
from retrieval.locks import file_lock
from retrieval.textproc import CACHE_MAX_CHARS

if TYPE_CHECKING:
    from retrieval.textproc import Analyzer

SDIST_PROJECT = "jamdict-data"
SDIST_VERSION = "1.5"
SDIST_FILENAME = "jamdict_data-1.5.tar.gz"
#: sha256 of the sdist on PyPI (reviewed once; any other file is refused).
SDIST_SHA256 = "a4247dd9bb3148ab17c1b32fc56d7a7f1c35293b0d6ff2838c811f896d13f415"
_DB_MEMBER = "jamdict_data-1.5/jamdict_data/jamdict.db.xz"

#: Bump when what the glossary holds changes: invalidates prepared copies.
BUILD_VERSION = 3
GLOSSARY_SUBDIR = "ja-en-glossary"
GLOSSARY_NAME = "glossary.sqlite3"
MANIFEST_NAME = "manifest.json"

# Per headword: the most common entries (JMdict's priority tags), their first senses, and
# the first glosses of each. More brings in rare readings whose words match unrelated text.
_ENTRIES_PER_HEAD = 3
_SENSES = 2
_GLOSSES_PER_SENSE = 2

# Sudachi's part of speech -> the class of JMdict part-of-speech names it matches (adverbs
# are not content words here: Analyzer.japanese_content_morphemes drops them).
_SUDACHI_CLASS = {"名詞": "noun", "動詞": "verb", "形容詞": "adj", "形状詞": "adj"}
# A kana word the dictionary lacks is read as known pieces only up to this length, and a
# piece is at most _PIECE_CHARS long: the lookups grow with the square of the length.
_SEGMENT_MAX_CHARS = 16
_PIECE_CHARS = 8
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+# -]*")  # "Internet Explorer" is one name
_KANA_ONLY = re.compile(r"[\u3040-\u30ff]+")
_KATAKANA_NAME = re.compile(r"[\u30a0-\u30ff]{3,}")
_PARENS = re.compile(r"\([^)]*\)")


class GlossaryError(ModelPrepError):
    """Raised when the glossary cannot be downloaded, verified or built."""


# --------------------------------------------------------------------------- building


def _pos_class(names: Sequence[str]) -> str:
    """Reduce a sense's JMdict part-of-speech names to noun / verb / adj / adv / other."""
    for name in names:
        if name.startswith("noun"):
            return "noun"
        if name.startswith("adverb"):
            return "adv"
        if "adjectiv" in name:
            return "adj"
        if "verb" in name:
            return "verb"
    return "other"


def clean_gloss(gloss: str) -> str:
    """Drop a gloss's parenthesised notes and a verb's leading 'to'."""
    text = _PARENS.sub(" ", gloss)
    text = re.sub(r"^\s*to\s+", "", text)
    return " ".join(text.split())


def _write_glossary(jmdict: sqlite3.Connection, out: Path) -> int:
    """Write the compact glossary (headword -> class and glosses) from JMdict; count rows."""
    priority: dict[int, int] = defaultdict(int)
    for (idseq,) in jmdict.execute(
        "SELECT k.idseq FROM KJP p JOIN Kanji k ON p.kid = k.ID "
        "UNION ALL SELECT k.idseq FROM KNP p JOIN Kana k ON p.kid = k.ID"
    ):
        priority[idseq] += 1
    heads: dict[str, list[int]] = defaultdict(list)
    for idseq, text in jmdict.execute(
        "SELECT idseq, text FROM Kanji UNION ALL SELECT idseq, text FROM Kana ORDER BY 1"
    ):
        if idseq not in heads[text]:
            heads[text].append(idseq)
    pos: dict[int, list[str]] = defaultdict(list)
    for sid, text in jmdict.execute("SELECT sid, text FROM pos"):
        pos[sid].append(text)
    senses: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
    for idseq, sid, text in jmdict.execute(
        "SELECT s.idseq, s.ID, g.text FROM Sense s JOIN SenseGloss g ON g.sid = s.ID "
        "WHERE g.lang = 'eng' OR g.lang IS NULL ORDER BY s.ID, g.rowid"
    ):
        entry = senses[idseq]
        if not entry or entry[-1][0] != sid:
            entry.append((sid, []))
        entry[-1][1].append(text)

    def glosses(idseq: int) -> tuple[str, list[str]]:
        chosen = senses.get(idseq, [])[:_SENSES]
        # JMdict states a part of speech on the first sense it applies to only.
        kind = _pos_class(pos.get(chosen[0][0], [])) if chosen else "other"
        words = [clean_gloss(g) for _, gs in chosen for g in gs[:_GLOSSES_PER_SENSE]]
        return kind, [w for w in words if w]

    out.unlink(missing_ok=True)
    db = sqlite3.connect(out)
    rows = 0
    try:
        db.execute("CREATE TABLE gloss (head TEXT NOT NULL, rank INTEGER NOT NULL, "
                   "class TEXT NOT NULL, glosses TEXT NOT NULL)")
        batch: list[tuple[str, int, str, str]] = []
        for head, ids in heads.items():
            ranked = sorted(ids, key=lambda i: (-priority[i], i))[:_ENTRIES_PER_HEAD]
            for rank, idseq in enumerate(ranked):
                kind, words = glosses(idseq)
                if words:
                    batch.append((head, rank, kind, "\t".join(words)))
        db.executemany("INSERT INTO gloss VALUES (?, ?, ?, ?)", batch)
        db.execute("CREATE INDEX gloss_head ON gloss (head, rank)")
        db.commit()
        rows = len(batch)
        db.execute("VACUUM")
    finally:
        db.close()
    return rows


def _manifest_ok(out_dir: Path, *, verify_hash: bool) -> bool:
    try:
        manifest = json.loads((out_dir / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return False
    path = out_dir / GLOSSARY_NAME
    if manifest.get("build_version") != BUILD_VERSION or not path.is_file():
        return False
    if path.stat().st_size != manifest.get("bytes"):
        return False
    return not verify_hash or sha256_file(path) == manifest.get("sha256")


def glossary_file(cache_dir: Path | None = None) -> Path | None:
    """Return the prepared glossary in ``cache_dir``, or None when it is not there."""
    out_dir = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / GLOSSARY_SUBDIR
    return out_dir / GLOSSARY_NAME if _manifest_ok(out_dir, verify_hash=False) else None


def _build(out_dir: Path, download_dir: Path, log: Log) -> None:
    sdist = ensure_pinned(SDIST_PROJECT, SDIST_VERSION, SDIST_FILENAME, SDIST_SHA256,
                          download_dir, log, what=SDIST_FILENAME)
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MANIFEST_NAME).unlink()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        db_path = Path(tmp) / "jamdict.db"
        with tarfile.open(sdist, "r:gz") as tar:
            member = tar.extractfile(_DB_MEMBER)
            if member is None:
                raise GlossaryError(f"{SDIST_FILENAME} has no {_DB_MEMBER}")
            with lzma.open(member) as packed, db_path.open("wb") as unpacked:
                shutil.copyfileobj(packed, unpacked, 1 << 20)
        jmdict = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
        try:
            (version,) = jmdict.execute(
                "SELECT value FROM meta WHERE key = 'jmdict.version'").fetchone()
            built = Path(tmp) / GLOSSARY_NAME
            rows = _write_glossary(jmdict, built)
        finally:
            jmdict.close()
        atomic_move(built, out_dir / GLOSSARY_NAME)
    path = out_dir / GLOSSARY_NAME
    manifest = {"build_version": BUILD_VERSION, "source": f"{SDIST_PROJECT}=={SDIST_VERSION}",
                "source_sha256": SDIST_SHA256, "jmdict_version": version, "rows": rows,
                "bytes": path.stat().st_size, "sha256": sha256_file(path),
                "licence": "JMdict, EDRDG, CC BY-SA 4.0"}
    atomic_write_bytes(out_dir / MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
    log(f"built the Japanese-English glossary ({rows} headwords and readings) in "
        f"{time.perf_counter() - started:.1f}s")


def prepare_glossary(cache_dir: Path | None = None, *, force: bool = False,
                     log: Log | None = None) -> Path:
    """Ensure the verified glossary exists in ``cache_dir``; return its path."""
    emit: Log = log if log is not None else (lambda _msg: None)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out_dir = root / GLOSSARY_SUBDIR
    if not force and _manifest_ok(out_dir, verify_hash=True):
        emit(f"cached glossary verified in {out_dir}")
        return out_dir / GLOSSARY_NAME
    with file_lock(root / ".prep.lock"):
        # Another process may have finished the build while we waited for the lock.
        if not force and _manifest_ok(out_dir, verify_hash=True):
            emit(f"cached glossary verified in {out_dir}")
            return out_dir / GLOSSARY_NAME
        remove_stale_temporaries(out_dir, root / "downloads")
        _build(out_dir, root / "downloads", emit)
        if not _manifest_ok(out_dir, verify_hash=True):
            raise GlossaryError(
                f"the glossary in {out_dir} failed verification right after the build")
    return out_dir / GLOSSARY_NAME


# --------------------------------------------------------------------------- reading


class Glossary:
    """Read-only lookups in a prepared glossary: a Japanese word's English glosses."""

    def __init__(self, path: Path) -> None:
        """Open the glossary file at `path` (see prepare_glossary)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"no glossary at {path}: run `make models`")
        self.path = Path(path)
        self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   check_same_thread=False)
        self._lock = threading.Lock()
        # Per instance, so that a closed glossary's cache goes with it.
        self._remembered = functools.lru_cache(maxsize=50_000)(self._lookup)
        try:
            self._db.execute("SELECT head FROM gloss LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            self._db.close()
            raise GlossaryError(f"{path} is not a readable glossary ({exc}): run "
                                "`python -m retrieval.crosslingual --force`") from exc

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
        self._remembered.cache_clear()

    def lookup(self, word: str, kind: str | None = None) -> tuple[str, ...]:
        """Return the English glosses of `word`, from the entry of part of speech `kind`
        (noun, verb, adj) when there is one, else from its most common entry."""
        return self._remembered(word, kind)

    def _lookup(self, word: str, kind: str | None) -> tuple[str, ...]:
        with self._lock:
            rows = self._db.execute(
                "SELECT class, glosses FROM gloss WHERE head = ? ORDER BY rank", (word,)
            ).fetchall()
        if not rows:
            return ()
        chosen = next((g for c, g in rows if c == kind), rows[0][1])
        return tuple(chosen.split("\t"))


@dataclass(frozen=True)
class Translation:
    """A question's words in the target language: a query to search with, and per source
    word the search terms of its glosses (any one of them counts as the word found)."""

    text: str
    groups: tuple[tuple[str, ...], ...]
    words: tuple[str, ...]  # the source words that were translated

    def __bool__(self) -> bool:
        """Whether there is anything to search with (a name kept as written is not)."""
        return bool(self.text)


class QueryTranslator:
    """Japanese question -> English search words, through the glossary."""

    source = "ja"
    target = "en"

    def __init__(self, glossary: Glossary, analyzer: Analyzer) -> None:
        """Translate with `glossary`; `analyzer` splits the Japanese and stems the English."""
        self.glossary = glossary
        self.analyzer = analyzer
        self._remembered = functools.lru_cache(maxsize=2048)(self._translate)

    def close(self) -> None:
        """Close the glossary."""
        self._remembered.cache_clear()
        self.glossary.close()

    def _glosses(self, forms: Sequence[str], kind: str | None) -> tuple[str, ...]:
        for form in forms:
            found = self.glossary.lookup(form, kind)
            if found:
                return found
        return ()

    def _segmented(self, word: str) -> tuple[str, ...]:
        """Glosses of a kana word the dictionary lacks, read as the longest known pieces
        from the left (two characters at least); () when some piece is unknown."""
        if len(word) > _SEGMENT_MAX_CHARS:
            return ()
        found: list[str] = []
        start = 0
        while start < len(word):
            for end in range(min(len(word), start + _PIECE_CHARS), start + 1, -1):
                glosses = self.glossary.lookup(word[start:end])
                if glosses:
                    found.extend(glosses[:2])
                    start = end
                    break
            else:
                return ()
        return tuple(found)

    def translate(self, text: str) -> Translation:
        """Return the English words for a Japanese text's content words (short texts, such
        as questions, are remembered)."""
        if len(text) <= CACHE_MAX_CHARS:
            return self._remembered(text)
        return self._translate(text)

    def _translate(self, text: str) -> Translation:
        words: list[str] = []
        glosses: list[tuple[str, ...]] = []
        groups: list[tuple[str, ...]] = []
        for surface, forms, pos, parts in self.analyzer.japanese_content_morphemes(text):
            if _LATIN.fullmatch(surface):
                found: tuple[str, ...] = (surface,)  # product names, codes, numbers
            elif len(surface) == 1 and _KANA_ONLY.fullmatch(surface):
                continue  # a lone kana is a counter or a fragment, not a topic
            else:
                found = self._glosses(forms, _SUDACHI_CLASS.get(pos))
                if not found and len(parts) > 1:  # a compound the dictionary lacks
                    found = tuple(g for part in parts for g in self._glosses(part, None)[:2])
                if not found and _KANA_ONLY.fullmatch(surface):  # サブタスク: サブ + タスク
                    found = self._segmented(surface)
                if not found and _KATAKANA_NAME.fullmatch(surface):
                    # A katakana word no dictionary entry reads is a name (サイボウズ, キントーン):
                    # kept as written, it searches for nothing in English, and counts as a word
                    # of the question that the English articles never use.
                    words.append(surface)
                    groups.append((surface,))
                    continue
            terms = tuple(dict.fromkeys(t for g in found for t in self.analyzer.terms(g)))
            if terms:  # glosses of nothing but stop words search for nothing
                words.append(surface)
                glosses.append(found)
                groups.append(terms)
        return Translation(" ".join(g for found in glosses for g in found), tuple(groups),
                           tuple(words))


def load_translator(cache_dir: Path | None, analyzer: Analyzer) -> QueryTranslator | None:
    """Return a translator over the prepared glossary, or None when it was not prepared or
    cannot be read (GlossaryError says which)."""
    path = glossary_file(cache_dir)
    return QueryTranslator(Glossary(path), analyzer) if path is not None else None


def main(argv: list[str] | None = None) -> int:
    """Run the glossary preparation CLI."""
    parser = argparse.ArgumentParser(prog="python -m retrieval.crosslingual",
                                     description="Prepare the Japanese-English glossary.")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache dir (default: $KOTAE_MODEL_DIR or ~/.cache/kotae/models)")
    parser.add_argument("--force", action="store_true", help="rebuild even when it verifies")
    args = parser.parse_args(argv)
    try:
        path = prepare_glossary(args.cache_dir, force=args.force, log=print)
    except ModelPrepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"glossary: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__: list[str] = ["Glossary", "QueryTranslator", "Translation", "glossary_file",
                      "load_translator", "prepare_glossary"]
