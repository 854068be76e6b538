"""Public dataset adapters on small stand-ins, and the out-of-scope curve by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import matthews_corrcoef

from agent.types import Decision, Escalation, ReasonCode
from eval.cases import EvalCase
from eval.public import (
    DatasetError,
    agent_figures,
    load_banking77,
    load_clinc150,
    load_hint3,
    oos_curve,
    oos_point,
    platform_figures,
    spread,
    stackfaq_data,
    write_public,
)
from eval.scorers import CaseResult, score_case
from retrieval.textproc import Analyzer


def banking(root: Path) -> Path:
    folder = root / "banking77"
    folder.mkdir(parents=True)
    (folder / "train.csv").write_text(
        "text,category\nwhere is my card?,card_arrival\ncard not here yet,card_arrival\n"
        "card still missing,card_arrival\nrate is wrong,exchange_rate\n", encoding="utf-8")
    (folder / "test.csv").write_text(
        "text,category\nhas my card shipped?,card_arrival\nwhat rate do you use?,exchange_rate\n",
        encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps(["card_arrival", "exchange_rate"]))
    return root


def test_banking77_train_rows_become_tagged_tickets_and_test_rows_cases(tmp_path: Path) -> None:
    data = load_banking77(banking(tmp_path), train_per_class=2)
    assert data.taxonomy.names == ["card_arrival", "exchange_rate"]
    assert [(t.body, t.tag) for t in data.tickets] == [
        ("where is my card?", "card_arrival"), ("card not here yet", "card_arrival"),
        ("rate is wrong", "exchange_rate")]
    assert [(c.inquiry, c.expected_tag) for c in data.cases] == [
        ("has my card shipped?", ("card_arrival",)), ("what rate do you use?", ("exchange_rate",))]
    assert data.documents == []
    # Through the whole agent every query is in scope and answered with its intent's reply.
    assert {(c.expected_action, c.extra["scope"]) for c in data.cases} == {("answer", "in")}
    assert [t.answer_in("en") for t in data.taxonomy.tags] == ["[card arrival]",
                                                               "[exchange rate]"]


def test_clinc150_out_of_scope_rows_are_escalation_cases(tmp_path: Path) -> None:
    (tmp_path / "clinc150").mkdir()
    (tmp_path / "clinc150" / "data_full.json").write_text(json.dumps({
        "train": [["play a song", "play_music"], ["what's the weather", "weather"]],
        "test": [["put on some music", "play_music"]] * 4,
        "oos_test": [["how old is the sun", "oos"]] * 2,
    }))
    data = load_clinc150(tmp_path)
    assert data.taxonomy.names == ["play_music", "weather"]
    scopes = [(c.extra["scope"], c.expected_action, c.expected_tag) for c in data.cases]
    assert scopes == [("in", "answer", ("play_music",))] * 4 + [("oos", "escalate", ())] * 2
    limited = load_clinc150(tmp_path, limit=3)  # keeps the in : out proportion (2 : 1)
    assert [c.extra["scope"] for c in limited.cases] == ["in", "in", "oos"]


def test_stackfaq_threads_become_documents_and_paraphrases_cases(tmp_path: Path) -> None:
    (tmp_path / "stackfaq").mkdir()
    (tmp_path / "stackfaq" / "stackExchange-FAQ.json").write_text(json.dumps({"root": {
        "qapair": [{"question": "Strikethrough on GitHub?", "answer": ["Use ~~text~~."],
                    "rephr": ["crossed out text github", "*"]}]}}))
    data = stackfaq_data(tmp_path)
    assert [d.id for d in data.documents] == ["stackfaq-001"]
    assert [(c.inquiry, c.relevant_ids) for c in data.cases] == [
        ("crossed out text github", ("stackfaq-001",))]
    write_public(data, tmp_path / "out")
    assert (tmp_path / "out" / "kb.jsonl").exists() and (tmp_path / "out" / "cases.jsonl").exists()


def test_a_missing_dataset_says_where_to_point(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="--data-dir"):
        load_banking77(tmp_path)


def test_spread_picks_evenly_spaced_items() -> None:
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread([1, 2], 5) == [1, 2] and spread([1, 2], None) == [1, 2]


def _result(case_id: str, scope: str, tag: str, confidence: float,
            expected: str | None = None, *, answered: bool = False) -> CaseResult:
    case = EvalCase(id=case_id, inquiry="q", expected_tag=expected or (),
                    expected_action="answer" if scope == "in" else "escalate",
                    extra={"scope": scope})
    decision = (Decision(action="answer", answer=f"[{tag}]", tag=tag, tag_confidence=confidence,
                         confidence=confidence, language="en") if answered else
                Decision(action="escalate", tag=tag, tag_confidence=confidence, confidence=0.1,
                         language="en", escalation=Escalation(reason=ReasonCode.LOW_CONFIDENCE,
                                                              detail="d")))
    return CaseResult(case, decision, checks=score_case(case, decision, Analyzer().terms))


def test_out_of_scope_curve_matches_hand_computation() -> None:
    results = [
        _result("i1", "in", "a", 0.9, "a"),  # right, confident
        _result("i2", "in", "a", 0.4, "a"),  # right, unsure
        _result("i3", "in", "b", 0.8, "a"),  # wrong
        _result("i4", "in", "c", 0.95, "c"),  # right, confident
        _result("o1", "oos", "a", 0.3),
        _result("o2", "oos", "b", 0.7),
    ]
    assert oos_point(results, 0.0) == {"threshold": 0.0, "in_scope_accuracy": 0.75,
                                       "oos_recall": 0.0}
    # t = 0.5: i2 is now escalated (wrong), o1 is caught.
    assert oos_point(results, 0.5) == {"threshold": 0.5, "in_scope_accuracy": 0.5,
                                       "oos_recall": 0.5}
    # t = 0.91: only i4 stays; both out-of-scope caught.
    assert oos_point(results, 0.91)["in_scope_accuracy"] == 0.25
    assert oos_point(results, 0.91)["oos_recall"] == 1.0
    curve = oos_curve(results)
    assert len(curve["points"]) == 21 and curve["agent_oos_recall"] == 1.0
    # Best sum at t in (0.7, 0.8]: i1 and i4 kept, both out-of-scope caught; lowest t wins.
    assert curve["best_balanced"] == {"threshold": 0.71, "in_scope_accuracy": 0.5,
                                      "oos_recall": 1.0}


def test_the_whole_agents_figures_count_an_escalation_as_out_of_scope() -> None:
    results = [
        _result("i1", "in", "a", 0.9, "a", answered=True),  # right
        _result("i2", "in", "b", 0.9, "a", answered=True),  # answered with the wrong intent
        _result("i3", "in", "a", 0.4, "a"),  # escalated: counted as out of scope, wrong
        _result("o1", "oos", "a", 0.3),  # escalated: right
        _result("o2", "oos", "b", 0.8, answered=True),  # answered: wrong
    ]
    figures = agent_figures(results)
    assert figures["agent_deflection"] == 0.6
    assert figures["agent_wrong_intent_rate"] == 2 / 3
    assert figures["agent_accuracy"] == 0.4
    truth, said = ["a", "a", "a", "(oos)", "(oos)"], ["a", "b", "(oos)", "(oos)", "b"]
    mcc = figures["agent_mcc"]
    assert mcc is not None and 0.0 < mcc < 1.0
    assert mcc == pytest.approx(matthews_corrcoef(truth, said))
    assert oos_curve(results)["agent_in_scope_answered_right"] == 1 / 3


def hint3(root: Path) -> Path:
    """A HINT3 clone in miniature: one bot's train and test sets, and one platform's
    predictions for its test sentences."""
    train, test = root / "dataset" / "v1" / "train", root / "dataset" / "v1" / "test"
    train.mkdir(parents=True)
    test.mkdir(parents=True)
    (train / "sofmattress_train.csv").write_text(
        "sentence,label\nYou guys provide EMI option?,EMI\n0% EMI.,EMI\n"
        "\"what is the\nwarranty\",WARRANTY\nwarranty period,WARRANTY\n", encoding="utf-8")
    (test / "sofmattress_test.csv").write_text(
        "sentence,label\nemi available?,EMI\nSingle,NO_NODES_DETECTED\nwarrenty,WARRANTY\n"
        "hi,NO_NODES_DETECTED\n", encoding="utf-8")
    (root / "preds").mkdir()
    (root / "preds" / "luis_sofmattress.csv").write_text(
        "sentence,label,predicted_node,predicted_node_score\nemi available?,EMI,EMI,0.9\n"
        "Single,NO_NODES_DETECTED,EMI,0.15\nwarrenty,WARRANTY,EMI,0.5\n"
        "hi,NO_NODES_DETECTED,WARRANTY,0.45\n", encoding="utf-8")
    return root


def test_hint3_out_of_scope_rows_are_escalation_cases(tmp_path: Path) -> None:
    data = load_hint3(hint3(tmp_path / "clone"), "sofmattress")
    assert data.taxonomy.names == ["EMI", "WARRANTY"]
    # A quoted sentence spanning lines is one ticket, its line break a space.
    assert [(t.body, t.tag) for t in data.tickets] == [
        ("You guys provide EMI option?", "EMI"), ("0% EMI.", "EMI"),
        ("what is the warranty", "WARRANTY"), ("warranty period", "WARRANTY")]
    assert [(c.inquiry, c.extra["scope"], c.expected_action, c.expected_tag)
            for c in data.cases] == [
        ("emi available?", "in", "answer", ("EMI",)), ("Single", "oos", "escalate", ()),
        ("warrenty", "in", "answer", ("WARRANTY",)), ("hi", "oos", "escalate", ())]
    # The folder holding the clone as hint3/ is read too.
    (tmp_path / "clone").rename(tmp_path / "hint3")
    assert len(load_hint3(tmp_path, "sofmattress").cases) == 4


def test_hint3_bad_input_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no HINT3 dataset/ folder"):
        load_hint3(tmp_path, "sofmattress")
    root = hint3(tmp_path)
    with pytest.raises(DatasetError, match="unknown HINT3 bot"):
        load_hint3(root, "acme")
    with pytest.raises(DatasetError, match="no subset train set"):
        load_hint3(root, "sofmattress", subset=True)
    (root / "dataset" / "v1" / "test" / "sofmattress_test.csv").write_text("text,intent\nhi,x\n")
    with pytest.raises(DatasetError, match="expected the columns sentence,label"):
        load_hint3(root, "sofmattress")


def test_hint3_platform_predictions_scored_as_the_authors_did(tmp_path: Path) -> None:
    figures = platform_figures(hint3(tmp_path), "sofmattress")
    assert list(figures) == ["luis"]
    low = figures["luis"]["at_0.1"]  # every prediction kept: EMI right, the rest wrong
    assert low["accuracy"] == 0.25 and low["oos_recall"] == 0.0 and low["deflection"] == 1.0
    # From 0.5 'hi' and 'Single' are out of scope and 'warrenty' (0.5) is kept, as EMI;
    # 0.6 and above gain nothing more, and the lowest of equally good thresholds is taken.
    best = figures["luis"]["best"]
    assert best["threshold"] == 0.5 and best["accuracy"] == 0.75 and best["oos_recall"] == 1.0
    truth = ["EMI", "NO_NODES_DETECTED", "WARRANTY", "NO_NODES_DETECTED"]
    said = ["EMI", "NO_NODES_DETECTED", "EMI", "NO_NODES_DETECTED"]
    assert best["mcc"] == pytest.approx(matthews_corrcoef(truth, said))
