"""The Japanese-English glossary: built from a JMdict database, read by the query translator."""

import json
import sqlite3
from pathlib import Path

import pytest

from retrieval.artifacts import sha256_file
from retrieval.crosslingual import (
    BUILD_VERSION,
    GLOSSARY_NAME,
    GLOSSARY_SUBDIR,
    MANIFEST_NAME,
    Glossary,
    QueryTranslator,
    _write_glossary,
    clean_gloss,
    glossary_file,
)
from retrieval.lexical import BM25Index
from retrieval.textproc import Analyzer

# (idseq, kanji, kana, priority tags, senses: [(part of speech, [glosses])])
ENTRIES = [
    (1, ["繰り返す"], ["くりかえす"], ["ichi1"], [("transitive verb", ["to repeat",
                                                                       "to do over again"])]),
    (2, [], ["タスク"], ["gai1"], [("noun (common) (futsuumeishi)", ["task"])]),
    (3, [], ["サブ"], [], [("noun (common) (futsuumeishi)", ["sub-", "substitute"])]),
    (4, ["毎週"], ["まいしゅう"], ["news1"], [("noun (common) (futsuumeishi)", ["every week"])]),
    # A rare and a common entry share a spelling: the common one comes first.
    (5, ["月曜"], ["げつよう"], [], [("noun (common) (futsuumeishi)", ["moon day (archaic)"])]),
    (6, ["月曜"], ["げつよう"], ["news1", "ichi1"], [("noun (common) (futsuumeishi)",
                                                     ["Monday"])]),
    # One spelling, a noun and a verb: the part of speech picks.
    (7, ["作り"], ["つくり"], ["ichi1", "news1"], [("noun (common) (futsuumeishi)",
                                                    ["build (of the body)", "physique"])]),
    (8, ["作る"], ["つくる"], ["ichi1"], [("Godan verb with 'ru' ending", ["to make",
                                                                         "to produce"]),
                                         ("transitive verb", ["to brew"])]),
    # The headings of a Japanese article's sections (an English question choosing among them).
    (9, [], ["カード"], ["gai1"], [("noun (common) (futsuumeishi)", ["card"])]),
    (10, ["端末"], ["たんまつ"], ["news1"], [("noun (common) (futsuumeishi)",
                                             ["terminal", "device"])]),
    (11, ["対応"], ["たいおう"], ["ichi1"], [("noun (common) (futsuumeishi)",
                                             ["support", "handling"])]),
]


