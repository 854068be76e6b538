"""The nearest labelled tickets' vote and how much of it the tagger takes (agent.vote)."""

from __future__ import annotations

import numpy as np

from agent import vote
from agent.tagger import Tagger
from retrieval.loaders import TagSpec, Taxonomy

TAXONOMY = Taxonomy((TagSpec("card_arrival"), TagSpec("card_linking")))
DIM = 8


def _cluster(centre: tuple[float, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    base = np.zeros(DIM)
    base[:len(centre)] = centre
    return base + 0.05 * rng.standard_normal((n, DIM))


def test_the_nearest_tickets_vote_and_nearer_ones_count_more() -> None:
    neighbours, _ = vote.unit_rows(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]))
    classes = np.array([0, 0, 1, 1])
    queries, _ = vote.unit_rows(np.array([[1.0, 0.05], [0.05, 1.0]]))
    voted = vote.vote(queries, neighbours, classes, 3, k=3)
    assert voted.argmax(axis=1).tolist() == [0, 1]
    assert np.allclose(voted.sum(axis=1), 1.0) and (voted[:, 2] == 0).all()
    # Two tickets of class 1 a little farther than one of class 0 do not outvote it.
    near, _ = vote.unit_rows(np.array([[1.0, 0.0], [0.8, 0.6], [0.8, 0.6]]))
    assert vote.vote(queries[:1], near, np.array([0, 1, 1]), 2, k=3).argmax() == 0
    assert vote.vote(queries, near[:0], classes[:0], 3).sum() == 0.0  # no tickets: no vote


def test_a_weight_is_kept_only_when_it_puts_right_a_clear_share_of_the_errors() -> None:
    labels = np.zeros(100, dtype=np.int64)
    model = np.tile([0.4, 0.6], (100, 1))  # the model alone: all 100 wrong
    voted = np.tile([1.0, 0.0], (100, 1))
    voted[:95] = [0.0, 1.0]  # the vote puts 5 right: 5% of the errors
    assert vote.choose_weight(model, voted, labels).weight == 0.0
    voted[:80] = [1.0, 0.0]  # now 85 right
    choice = vote.choose_weight(model, voted, labels)
    assert choice.weight > 0.0 and choice.right[choice.weight] == 85
    assert choice.right[0.0] == 0 and choice.rows == 100


def test_the_tagger_takes_the_vote_where_one_boundary_cannot_draw_a_tag() -> None:
    # Each tag's questions come in two phrasings on opposite sides of the other tag's: no
    # linear boundary over the vectors separates them; the nearest tickets do.
    rng = np.random.default_rng(0)
    vectors = np.vstack([_cluster((1, 0), 60, rng), _cluster((-1, 0), 60, rng),
                         _cluster((0, 1), 60, rng), _cluster((0, -1), 60, rng)])
    labels = ["card_arrival"] * 120 + ["card_linking"] * 120
    tagger = Tagger.train(TAXONOMY, ["a question"] * 240, vectors, labels)
    assert tagger.vote_weight > 0.0 and tagger.vote_choice is not None
    weight = tagger.vote_weight
    for centre, tag in (((-1, 0), "card_arrival"), ((0, -1), "card_linking"),
                        ((1, 0), "card_arrival"), ((0, 1), "card_linking")):
        query = _cluster(centre, 1, rng)[0]
        predicted = tagger.predict("a question", query)
        tagger.vote_weight = 0.0
        alone = tagger.predict("a question", query)
        tagger.vote_weight = weight
        assert predicted.tag == tag and predicted.confidence == predicted.probabilities[tag]
        if alone.tag == tag:  # the nearest tickets confirm the model's tag: surer
            assert predicted.confidence > alone.confidence
        else:  # the vote changed it: the model's own (lower) probability of the new tag
            assert predicted.confidence == alone.probabilities[tag] < alone.confidence
    # A question without a vector is tagged by the model alone.
    assert tagger.predict("a question", np.zeros(DIM)).tag in TAXONOMY.names


def test_the_tagger_leaves_the_vote_out_where_the_model_is_right_already() -> None:
    rng = np.random.default_rng(1)
    vectors = np.vstack([_cluster((1, 0), 100, rng), _cluster((-1, 0), 100, rng)])
    labels = ["card_arrival"] * 100 + ["card_linking"] * 100
    tagger = Tagger.train(TAXONOMY, ["a question"] * 200, vectors, labels)
    assert tagger.vote_weight == 0.0
    assert tagger.vote_choice is not None and tagger.vote_choice.rows == 200


def test_a_tag_the_vote_changed_keeps_the_models_lower_confidence() -> None:
    rng = np.random.default_rng(2)
    vectors = np.vstack([_cluster((1, 0), 100, rng), _cluster((-1, 0), 100, rng)])
    labels = ["card_arrival"] * 100 + ["card_linking"] * 100
    tagger = Tagger.train(TAXONOMY, ["a question"] * 200, vectors, labels)
    query = _cluster((1, 0), 1, rng)[0]
    alone = tagger.predict("a question", query)
    assert alone.tag == "card_arrival"
    # Tickets right where the question is, all of the other tag, voting with full weight.
    tagger.vote_vectors, _ = vote.unit_rows(_cluster((1, 0), 5, rng).astype(np.float32))
    tagger.vote_classes = np.full(5, tagger.classes.index("card_linking"))
    tagger.vote_weight = 0.75
    changed = tagger.predict("a question", query)
    assert changed.tag == "card_linking"
    assert changed.confidence == alone.probabilities["card_linking"] < 0.5
