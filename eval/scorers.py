"""Deterministic scorers: per-case checks, and the run's metrics aggregated from them.

Definitions (each metric is computed over the cases it can be judged on, and is `null` in
metrics.json when there are none; a case that raised is counted in `cases.errors` and left
out of every other figure):

- tag: over cases with `expected_tag`. A prediction is right when it is one of the expected
  tags. `macro_f1` averages F1 over every label that was expected or predicted; a label never
  predicted has precision 0.
- action: `expected_action` (or, when only `expected_reason` is given, escalate).
  Escalation is the positive class: precision = right escalations / escalations, recall =
  right escalations / cases that should escalate. `deflection_rate` = answered / all cases.
  `wrong_answer_rate` = wrong answers / answered cases that can be judged (they carry an
  expected action or relevant ids); an answer is wrong when the case should have escalated,
  or when the case lists relevant ids and the answer cites none of them. `reason_accuracy` is
  over cases expected to escalate with an `expected_reason` that were escalated.
- answer: `citation_hit_rate` over answered cases with relevant ids; `reference_f1` (token F1
  on analyzer terms, so Japanese is tokenised) and `reference_similarity` (cosine of the local
  embeddings) over answered cases with a reference answer. `fact_hit_rate` is over the cases
  with `facts`: the share answered with every fact in the answer (eval/facts.py). Beside it, for
  those cases: `fact_cases`, `fact_hits`, `fact_escalated` (escalated, so no answer),
  `fact_answered_missing` (answered without every fact: a wrong or partial quote) and
  `fact_wrong_answer_rate` (the wrong-answer rate over the answered ones).
- retrieval: the ids of `decision.retrieved`, deduplicated in order, against `relevant_ids`,
  over the cases that list any.
- latency_ms: percentiles by linear interpolation between closest ranks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.types import Decision
from eval.cases import EvalCase
from eval.facts import missing_facts
from eval.retrieval_metrics import average_precision, ndcg_at, recall_at, reciprocal_rank

Terms = Callable[[str], list[str]]
RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "map")
# The figures repeated per language in `by_language`: (name, section, key).
MAIN_FIGURES = (
    ("cases", "cases", "total"), ("pass_rate", "cases", "pass_rate"),
    ("tag_accuracy", "tag", "accuracy"), ("tag_macro_f1", "tag", "macro_f1"),
    ("action_accuracy", "action", "accuracy"),
    ("escalation_precision", "action", "escalation_precision"),
    ("escalation_recall", "action", "escalation_recall"),
    ("deflection_rate", "action", "deflection_rate"),
    ("wrong_answer_rate", "action", "wrong_answer_rate"),
    ("reason_accuracy", "action", "reason_accuracy"),
    ("citation_hit_rate", "answer", "citation_hit_rate"),
    ("fact_cases", "answer", "fact_cases"), ("fact_hit_rate", "answer", "fact_hit_rate"),
    ("fact_hits", "answer", "fact_hits"),
    ("fact_answered_missing", "answer", "fact_answered_missing"),
    ("fact_escalated", "answer", "fact_escalated"),
    ("fact_wrong_answer_rate", "answer", "fact_wrong_answer_rate"),
    ("reference_f1", "answer", "reference_f1"),
    ("reference_similarity", "answer", "reference_similarity"),
    ("recall@5", "retrieval", "recall@5"), ("mrr", "retrieval", "mrr"),
)


# --------------------------------------------------------------------------- small pieces


def mean(values: Iterable[float]) -> float | None:
    """Return the arithmetic mean, or None for no values."""
    items = list(values)
    return sum(items) / len(items) if items else None


def rate(flags: Iterable[bool]) -> float | None:
    """Return the share of true flags, or None for no flags."""
    return mean(1.0 if f else 0.0 for f in flags)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0..100), interpolating linearly between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def dedupe(ids: Iterable[str]) -> list[str]:
    """Return ids without repeats, first occurrence kept."""
    seen: set[str] = set()
    out: list[str] = []
    for item in ids:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def token_f1(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """Return F1 of the overlap of two bags of tokens (1 when both are empty)."""
    if not predicted and not reference:
        return 1.0
    overlap = sum((Counter(predicted) & Counter(reference)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted)
    recall = overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


def retrieval_scores(ranked: Sequence[str], relevant: Iterable[str]) -> dict[str, float]:
    """Return recall@1/5/10, reciprocal rank, nDCG@10 and average precision of one ranking."""
    wanted = set(relevant)
    return {
        "recall@1": recall_at(ranked, wanted, 1),
        "recall@5": recall_at(ranked, wanted, 5),
        "recall@10": recall_at(ranked, wanted, 10),
        "mrr": reciprocal_rank(ranked, wanted),
        "ndcg@10": ndcg_at(ranked, wanted, 10),
        "map": average_precision(ranked, wanted),
    }


def order_labels(known: Sequence[str], seen: Iterable[str]) -> list[str]:
    """Return the known labels first (in their order), then any others alphabetically."""
    seen_set = set(seen)
    first = [label for label in known if label in seen_set]
    return first + sorted(seen_set - set(first))


def tag_metrics(
    expected: Sequence[Sequence[str]], predicted: Sequence[str], labels: Sequence[str] = (),
) -> dict[str, Any]:
    """Score tag predictions: accuracy, macro-F1, per-class figures and the confusion counts.

    `expected[i]` lists the acceptable tags of case i. When the prediction is one of them it
    counts as that label; otherwise the case counts under its first expected tag.
    """
    if len(expected) != len(predicted):
        raise ValueError("expected and predicted differ in length")
    truth = [p if p in e else e[0] for e, p in zip(expected, predicted, strict=True)]
    classes = order_labels(labels, [*truth, *predicted])
    confusion: dict[str, dict[str, int]] = {}
    for t, p in zip(truth, predicted, strict=True):
        row = confusion.setdefault(t, {})
        row[p] = row.get(p, 0) + 1
    confusion = {t: dict(sorted(row.items(), key=lambda kv: classes.index(kv[0])))
                 for t, row in sorted(confusion.items(), key=lambda kv: classes.index(kv[0]))}
    per_class: dict[str, dict[str, float | int]] = {}
    for label in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        n_pred = sum(1 for p in predicted if p == label)
        support = sum(1 for t in truth if t == label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": support}
    return {
        "cases": len(truth),
        "accuracy": rate(t == p for t, p in zip(truth, predicted, strict=True)),
        "macro_f1": mean(float(c["f1"]) for c in per_class.values()),
        "labels": classes,
        "per_class": per_class,
        "confusion": confusion,
    }


def escalation_metrics(
    should_escalate: Sequence[bool], escalated: Sequence[bool],
) -> dict[str, float | None]:
    """Return precision and recall of escalation (the positive class) and action accuracy."""
    pairs = list(zip(should_escalate, escalated, strict=True))
    true_pos = sum(1 for s, e in pairs if s and e)
    n_escalated = sum(1 for _, e in pairs if e)
    n_should = sum(1 for s, _ in pairs if s)
    return {
        "accuracy": rate(s == e for s, e in pairs),
        "escalation_precision": true_pos / n_escalated if n_escalated else None,
        "escalation_recall": true_pos / n_should if n_should else None,
    }


# --------------------------------------------------------------------------- per case


@dataclass
class Checks:
    """What was judged about one case; None where the case carries no expectation for it."""

    tag: bool | None = None
    action: bool | None = None
    reason: bool | None = None
    citation_hit: bool | None = None
    fact_hit: bool | None = None  # answered with every fact (None: the case lists no facts)
    missing_facts: list[str] = field(default_factory=list)  # of an answer, not an escalation
    wrong_answer: bool | None = None
    language: bool | None = None
    reference_f1: float | None = None
    reference_similarity: float | None = None
    retrieval: dict[str, float] | None = None
    judge_correct: bool | None = None
    judge_faithful: bool | None = None
    judge_note: str | None = None


@dataclass
class CaseResult:
    """One case, what the agent decided (or the error it raised) and the checks."""

    case: EvalCase
    decision: Decision | None
    error: str | None = None
    checks: Checks = field(default_factory=Checks)

    @property
    def failures(self) -> list[str]:
        """Return what went wrong, one line per failed check."""
        if self.error is not None:
            return [f"error: {self.error}"]
        d, c, case = self.decision, self.checks, self.case
        assert d is not None
        out: list[str] = []
        if c.tag is False:
            out.append(f"tag: expected {' or '.join(case.expected_tag)}, got {d.tag}")
        if c.action is False:
            got = d.action + (f" ({d.escalation.reason})" if d.escalation else "")
            out.append(f"action: expected {expected_action(case)}, got {got}")
        if c.reason is False and d.escalation is not None:
            wanted = " or ".join(str(r) for r in case.expected_reason)
            out.append(f"reason: expected {wanted}, got {d.escalation.reason}")
        if c.missing_facts:
            out.append("answer lacks " + ", ".join(repr(f) for f in c.missing_facts))
        if c.wrong_answer and c.action is not False:
            cited = ", ".join(x.id for x in d.citations) or "nothing"
            out.append(f"answer cites {cited}, none of {', '.join(case.relevant_ids)}")
        if c.language is False:
            out.append(f"language: expected {case.language}, got {d.language}")
        return out

    @property
    def outcome(self) -> str:
        """Return pass, fail or error."""
        if self.error is not None:
            return "error"
        return "fail" if self.failures else "pass"


def expected_action(case: EvalCase) -> str | None:
    """Return the action a case expects (escalate when only a reason is given)."""
    if case.expected_action is not None:
        return case.expected_action
    return "escalate" if case.expected_reason else None


def score_case(case: EvalCase, decision: Decision, terms: Terms) -> Checks:
    """Run every deterministic check that the case's expectations allow."""
    checks = Checks()
    answered = decision.action == "answer"
    if case.expected_tag:
        checks.tag = decision.tag in case.expected_tag
    wanted = expected_action(case)
    if wanted is not None:
        checks.action = decision.action == wanted
    if case.expected_reason and wanted == "escalate" and decision.escalation is not None:
        checks.reason = decision.escalation.reason in case.expected_reason
    cited = {c.id for c in decision.citations}
    if answered and case.relevant_ids:
        checks.citation_hit = bool(cited & set(case.relevant_ids))
    if case.facts:
        checks.missing_facts = (missing_facts(decision.answer or "", case.facts)
                                if answered else [])
        checks.fact_hit = answered and not checks.missing_facts
    if answered and (wanted is not None or case.relevant_ids):
        checks.wrong_answer = wanted == "escalate" or checks.citation_hit is False
    if case.language is not None:
        checks.language = decision.language == case.language
    if answered and case.reference_answer and decision.answer:
        checks.reference_f1 = token_f1(terms(decision.answer), terms(case.reference_answer))
    if case.relevant_ids:
        ranked = dedupe(c.id for c in decision.retrieved)
        checks.retrieval = retrieval_scores(ranked, case.relevant_ids)
    return checks