def make_jmdict(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE Kanji (ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT);
        CREATE TABLE Kana (ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT, nokanji BOOLEAN);
        CREATE TABLE KJP (kid INTEGER, text TEXT);
        CREATE TABLE KNP (kid INTEGER, text TEXT);
        CREATE TABLE Sense (ID INTEGER PRIMARY KEY, idseq INTEGER);
        CREATE TABLE pos (sid INTEGER, text TEXT);
        CREATE TABLE SenseGloss (sid INTEGER, lang TEXT, gend TEXT, text TEXT);
    """)
    for idseq, kanji, kana, tags, senses in ENTRIES:
        for text in kanji:
            kid = db.execute("INSERT INTO Kanji (idseq, text) VALUES (?, ?)",
                             (idseq, text)).lastrowid
            db.executemany("INSERT INTO KJP VALUES (?, ?)", [(kid, t) for t in tags])
        for text in kana:
            kid = db.execute("INSERT INTO Kana (idseq, text) VALUES (?, ?)",
                             (idseq, text)).lastrowid
            db.executemany("INSERT INTO KNP VALUES (?, ?)", [(kid, t) for t in tags])
        for pos, glosses in senses:
            sid = db.execute("INSERT INTO Sense (idseq) VALUES (?)", (idseq,)).lastrowid
            db.execute("INSERT INTO pos VALUES (?, ?)", (sid, pos))
            db.executemany("INSERT INTO SenseGloss VALUES (?, 'eng', NULL, ?)",
                           [(sid, g) for g in glosses])
    db.commit()
    return db


@pytest.fixture(scope="module")
def glossary(tmp_path_factory: pytest.TempPathFactory) -> Glossary:
    root = tmp_path_factory.mktemp("glossary")
    jmdict = make_jmdict(root / "jmdict.db")
    assert _write_glossary(jmdict, root / GLOSSARY_NAME) > 0
    jmdict.close()
    return Glossary(root / GLOSSARY_NAME)


@pytest.fixture(scope="module")
def translator(glossary: Glossary) -> QueryTranslator:
    return QueryTranslator(glossary, Analyzer())


def test_glosses_lose_their_notes_and_a_verbs_to() -> None:
    assert clean_gloss("to write out (e.g. on a blackboard)") == "write out"
    assert clean_gloss("person in charge (of an area of work)") == "person in charge"
    assert clean_gloss("tomato") == "tomato"


def test_the_common_entry_of_a_spelling_comes_first(glossary: Glossary) -> None:
    assert glossary.lookup("月曜") == ("Monday",)
    assert glossary.lookup("くりかえす") == ("repeat", "do over again")  # a reading finds it too
    assert glossary.lookup("存在しない") == ()


def test_the_part_of_speech_picks_between_entries(glossary: Glossary) -> None:
    assert glossary.lookup("作り", "noun") == ("build", "physique")
    assert glossary.lookup("作る", "verb") == ("make", "produce", "brew")
    # No entry of that class: the most common one.
    assert glossary.lookup("月曜", "verb") == ("Monday",)


def test_a_japanese_question_becomes_english_search_words(translator: QueryTranslator) -> None:
    found = translator.translate("毎週月曜に繰り返すタスクを作りたいです")
    assert found.words == ("毎週", "月曜", "繰り返す", "タスク", "作り")
    assert found.text.split()[:3] == ["every", "week", "Monday"]
    assert ("monday",) in found.groups and ("task",) in found.groups
    assert ("repeat",) in found.groups  # "do over again" is all stop words but 'again'


def test_latin_words_pass_through_and_particles_lone_kana_and_adverbs_drop(
        translator: QueryTranslator) -> None:
    found = translator.translate("GitHubのタスクはさらに2つ")
    assert found.words == ("GitHub", "タスク", "2")
    assert found.groups == (("github",), ("task",), ("2",))


def test_a_name_of_several_latin_words_stays_one_word(translator: QueryTranslator) -> None:
    # It was dropped ("Internet Explorerで使えますか？" searched for "usable" alone and found
    # the accessibility article's "usable by everyone").
    found = translator.translate("Internet Explorerで使えますか？")
    assert found.words[0] == "Internet Explorer"
    assert found.groups[0] == ("internet", "explor")


def test_a_katakana_name_no_entry_reads_is_kept_as_a_word_english_never_uses(
        translator: QueryTranslator) -> None:
    # Dropped, "サイボウズOfficeのスケジュールと同期" searched for "Office schedule" alone and
    # the recurring-tasks article answered a question about a product it never mentions.
    found = translator.translate("ヌヌヌボウズのタスク")
    assert found.words == ("ヌヌヌボウズ", "タスク")
    assert found.groups == (("ヌヌヌボウズ",), ("task",))
    assert "ヌヌヌボウズ" not in found.text  # nothing to search for in English


def test_a_compound_the_dictionary_lacks_is_read_as_known_pieces(
        translator: QueryTranslator) -> None:
    found = translator.translate("サブタスク")
    assert found.words == ("サブタスク",)
    assert found.groups == (("sub", "substitut", "task"),)
    assert not translator.translate("ヌヌヌヌ")  # unknown pieces: nothing to search with
    assert not translator.translate("")


def test_group_coverage_counts_a_word_found_by_any_of_its_terms() -> None:
    analyzer = Analyzer()
    rows = ["Create a recurring task every Monday", "Invoices are sent by email",
            "Recurring invoices repeat monthly", "Tasks and subtasks"]
    index = BM25Index()
    index.build((str(i), analyzer.terms(r), {}) for i, r in enumerate(rows))
    terms = analyzer.terms("recurring monday invoice")
    # Single-term groups are plain coverage.
    assert index.group_coverage("0", [(t,) for t in terms]) == pytest.approx(
        index.coverage("0", terms))
    # A word is found by any of its glosses, with the weight of the rarest one present, out
    # of its rarest term's: 'recur' (two rows) counts for less than 'repeat' (one row).
    word = ("repeat", "recur")
    assert index.group_coverage("2", [word]) == pytest.approx(1.0)
    assert 0.0 < index.group_coverage("0", [word]) < 1.0
    assert index.group_coverage("1", [word]) == 0.0
    assert index.group_coverage("0", [word, ("monday",)]) > index.group_coverage("0", [word])
    assert index.group_coverage("1", []) == 0.0


def test_the_prepared_glossary_is_found_only_with_a_matching_manifest(tmp_path: Path) -> None:
    out = tmp_path / GLOSSARY_SUBDIR
    out.mkdir()
    assert glossary_file(tmp_path) is None
    path = out / GLOSSARY_NAME
    path.write_bytes(b"x" * 10)
    manifest = {"build_version": BUILD_VERSION, "bytes": 10, "sha256": sha256_file(path)}
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert glossary_file(tmp_path) == path
    (out / MANIFEST_NAME).write_text(json.dumps({**manifest, "build_version": -1}))
    assert glossary_file(tmp_path) is None  # an older build is rebuilt, not read
    with pytest.raises(FileNotFoundError, match="make models"):
        Glossary(tmp_path / "missing.sqlite3")


def test_prepare_builds_from_the_pinned_package_and_reuses_or_repairs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import lzma
    import tarfile

    from retrieval import artifacts, crosslingual

    # A package shaped like jamdict-data's sdist, holding the small JMdict above.
    jmdict = make_jmdict(tmp_path / "jmdict.db")
    jmdict.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    jmdict.execute("INSERT INTO meta VALUES ('jmdict.version', 'test')")
    jmdict.commit()
    jmdict.close()
    packed = lzma.compress((tmp_path / "jmdict.db").read_bytes())
    downloads = tmp_path / "cache" / "downloads"
    downloads.mkdir(parents=True)
    sdist = downloads / crosslingual.SDIST_FILENAME
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo(crosslingual._DB_MEMBER)
        info.size = len(packed)
        tar.addfile(info, io.BytesIO(packed))
    monkeypatch.setattr(crosslingual, "SDIST_SHA256", sha256_file(sdist))

    said: list[str] = []
    path = crosslingual.prepare_glossary(tmp_path / "cache", log=said.append)
    assert path == glossary_file(tmp_path / "cache")
    assert Glossary(path).lookup("タスク") == ("task",)
    manifest = json.loads((path.parent / MANIFEST_NAME).read_text())
    assert manifest["jmdict_version"] == "test" and manifest["sha256"] == sha256_file(path)
    assert any("built the Japanese-English glossary" in line for line in said)

    said.clear()
    assert crosslingual.prepare_glossary(tmp_path / "cache", log=said.append) == path
    assert said == [f"cached glossary verified in {path.parent}"]

    # A damaged file (same size, other bytes) is rebuilt from the cached package.
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    said.clear()
    crosslingual.prepare_glossary(tmp_path / "cache", log=said.append)
    assert any("built" in line for line in said)
    assert Glossary(path).lookup("月曜") == ("Monday",)
    assert not list(path.parent.glob(".build-*"))

    # A package that is not the pinned one is refused, not read.
    sdist.write_bytes(b"not the package")
    def offline(*_args: object, **_kwargs: object) -> None:
        raise crosslingual.GlossaryError("no network in tests")

    monkeypatch.setattr(artifacts, "pip_download", offline)
    with pytest.raises(crosslingual.GlossaryError, match="no network"):
        crosslingual.prepare_glossary(tmp_path / "cache", force=True, log=said.append)
    assert any("is invalid, downloading again" in line for line in said)


def test_a_file_that_is_not_a_glossary_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from retrieval.crosslingual import GlossaryError

    bad = tmp_path / GLOSSARY_NAME
    bad.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(GlossaryError, match="crosslingual --force"):
        Glossary(bad)


def test_no_glossary_when_switched_off(tmp_path: Path) -> None:
    from agent.factory import _translator
    from retrieval.embeddings import HashingEmbedder
    from settings import load_settings

    # (A model that reads Japanese still gets the glossary, to measure how much of a Japanese
    # question an English passage covers, and to search the English articles when nothing the
    # vectors found is good enough: Agent._cross_lingual.)
    off = load_settings(store_dir=tmp_path, model_dir=tmp_path, cross_lingual=False)
    english_only = HashingEmbedder(dim=8)
    english_only.languages = frozenset({"en"})
    assert _translator(off, None, english_only) is None  # type: ignore[arg-type]


IC_CARDS_JA = """# 交通系ICカードの読み取り

SuicaやPASMOなどの交通系ICカードの利用履歴を読み取り、交通費として登録できます。

## 対応端末

- iPhone：iPhone 8以降（iOS 16以降）
- Android：NFCに対応した端末（Android 11以降）

## 対応カード

| カード | 主な発行エリア |
|---|---|
| Suica | JR東日本 |
| ICOCA | JR西日本 |
"""


def test_an_english_question_chooses_a_japanese_section_by_its_headings_glosses(
        translator: QueryTranslator) -> None:
    from agent.reading import heading_glosses as _heading_glosses
    from retrieval.passages import PassageSelector, QuestionView
    from tests.unit.test_passages import _article

    analyzer = Analyzer()
    sections, index, title = _article("kb-ic", IC_CARDS_JA, "ja")
    devices = next(s for s in sections if s.heading == "対応端末")
    question = "Which transit IC cards can the app read?"

    def quoted(view: QuestionView) -> str:
        # Search found the devices section's chunk (its vector matched best): the anchor.
        return PassageSelector().select(view, sections, set(analyzer.terms(title)), index,
                                        analyzer.terms, anchor=devices.chunk_ids[0]).text

    plain = QuestionView(analyzer.terms(question), language="en")
    assert "ICOCA" not in quoted(plain)  # "IC" is the only word of the question it holds
    glossed = QuestionView(analyzer.terms(question), language="en",
                           foreign_heading=lambda h: _heading_glosses(translator, h))
    assert "ICOCA" in quoted(glossed) and "iPhone" not in quoted(glossed)
    # A heading in the question's own language is read as it is, not through the glossary.
    assert _heading_glosses(translator, "Supported cards") == set()
    assert {"card", "support"} <= _heading_glosses(translator, "対応カード")
