"""Answerability: how likely an answer from the best source is right, from what the pipeline saw.

One grounding score against a fixed line separated answerable questions from near misses
poorly: a question about a payment method the product does not offer shares most of its words
with the payment-methods article. The pipeline already measures more than that score: how
similar the source is by vector, how much of the question the quoted passage covers, whether
the question's rarest word is in it at all, whether the question names things the knowledge
base never mentions, how far ahead of the next article the source is, whether it is in the
customer's language, the tagger's certainty, whether this is a follow-up. A logistic
regression over these, with its output mapped through a Platt calibration, says how often
such an answer was right on labelled data (`python -m eval calibrate` fits it and writes it
into the policy file, with the evidence). Without a fitted model the policy's fixed grounding
threshold decides, as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field, model_validator

#: What the model reads, in this order. Each is 0..1 or a small count, measured by the pipeline.
FEATURES: tuple[str, ...] = (
    "confidence",  # the hand-set grounding score (the fallback rule's)
    "cosine",  # its cosine to the question on the model's scale (0 unrelated, 1 an answer)
    "vector",  # 1 when the model reads the question's language (the cosine means something)
    "passage_match",  # how well the quoted section matched the question (retrieval.passages)
    "coverage",  # IDF-weighted share of the question's words in the quoted passage
    "rare_found",  # 1 when the question's rarest word is in the quoted passage
    "rare_known_found",  # 1 when the rarest of the words the sources use is in it
    "passage_cosine",  # the quoted passage's own cosine to the question, on the model's scale
    "unknown",  # IDF-weighted share of the question's words the knowledge base never uses
    "unknown_name",  # 1 when the question names a thing (PayPal, GraphQL) no source mentions
    "both_legs",  # 1 when both BM25 and vectors found the source
    "fused",  # the source's fused search score relative to the best source's
    "margin",  # its lead in grounding score over the best source from another document
    "precedent",  # 1 for a past ticket's resolution, 0 for an article
    "same_language",  # 1 when the source is in the customer's language
    "translated",  # 1 when it was found through the Japanese-English glossary
    "tag_confidence",  # the tagger's confidence in its tag
    "follow_up",  # 1 when the question follows earlier turns
    "terms",  # log(1 + the number of the question's search terms)
)

#: The features only the question's words can give. Against an article in the other language
#: with no glossary between the two (an English question, a Japanese article) they are near 0
#: by construction, whatever the article says: the pipeline leaves them out of the evidence,
#: and the model reads a feature left out as unknown (its mean in the data it was fitted on),
#: so that it counts neither way. There, the quoted passage's cosine to the question stands in
#: for `coverage`, and in the grounding score that `confidence` and `margin` are read from.
WORD_FEATURES: tuple[str, ...] = (
    "rare_found", "rare_known_found", "passage_match", "both_legs", "unknown",
)


class AnswerabilityModel(BaseModel):
    """A fitted answerability model as the policy file stores it."""

    features: list[str]
    mean: list[float]  # standardisation applied before the weights
    scale: list[float]
    weights: list[float]
    intercept: float
    # Platt calibration of the regression's output, fitted on out-of-fold predictions:
    # probability = sigmoid(platt_a * logit(raw) + platt_b)
    platt_a: float = 1.0
    platt_b: float = 0.0
    threshold: float = Field(ge=0.0, le=1.0)  # answer when the probability is at least this
    embedder: str | None = None  # the embedding model the features were measured with
    evidence: dict[str, object] = Field(default_factory=dict)  # what it was fitted on

    @model_validator(mode="after")
    def _shapes(self) -> AnswerabilityModel:
        n = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.weights) == n):
            raise ValueError("answerability: features, mean, scale and weights must be as long "
                             "as each other")
        unknown = sorted(set(self.features) - set(FEATURES))
        if unknown:
            raise ValueError(f"answerability: unknown features {unknown}; known: {list(FEATURES)}")
        if any(s <= 0 for s in self.scale):
            raise ValueError("answerability: every scale must be positive")
        return self

    def raw(self, values: Mapping[str, float]) -> float:
        """Return the logistic regression's output for some feature values (one left out is
        unknown: it counts neither way)."""
        z = self.intercept
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale,
                                             self.weights, strict=True):
            if name in values:
                z += weight * (float(values[name]) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def probability(self, values: Mapping[str, float]) -> float:
        """Return how likely an answer with these feature values is right (calibrated)."""
        raw = min(max(self.raw(values), 1e-6), 1 - 1e-6)
        z = self.platt_a * math.log(raw / (1 - raw)) + self.platt_b
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def margin(best: float, others: Sequence[float]) -> float:
    """Return the lead of the best score over the best of the others (1 when alone)."""
    return best - max(others) if others else best