# --------------------------------------------------------------------------- aggregation


def aggregate(results: Sequence[CaseResult], labels: Sequence[str] = (),
              *, skipped_lines: int = 0) -> dict[str, Any]:
    """Compute the run's metrics from scored cases."""
    done = [r for r in results if r.decision is not None and r.error is None]
    decisions = [r.decision for r in done if r.decision is not None]
    metrics: dict[str, Any] = {}

    tagged = [r for r in done if r.case.expected_tag]
    metrics["tag"] = tag_metrics([r.case.expected_tag for r in tagged],
                                 [r.decision.tag for r in tagged if r.decision], labels)

    judged = [r for r in done if expected_action(r.case) is not None]
    action = escalation_metrics([expected_action(r.case) == "escalate" for r in judged],
                                [r.decision.action == "escalate" for r in judged if r.decision])
    wrong = [r.checks.wrong_answer for r in done if r.checks.wrong_answer is not None]
    reasons = Counter(str(d.escalation.reason) for d in decisions if d.escalation)
    metrics["action"] = {
        "cases": len(judged),
        **action,
        "deflection_rate": rate(d.action == "answer" for d in decisions),
        "wrong_answer_rate": rate(wrong),
        "wrong_answers": sum(wrong),
        "reason_accuracy": rate(r.checks.reason for r in done if r.checks.reason is not None),
        "reasons": dict(sorted(reasons.items())),
    }

    answer: dict[str, Any] = {
        "citation_hit_rate": rate(r.checks.citation_hit for r in done
                                  if r.checks.citation_hit is not None),
        "reference_f1": mean(r.checks.reference_f1 for r in done
                             if r.checks.reference_f1 is not None),
        "reference_similarity": mean(r.checks.reference_similarity for r in done
                                     if r.checks.reference_similarity is not None),
        "language_accuracy": rate(r.checks.language for r in done
                                  if r.checks.language is not None),
        **fact_metrics(done),
    }
    judge = [r.checks for r in done if r.checks.judge_correct is not None]
    if judge:
        agree = [c.judge_correct == (c.wrong_answer is False) for c in judge
                 if c.wrong_answer is not None]
        answer.update({
            "judge_cases": len(judge),
            "judge_correct_rate": rate(bool(c.judge_correct) for c in judge),
            "judge_faithful_rate": rate(bool(c.judge_faithful) for c in judge
                                        if c.judge_faithful is not None),
            "judge_agreement": rate(agree),
        })
    metrics["answer"] = answer

    ranked = [r.checks.retrieval for r in done if r.checks.retrieval is not None]
    metrics["retrieval"] = {"cases": len(ranked),
                            **{key: mean(s[key] for s in ranked) for key in RETRIEVAL_KEYS}}

    latencies = [d.latency_ms for d in decisions]
    metrics["latency_ms"] = {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                             "max": max(latencies) if latencies else None}
    metrics["usage"] = {
        "prompt_tokens": sum(d.usage.prompt_tokens for d in decisions),
        "completion_tokens": sum(d.usage.completion_tokens for d in decisions),
        "cost_usd": sum(d.usage.cost_usd for d in decisions),
    }
    outcomes = Counter(r.outcome for r in results)
    metrics["cases"] = {
        "total": len(results), "passed": outcomes["pass"], "failed": outcomes["fail"],
        "errors": outcomes["error"], "error_rate": rate(r.error is not None for r in results),
        "pass_rate": rate(r.outcome == "pass" for r in results),
        "skipped_lines": skipped_lines,
    }
    return metrics


