"""The in-process HNSW copy finds what an exact scan finds, per language, as chunks change."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrieval.embeddings import l2_normalize
from retrieval.vectors import AnnVectors, FlatVectors


def _data(n: int = 3_000, dim: int = 32, seed: int = 5) -> tuple[list[str], np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    # Clustered like real embeddings (topics), so that neighbours are not all ties.
    centres = l2_normalize(rng.standard_normal((40, dim)))
    matrix = l2_normalize(centres[rng.integers(0, 40, n)] + 0.35 * rng.standard_normal((n, dim)))
    languages = ["ja" if i % 5 == 0 else "en" for i in range(n)]
    return [f"c{i}" for i in range(n)], matrix, languages


def _ann(ids: list[str], matrix: np.ndarray, languages: list[str]) -> AnnVectors:
    ann = AnnVectors(matrix.shape[1])
    ann.add(ids, matrix, languages)
    return ann


@pytest.mark.parametrize("languages", [["en"], ["ja"], None])
def test_it_finds_what_the_exact_scan_finds(languages: list[str] | None) -> None:
    ids, matrix, langs = _data()
    ann, flat = _ann(ids, matrix, langs), FlatVectors(ids, matrix, langs)
    recalls = []
    for seed in range(30):
        query = l2_normalize(matrix[seed * 7] + 0.2 * np.random.default_rng(seed).standard_normal(32))[0]
        got, want = ann.query(query, 50, languages), flat.query(query, 50, languages)
        assert len(got) == 50
        assert [h.similarity for h in got] == sorted((h.similarity for h in got), reverse=True)
        if languages is not None:
            assert {langs[int(h.id[1:])] for h in got} <= set(languages)
        recalls.append(len({h.id for h in got} & {h.id for h in want}) / 50)
        # the similarities are the exact cosines
        exact = {h.id: h.similarity for h in want}
        assert all(abs(h.similarity - exact[h.id]) < 1e-5 for h in got if h.id in exact)
    assert np.mean(recalls) >= 0.97, np.mean(recalls)


def test_removed_and_replaced_chunks() -> None:
    ids, matrix, langs = _data(n=500)
    ann = _ann(ids, matrix, langs)
    assert len(ann) == 500 and "c7" in ann
    assert ann.query(matrix[7], 1, ["en"])[0].id == "c7"
    ann.remove(["c7", "c8", "not-there"])
    assert len(ann) == 498 and "c7" not in ann and ann.removed == 2
    assert "c7" not in {h.id for h in ann.query(matrix[7], 20, ["en"])}
    # c9 now points where c7 was, and moves from English to Japanese
    ann.add(["c9"], matrix[7:8], ["ja"])
    assert len(ann) == 498 and ann.removed == 3
    assert ann.query(matrix[7], 1, ["ja"])[0].id == "c9"
    assert "c9" not in {h.id for h in ann.query(matrix[9], 20, ["en"])}
    # a chunk added back under a removed id is found again
    ann.add(["c7"], matrix[7:8], ["en"])
    assert ann.query(matrix[7], 1, ["en"])[0].id == "c7"


def test_unknown_language_empty_index_and_bad_input() -> None:
    ids, matrix, langs = _data(n=100)
    ann = _ann(ids, matrix, langs)
    assert ann.query(matrix[0], 5, ["fr"]) == []
    assert ann.query(matrix[0], 0) == []
    assert AnnVectors(32).query(matrix[0], 5) == []
    with pytest.raises(ValueError, match="same length"):
        ann.add(["a", "b"], matrix[:3], ["en", "en"])
    with pytest.raises(ValueError, match="dimensions"):
        ann.add(["a"], np.ones((1, 8), dtype=np.float32), ["en"])
    with pytest.raises(ValueError, match="ndim"):
        AnnVectors(0)
    with pytest.raises(ValueError, match="distinct"):
        ann.add(["a", "a"], matrix[:2], ["en", "en"])
    assert len(ann) == 100  # nothing of a refused add was kept


def test_a_graph_emptied_and_filled_again() -> None:
    """Removed slots are reused, the graphs grow past their first size, and k is capped."""
    ids, matrix, langs = _data(n=3_000)
    ann = _ann(ids[:600], matrix[:600], langs[:600])
    ann.remove(ids[:590])
    assert len(ann) == 10
    assert {h.id for h in ann.query(matrix[0], 50)} == set(ids[590:600])
    ann.add(ids[600:], matrix[600:], langs[600:])  # past the 1,024 first allotted
    assert len(ann) == 2_410
    for row in (600, 1_777, 2_999):
        assert ann.query(matrix[row], 1, [langs[row]])[0].id == ids[row]


def test_japanese_and_english_graphs_are_apart() -> None:
    """A query in one language never pays for, nor returns, the other language's rows."""
    ids, matrix, langs = _data(n=1_000)
    ann = _ann(ids, matrix, langs)
    english = ann.query(matrix[1], 1_000, ["en"])
    japanese = ann.query(matrix[0], 1_000, ["ja"])
    assert len(english) == 800 and len(japanese) == 200
    assert {h.id for h in english}.isdisjoint({h.id for h in japanese})
    both = ann.query(matrix[0], 10)
    assert both[0].id == "c0"  # a vector is its own nearest neighbour, in any language


