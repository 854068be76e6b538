import pytest

from retrieval.lexical import BM25Index


def build() -> BM25Index:
    index = BM25Index()
    index.build([
        ("a", ["saml", "sso", "okta", "setup"], {"language": "en"}),
        ("b", ["invit", "member", "role"], {"language": "en"}),
        ("c", ["saml", "設定", "okta"], {"language": "ja"}),
        ("d", ["export", "csv", "timeout", "export"], {"language": "en"}),
    ])
    return index


def test_rare_terms_outweigh_common_ones() -> None:
    hits = build().search(["saml", "setup"], k=4)
    assert [h.id for h in hits] == ["a", "c"]
    assert hits[0].score > hits[1].score > 0


def test_repeated_terms_raise_the_score_with_saturation() -> None:
    index = BM25Index()
    index.build([("one", ["export", "x", "y", "z"], {}), ("two", ["export", "export", "x", "y"], {})])
    hits = index.search(["export"], k=2)
    assert hits[0].id == "two"
    assert hits[0].score < 2 * hits[1].score


def test_filters_restrict_results() -> None:
    assert [h.id for h in build().search(["saml"], 5, {"language": "ja"})] == ["c"]
    assert {h.id for h in build().search(["saml"], 5, {"language": ["en", "ja"]})} == {"a", "c"}


def test_unknown_terms_and_empty_index_return_nothing() -> None:
    assert build().search(["nothing"], 5) == []
    assert BM25Index().search(["saml"], 5) == []


def test_k_limits_results() -> None:
    assert len(build().search(["saml", "invit", "export"], 2)) == 2


def test_coverage_weights_rare_terms_more() -> None:
    index = build()
    assert index.coverage("a", ["saml", "okta"]) == 1.0
    partial = index.coverage("a", ["saml", "invit"])
    assert 0.0 < partial < 1.0
    assert index.coverage("a", ["never-seen"]) == 0.0
    assert index.coverage("missing", ["saml"]) == 0.0


def test_coverage_of_several_rows_counts_a_term_found_in_any_of_them() -> None:
    index = build()
    split = ["saml", "invit"]  # one term in row a, the other in row b
    assert index.coverage(["a", "b"], split) == 1.0
    assert index.coverage(["a", "b"], split) > max(index.coverage("a", split),
                                                   index.coverage("b", split))
    assert index.coverage(["a", "missing"], split) == index.coverage("a", split)
    assert index.coverage(["missing"], split) == 0.0


def test_scores_equal_the_bm25_formula_on_a_random_corpus() -> None:
    import math
    import random

    rng = random.Random(4)
    vocab = [f"t{i}" for i in range(40)]
    docs: list[tuple[str, list[str], dict[str, str]]] = [(f"d{i}", [rng.choice(vocab) for _ in range(rng.randint(1, 30))], {})
            for i in range(300)]
    index = BM25Index(k1=1.2, b=0.75)
    index.build(docs)
    avg = sum(len(terms) for _, terms, _ in docs) / len(docs)
    df = {t: sum(t in terms for _, terms, _ in docs) for t in vocab}

    def bm25(terms: list[str], query: set[str]) -> float:
        score = 0.0
        for term in query:
            tf = terms.count(term)
            if tf:
                idf = math.log1p((len(docs) - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(terms) / avg))
        return score

    for _ in range(20):
        query = [*rng.sample(vocab, rng.randint(1, 4)), "unseen"]
        expected = sorted(((bm25(terms, set(query)), key) for key, terms, _ in docs),
                          key=lambda pair: -pair[0])
        hits = index.search(query + query[:1], k=10)  # a repeated term counts once
        assert [h.score for h in hits] == pytest.approx([s for s, _ in expected[:10]], rel=1e-4)
        assert len({h.id for h in hits}) == 10


def test_a_stream_of_rows_with_empty_ones_scores_by_the_bm25_formula() -> None:
    # The store streams its chunks into the index: rows without terms and attributes that
    # first appear part-way must not shift any row's length or frequencies.
    import math

    rows = [("a", ["saml", "sso", "saml"], {"language": "en"}),
            ("empty", [], {}),
            ("c", ["saml", "設定", "okta"], {"language": "ja", "plan": "pro"}),
            ("d", ["設定", "設定", "エクスポート"], {"language": "ja"})]
    index = BM25Index(k1=1.2, b=0.75)
    index.build(row for row in rows)
    avg = sum(len(terms) for _, terms, _ in rows) / len(rows)

    def expected(terms: list[str], term: str) -> float:
        df = sum(term in t for _, t, _ in rows)
        idf = math.log1p((len(rows) - df + 0.5) / (df + 0.5))
        tf = terms.count(term)
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(terms) / avg))

    for term in ("saml", "設定", "エクスポート"):
        hits = index.search([term], 4)
        assert {h.id: h.score for h in hits} == pytest.approx(
            {key: expected(terms, term) for key, terms, _ in rows if term in terms})
    assert [h.id for h in index.search(["saml", "設定"], 4, {"plan": "pro"})] == ["c"]
    assert index.coverage("empty", ["saml"]) == 0.0