def fact_metrics(done: Sequence[CaseResult]) -> dict[str, Any]:
    """Score the cases with facts: hit rate, and whether misses were escalations or quotes."""
    with_facts = [r for r in done if r.checks.fact_hit is not None and r.decision is not None]
    answered = [r for r in with_facts if r.decision and r.decision.action == "answer"]
    return {
        "fact_cases": len(with_facts),
        "fact_hit_rate": rate(bool(r.checks.fact_hit) for r in with_facts),
        "fact_hits": sum(1 for r in with_facts if r.checks.fact_hit),
        "fact_escalated": len(with_facts) - len(answered),
        "fact_answered_missing": sum(1 for r in answered if not r.checks.fact_hit),
        "fact_wrong_answer_rate": rate(bool(r.checks.wrong_answer) for r in answered
                                       if r.checks.wrong_answer is not None),
    }


def main_figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """Return the headline figures of a metrics dict, flat."""
    return {name: metrics.get(section, {}).get(key) for name, section, key in MAIN_FIGURES}


def metrics_by_language(results: Sequence[CaseResult], labels: Sequence[str] = ()
                        ) -> dict[str, dict[str, Any]]:
    """Return the main figures for each language's cases."""
    by: dict[str, list[CaseResult]] = {}
    for r in results:
        by.setdefault(r.case.case_language, []).append(r)
    return {lang: main_figures(aggregate(by[lang], labels)) for lang in sorted(by)}