def test_searches_while_chunks_are_added_and_removed() -> None:
    """The API searches from many threads while a catalog change is applied."""
    import threading

    ids, matrix, langs = _data(n=2_000)
    ann = _ann(ids[:1_000], matrix[:1_000], langs[:1_000])
    errors: list[BaseException] = []
    searches: list[int] = []
    stop = threading.Event()

    def search(seed: int) -> None:
        rng = np.random.default_rng(seed)
        done = 0
        try:
            while not stop.is_set() or done < 20:
                row = int(rng.integers(0, 1_000))
                hits = ann.query(matrix[row], 10, [langs[row]])
                assert hits and all(langs[int(h.id[1:])] == langs[row] for h in hits)
                done += 1
        except BaseException as exc:
            errors.append(exc)
        searches.append(done)

    threads = [threading.Thread(target=search, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for start in range(1_000, 2_000, 100):
        ann.add(ids[start:start + 100], matrix[start:start + 100], langs[start:start + 100])
        ann.remove(ids[start - 1_000:start - 950])
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert len(searches) == 4 and min(searches) >= 20
    assert len(ann) == 1_500


class _Refusing:
    """A graph that, like hnswlib's, refuses when it cannot reach k live chunks."""

    def __init__(self, graph: Any, reachable: int) -> None:
        self.graph, self.reachable = graph, reachable

    def knn_query(self, vector: np.ndarray, k: int, num_threads: int) -> Any:
        if k > self.reachable:
            raise RuntimeError("Cannot return the results in a contigious 2D array. "
                               "Probably ef or M is too small")
        return self.graph.knn_query(vector, k=k, num_threads=num_threads)


def test_a_graph_that_cannot_reach_k_chunks_returns_fewer() -> None:
    ids, matrix, langs = _data(n=400)
    ann = _ann(ids, matrix, langs)
    ann._graphs["en"] = _Refusing(ann._graphs["en"], reachable=7)
    hits = ann.query(matrix[1], 50, ["en"])
    assert 0 < len(hits) <= 7 and hits[0].id == "c1"
    assert len(ann.query(matrix[0], 50, ["ja"])) == 50  # the other graph is unaffected


def test_a_query_of_the_wrong_length_is_refused() -> None:
    ids, matrix, langs = _data(n=100)
    with pytest.raises(ValueError, match="dimensions"):
        _ann(ids, matrix, langs).query(np.ones(8, dtype=np.float32), 5)


def test_a_saved_copy_loads_with_its_removals_and_both_languages(tmp_path: Any) -> None:
    ids, matrix, langs = _data(n=600)
    ann = _ann(ids, matrix, langs)
    ann.remove(["c7", "c10"])  # c10 is Japanese (every fifth)
    ann.add(["c9"], matrix[7:8], ["ja"])  # moved language: one more removal
    ann.save(tmp_path / "copy")
    loaded = AnnVectors.load(tmp_path / "copy", ef_search=ann.ef_search)
    assert len(loaded) == len(ann) == 598 and loaded.removed == ann.removed == 3
    assert "c7" not in loaded and "c10" not in loaded
    for query, languages in ((matrix[3], ["en"]), (matrix[15], ["ja"]), (matrix[7], None)):
        assert [h.id for h in loaded.query(query, 10, languages)] == [
            h.id for h in ann.query(query, 10, languages)]
    # It goes on changing like the copy it was saved from.
    loaded.add(["c7"], matrix[7:8], ["en"])
    assert loaded.query(matrix[7], 1, ["en"])[0].id == "c7"
    with pytest.raises(FileExistsError):
        ann.save(tmp_path / "copy")  # a snapshot folder is written once


def test_a_damaged_or_foreign_copy_is_refused(tmp_path: Any) -> None:
    ids, matrix, langs = _data(n=200)
    _ann(ids, matrix, langs).save(tmp_path / "copy")
    meta = (tmp_path / "copy" / "ids.json").read_text()
    (tmp_path / "copy" / "ids.json").write_text(meta.replace('"format": 1', '"format": 99'))
    with pytest.raises(ValueError, match="another format"):
        AnnVectors.load(tmp_path / "copy")
    (tmp_path / "copy" / "ids.json").write_text(meta.replace('"c1"', '"c0"', 1))
    with pytest.raises(ValueError, match="disagree"):
        AnnVectors.load(tmp_path / "copy")  # two keys for one id
    (tmp_path / "copy" / "ids.json").write_text(meta)
    (tmp_path / "copy" / "graph-0.bin").write_bytes(b"\0" * 64)
    with pytest.raises((RuntimeError, ValueError)):
        AnnVectors.load(tmp_path / "copy")
