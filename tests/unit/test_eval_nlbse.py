"""The NLBSE'24 issue loader, vector cache and per-repository evaluation on a tiny stand-in."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from eval.nlbse import (
    Issue,
    VectorCache,
    cross_validate,
    held_out,
    load_issues,
    prepare,
    published_baselines,
    report,
    scores,
    stratified_folds,
    taxonomy_rows,
)
from eval.public import DatasetError
from retrieval.embeddings import HashingEmbedder
from retrieval.loaders import TagSpec, Taxonomy

LABELS = ["bug", "feature", "question"]
TAXONOMY = Taxonomy((TagSpec("bug", description="Something is broken: a crash or error."),
                     TagSpec("feature", examples=("Please add an option to export.",)),
                     TagSpec("question", examples=("How do I configure the proxy?",))))

BUG = ("Crash when opening {x}", "### Describe the bug\nIt crashes with TypeError on {x}.\n"
       "```\nTraceback (most recent call last):\n  File \"a.py\", line 1\n```")
FEATURE = ("Add support for {x}", "It would be great to add an option for {x}, please.")
QUESTION = ("How do I use {x}?", "How can I configure {x}? I could not find it in the docs.")


def issues_csv(path: Path, things: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["repo", "created_at", "label", "title", "body"])
        for repo in ("acme/alpha", "acme/beta"):
            for x in things:
                for label, (title, body) in zip(LABELS, (BUG, FEATURE, QUESTION), strict=True):
                    writer.writerow([repo, "2023-01-01T00:00:00Z", label,
                                     title.format(x=x), body.format(x=x)])
    return path


def test_issues_are_read_with_multiline_bodies_and_bad_rows_refused(tmp_path: Path) -> None:
    issues = load_issues(issues_csv(tmp_path / "issues_train.csv", ["the editor", "plots"]))
    assert len(issues) == 12
    assert issues[0] == Issue("acme/alpha", "bug", "Crash when opening the editor",
                              BUG[1].format(x="the editor"))
    ticket = issues[0].ticket("t1")
    assert (ticket.subject, ticket.tag) == ("Crash when opening the editor", "bug")
    (tmp_path / "bad.csv").write_text("repo,label,title\nacme/a,bug,x\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no column body"):
        load_issues(tmp_path / "bad.csv")
    (tmp_path / "odd.csv").write_text("repo,created_at,label,title,body\nacme/a,,docs,x,y\n",
                                      encoding="utf-8")
    with pytest.raises(DatasetError, match="label 'docs' is not one of"):
        load_issues(tmp_path / "odd.csv", LABELS)
    with pytest.raises(DatasetError, match="cannot read"):
        load_issues(tmp_path / "missing.csv")


def test_published_baselines_are_read_beside_the_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    issues_csv(data / "issues_train.csv", ["x"])
    (tmp_path / "output" / "setfit").mkdir(parents=True)
    (tmp_path / "output" / "setfit" / "results.json").write_text(json.dumps({
        "acme/alpha": {"bug": {"f1-score": 0.9}, "average": {"f1-score": 0.81234}},
        "overall": {"average": {"f1-score": 0.8}}}), encoding="utf-8")
    # output/results.json (the README's table) has another shape.
    (tmp_path / "output" / "results.json").write_text(json.dumps({
        "acme/alpha": {"metrics": {"0": {"f1-score": 0.9}, "macro avg": {"f1-score": 0.87}}},
        "label_mapping": {"bug": 0},
        "overall": {"metrics": {"average": {"f1-score": 0.827}}}}), encoding="utf-8")
    assert published_baselines(data) == {
        "setfit-readme": {"acme/alpha": 0.87, "overall": 0.827},
        "setfit": {"acme/alpha": 0.8123, "overall": 0.8}}
    assert published_baselines(tmp_path) == published_baselines(data)
    assert published_baselines(tmp_path / "output") == {}


def test_the_vector_cache_embeds_each_text_once(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=16)
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.asarray(embedder.embed_documents(texts))

    cache = VectorCache(tmp_path / "vectors")
    first = cache.vectors("model/a", "document", ["one", "two", "one"], embed)
    again = VectorCache(tmp_path / "vectors").vectors("model/a", "document",
                                                      ["two", "three"], embed)
    assert calls == [["one", "two"], ["three"]]
    np.testing.assert_allclose(again[0], first[1])
    assert first.shape == (3, 16)
    # Another model or kind is another file.
    VectorCache(tmp_path / "vectors").vectors("model/a", "query", ["one"], embed)
    assert calls[-1] == ["one"]
    assert VectorCache(None).vectors("m", "document", ["x"], embed).shape == (1, 16)


def test_per_repository_cross_validation_and_test_figures(tmp_path: Path) -> None:
    things = ["the editor", "plots", "the terminal", "images", "fonts", "tabs", "the cli",
              "themes", "exports", "logins"]
    train_issues = load_issues(issues_csv(tmp_path / "issues_train.csv", things), LABELS)
    test_issues = load_issues(issues_csv(tmp_path / "issues_test.csv", ["charts", "menus"]),
                              LABELS)
    embedder = HashingEmbedder(dim=32)
    cache = VectorCache(tmp_path / "vectors")
    train = prepare(train_issues, embedder, cache, "train")
    test = prepare(test_issues, embedder, cache, "test", documents=False)
    assert train.texts[0].startswith("Crash when opening the editor\n### Describe the bug")
    assert not test.documents.any() and test.queries.any()
    extra = taxonomy_rows(TAXONOMY, embedder, cache)
    assert extra[2] == ["bug", "feature", "question"]

    folds = stratified_folds([i.label for i in train_issues[:30]], 5, seed=0)
    assert sorted(np.bincount(folds).tolist()) == [6, 6, 6, 6, 6]

    predicted = cross_validate(TAXONOMY, train, extra, folds=5, seed=0)
    figures = scores(train_issues, predicted, LABELS)
    assert set(figures["repos"]) == {"acme/alpha", "acme/beta"}
    assert figures["repos"]["acme/alpha"]["issues"] == 30
    assert figures["mean_macro_f1"] > 0.9  # the three kinds are worded apart

    tagged = held_out(TAXONOMY, train, test, extra)
    figures = scores(test_issues, tagged, LABELS)
    assert figures["mean_macro_f1"] == 1.0
    assert figures["repos"]["acme/beta"]["confusion"]["bug"] == {"bug": 2}
    pooled = held_out(TAXONOMY, train, test, extra, pooled=True)
    assert len(pooled) == len(test_issues)

    text = report(figures, LABELS, {"setfit-readme": {"acme/alpha": 0.87, "overall": 0.83}})
    assert "acme/alpha                 1.0000         0.8700" in text
    assert "mean" in text and "0.8300" in text
    assert "confusion, acme/beta" in text

    other = load_issues(issues_csv(tmp_path / "other.csv", ["x"]), LABELS)
    stray = [Issue("acme/gamma", i.label, i.title, i.body) for i in other]
    with pytest.raises(DatasetError, match="no training issues of acme/gamma"):
        held_out(TAXONOMY, train, prepare(stray, embedder, cache, documents=False), extra)