def tag_metrics_by_language(results: Sequence[CaseResult], labels: Sequence[str] = ()
                            ) -> dict[str, dict[str, Any]]:
    """Return the tag figures (per-class F1, confusion) of each language's cases."""
    by: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.decision is not None and r.error is None and r.case.expected_tag:
            by.setdefault(r.case.case_language, []).append(r)
    return {lang: tag_metrics([r.case.expected_tag for r in by[lang]],
                              [r.decision.tag for r in by[lang] if r.decision], labels)
            for lang in sorted(by)}


def metrics_by_category(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """Return case counts and pass rates per `category` (a common extra field of case files)."""
    by: dict[str, list[CaseResult]] = {}
    for r in results:
        category = r.case.extra.get("category")
        if isinstance(category, str) and category:
            by.setdefault(category, []).append(r)
    return {name: {"cases": len(items), "passed": sum(r.outcome == "pass" for r in items),
                   "pass_rate": rate(r.outcome == "pass" for r in items)}
            for name, items in sorted(by.items())}


def round_floats(value: Any, digits: int = 4) -> Any:
    """Round every float in a JSON-like structure (keeps metrics files stable and readable)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_floats(v, digits) for v in value]
    return value


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Return the numeric leaves of a metrics dict as dotted keys ("tag.accuracy")."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[name] = float(value)
        elif isinstance(value, dict):
            out.update(flatten(value, name + "."))
    return out
