"""Adapters that turn the public datasets in ../shared/datasets into Kotae's formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eval.cases import EvalCase, write_cases
from eval.scorers import CaseResult
from retrieval.loaders import TagSpec, Taxonomy
from retrieval.types import Document, Ticket

T = TypeVar("T")


@dataclass(frozen=True)
class RetrievalQuery:
    """A query with the ids of the documents that answer it."""

    id: str
    text: str
    relevant: frozenset[str]


def load_stackfaq(path: Path) -> tuple[list[Document], list[RetrievalQuery]]:
    """Read StackFAQ: each thread (question + answers) is a document, each paraphrase a query."""
    data = json.loads(path.read_text(encoding="utf-8"))
    documents: list[Document] = []
    queries: list[RetrievalQuery] = []
    for n, pair in enumerate(data["root"]["qapair"], start=1):
        doc_id = f"stackfaq-{n:03d}"
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        documents.append(Document(
            id=doc_id, title=pair["question"].strip(),
            text="\n\n".join(str(a).strip() for a in answers if str(a).strip()),
            language="en", origin=f"{path}#{n}"))
        paraphrases = pair["rephr"] if isinstance(pair["rephr"], list) else [pair["rephr"]]
        for m, text in enumerate(paraphrases, start=1):
            text = str(text or "")
            if text.strip() and text.strip() != "*":  # "*" is the dataset placeholder
                queries.append(RetrievalQuery(f"{doc_id}-q{m:02d}", text.strip(),
                                              frozenset([doc_id])))
    return documents, queries


# --------------------------------------------------------------------------- eval harness


DEFAULT_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
DATASETS = ("banking77", "clinc150", "stackfaq", "hint3")


@dataclass
class PublicData:
    """A public dataset in Kotae's formats: knowledge base, tickets, taxonomy and cases."""

    name: str
    documents: list[Document]
    tickets: list[Ticket]
    taxonomy: Taxonomy
    cases: list[EvalCase]
    notes: str = ""


class DatasetError(ValueError):
    """A public dataset is missing or not in the expected shape."""


def spread(items: Sequence[T], n: int | None) -> list[T]:
    """Return n items evenly spaced through a sequence (all of them when n is None or large).

    Test files are often sorted by label, so "the first n" would cover a few labels only.
    """
    if n is None or n >= len(items):
        return list(items)
    if n <= 0:
        return []
    return [items[(i * len(items)) // n] for i in range(n)]


def _per_class(rows: Sequence[tuple[str, str]], limit: int | None) -> list[tuple[str, str]]:
    """Keep the first `limit` rows of each label, in file order."""
    if limit is None:
        return list(rows)
    seen: dict[str, int] = {}
    kept = []
    for text, label in rows:
        if seen.get(label, 0) < limit:
            seen[label] = seen.get(label, 0) + 1
            kept.append((text, label))
    return kept


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}; pass --data-dir the "
                           "folder that holds banking77/, clinc150/ and stackfaq/") from exc


def _tickets(name: str, rows: Sequence[tuple[str, str]]) -> list[Ticket]:
    return [Ticket(id=f"{name}-train-{n:05d}", body=text, tag=label, language="en",
                   origin=f"{name}/train#{n}") for n, (text, label) in enumerate(rows, start=1)]


def load_banking77(root: Path, *, limit: int | None = None,
                   train_per_class: int | None = None) -> PublicData:
    """Read BANKING77: train rows become labelled tickets, test rows cases with expected_tag."""
    folder = root / "banking77"

    def rows(name: str) -> list[tuple[str, str]]:
        reader = csv.DictReader(_read(folder / name).splitlines())
        return [(r["text"].strip(), r["category"].strip()) for r in reader
                if r.get("text", "").strip() and r.get("category", "").strip()]

    train, test = rows("train.csv"), rows("test.csv")
    names_path = folder / "categories.json"
    names = (json.loads(_read(names_path)) if names_path.exists()
             else sorted({label for _, label in train}))
    # Like CLINC150's, each intent's canned reply names it: through the whole agent, a query
    # recognised confidently enough is answered with it, and every test query is answerable.
    taxonomy = Taxonomy(tuple(TagSpec(str(n), answer=(("en", _reply(str(n))),)) for n in names))
    cases = [EvalCase(id=f"banking77-test-{n:04d}", inquiry=text, expected_tag=(label,),
                      expected_action="answer", language="en", extra={"scope": "in"})
             for n, (text, label) in enumerate(test, start=1)]
    return PublicData("banking77", [], _tickets("banking77", _per_class(train, train_per_class)),
                      taxonomy, spread(cases, limit),
                      "BANKING77 (Casanueva et al. 2020, CC BY 4.0): test accuracy, full data: "
                      "BERT 93.66, USE+ConveRT 93.36; 10 per intent: USE+ConveRT 85.19.")


def _reply(intent: str) -> str:
    """Return the canned reply of an intent dataset's label (the datasets ship none)."""
    return f"[{intent.replace('_', ' ')}]"


def load_clinc150(root: Path, *, limit: int | None = None,
                  train_per_class: int | None = None) -> PublicData:
    """Read CLINC150: train rows become tickets; in-scope test rows should be answered with
    their intent, out-of-scope test rows escalated."""
    data = json.loads(_read(root / "clinc150" / "data_full.json"))
    try:
        train = [(str(t).strip(), str(label)) for t, label in data["train"] if str(t).strip()]
        test = [(str(t).strip(), str(label)) for t, label in data["test"] if str(t).strip()]
        oos = [str(t).strip() for t, _ in data["oos_test"] if str(t).strip()]
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"clinc150/data_full.json: unexpected shape ({exc})") from exc
    # CLINC150 ships no replies: each intent's canned reply names it (what is scored is that
    # the agent answers an in-scope query with the right intent and escalates the rest).
    taxonomy = Taxonomy(tuple(TagSpec(n, answer=(("en", _reply(n)),))
                              for n in sorted({label for _, label in train})))
    in_scope = [EvalCase(id=f"clinc150-test-{n:04d}", inquiry=text, expected_tag=(label,),
                         expected_action="answer", language="en", extra={"scope": "in"})
                for n, (text, label) in enumerate(test, start=1)]
    out_of_scope = [EvalCase(id=f"clinc150-oos-{n:04d}", inquiry=text,
                             expected_action="escalate", language="en", extra={"scope": "oos"})
                    for n, text in enumerate(oos, start=1)]
    # Keep the in-scope : out-of-scope proportion when a limit is given.
    if limit is not None:
        n_oos = round(limit * len(out_of_scope) / (len(in_scope) + len(out_of_scope)))
        in_scope, out_of_scope = spread(in_scope, limit - n_oos), spread(out_of_scope, n_oos)
    return PublicData("clinc150", [], _tickets("clinc150", _per_class(train, train_per_class)),
                      taxonomy, in_scope + out_of_scope,
                      "CLINC150 (Larson et al. 2019, CC BY 3.0), in-scope accuracy / "
                      "out-of-scope recall: BERT with a confidence threshold 96.2 / 52.3; "
                      "MLP over USE 93.5 / 47.4; DialogFlow 91.7 / 14.0.")


def stackfaq_data(root: Path, *, limit: int | None = None) -> PublicData:
    """Read StackFAQ: threads become knowledge-base documents, paraphrases cases with the
    thread as the relevant id."""
    documents, queries = load_stackfaq(root / "stackfaq" / "stackExchange-FAQ.json")
    cases = [EvalCase(id=q.id, inquiry=q.text, relevant_ids=tuple(sorted(q.relevant)),
                      expected_action="answer", language="en") for q in queries]
    return PublicData("stackfaq", documents, [], Taxonomy.default(), spread(cases, limit),
                      "StackFAQ (Karan & Šnajder 2018; text CC BY-SA): unsupervised BM25 "
                      "MAP 0.637, P@5 0.789; supervised BERT MAP 0.978.")


# --------------------------------------------------------------------------- HINT3

HINT3_BOTS = ("sofmattress", "curekart", "powerplay11")
HINT3_VERSIONS = ("v1", "v2")
HINT3_OOS = "NO_NODES_DETECTED"
HINT3_PLATFORMS = ("dialogflow", "luis", "rasa", "haptik", "bert")
# The thresholds the HINT3 authors scored each platform's predictions at (run_evaluation.ipynb).
HINT3_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def hint3_root(root: Path) -> Path:
    """Return the folder that holds HINT3's dataset/ (and results/, preds/): `root` itself (a
    clone of github.com/hellohaptik/HINT3) or its hint3/ subfolder."""
    for folder in (root, root / "hint3", root / "HINT3"):
        if (folder / "dataset").is_dir():
            return folder
    raise DatasetError(f"no HINT3 dataset/ folder in {root} (nor in {root}/hint3): pass "
                       "--data-dir a clone of github.com/hellohaptik/HINT3, or the folder "
                       "that holds it as hint3/")


def _hint3_rows(path: Path) -> list[tuple[str, str]]:
    """Read a HINT3 CSV (columns sentence,label; a sentence may span lines inside quotes)."""
    reader = csv.DictReader(io.StringIO(_read(path), newline=""))
    if reader.fieldnames is None or not {"sentence", "label"} <= set(reader.fieldnames):
        raise DatasetError(f"{path}: expected the columns sentence,label, found "
                           f"{','.join(reader.fieldnames or []) or 'none'}")
    rows = []
    for r in reader:
        text, label = " ".join((r.get("sentence") or "").split()), (r.get("label") or "").strip()
        if text and label:
            rows.append((text, label))
    return rows


def hint3_files(root: Path, bot: str, version: str = "v1",
                subset: bool = False) -> tuple[Path, Path]:
    """Return a bot's train and test CSV paths."""
    if bot not in HINT3_BOTS:
        raise DatasetError(f"unknown HINT3 bot {bot!r}; choose one of {', '.join(HINT3_BOTS)}")
    if version not in HINT3_VERSIONS:
        raise DatasetError(f"unknown HINT3 version {version!r}; choose v1 or v2")
    folder = hint3_root(root) / "dataset" / version
    train = folder / "train" / f"{bot}{'_subset' if subset else ''}_train.csv"
    if subset and not train.exists():
        raise DatasetError(f"{train}: no subset train set in HINT3 {version} (v1 has them)")
    return train, folder / "test" / f"{bot}_test.csv"


def load_hint3(root: Path, bot: str, *, version: str = "v1", subset: bool = False,
               limit: int | None = None) -> PublicData:
    """Read one HINT3 bot: train rows become tickets (no resolution), test rows cases; a test
    row labelled NO_NODES_DETECTED is out of scope and should be escalated, the others
    answered with their intent's reply."""
    train_path, test_path = hint3_files(root, bot, version, subset)
    train = [(t, label) for t, label in _hint3_rows(train_path) if label != HINT3_OOS]
    test = _hint3_rows(test_path)
    if not train or not test:
        raise DatasetError(f"{train_path if not train else test_path}: no rows")
    name = f"hint3-{bot}"
    taxonomy = Taxonomy(tuple(TagSpec(n, answer=(("en", _reply(n)),))
                              for n in sorted({label for _, label in train})))
    cases = []
    for n, (text, label) in enumerate(test, start=1):
        inside = label != HINT3_OOS
        cases.append(EvalCase(
            id=f"{name}-test-{n:04d}", inquiry=text, expected_tag=(label,) if inside else (),
            expected_action="answer" if inside else "escalate", language="en",
            extra={"scope": "in" if inside else "oos"}))
    return PublicData(name, [], _tickets(name, train), taxonomy, spread(cases, limit),
                      "HINT3 (Arora et al. 2020, github.com/hellohaptik/HINT3): accuracy and "
                      "MCC with out of scope as a class; platforms below.")


def platform_figures(root: Path, bot: str, *, version: str = "v1",
                     subset: bool = False) -> dict[str, dict[str, Any]]:
    """Score the platforms' published test predictions (HINT3 preds/) against this version's
    labels as the authors did: a prediction scoring below the threshold is NO_NODES_DETECTED;
    accuracy and MCC over the intents plus out of scope, at each of their thresholds.

    Returns, per platform, its figures at its best threshold for MCC (chosen on the test set,
    as the published comparison reads) and at 0.1; platforms without predictions are left out.
    For v1 these are the authors' results/ tables.
    """
    from sklearn.metrics import matthews_corrcoef

    folder = hint3_root(root)
    _, test_path = hint3_files(root, bot, version, False)
    test = _hint3_rows(test_path)
    out: dict[str, dict[str, Any]] = {}
    for platform in HINT3_PLATFORMS:
        path = folder / "preds" / f"{platform}_{bot}{'_subset' if subset else ''}.csv"
        if not path.exists():
            continue
        reader = csv.DictReader(io.StringIO(_read(path), newline=""))
        preds = [(" ".join((r.get("sentence") or "").split()), r.get("predicted_node") or "",
                  float(r.get("predicted_node_score") or 0.0)) for r in reader]
        if [p[0] for p in preds] != [t for t, _ in test]:
            continue  # predictions for other sentences
        truth = [label for _, label in test]
        points = []
        for threshold in HINT3_THRESHOLDS:
            said = [node if score >= threshold else HINT3_OOS for _, node, score in preds]
            inside = [(t, s) for t, s in zip(truth, said, strict=True) if t != HINT3_OOS]
            outside = [s for t, s in zip(truth, said, strict=True) if t == HINT3_OOS]
            points.append({
                "threshold": threshold,
                "accuracy": sum(t == s for t, s in zip(truth, said, strict=True)) / len(truth),
                "mcc": float(matthews_corrcoef(truth, said)),
                "in_scope_accuracy": (sum(t == s for t, s in inside) / len(inside)
                                      if inside else 0.0),
                "oos_recall": (sum(s == HINT3_OOS for s in outside) / len(outside)
                               if outside else 0.0),
                "deflection": sum(s != HINT3_OOS for s in said) / len(said),
            })
        out[platform] = {"best": max(points, key=lambda p: (p["mcc"], -p["threshold"])),
                         "at_0.1": points[0]}
    return out


def load_public(name: str, root: Path, *, limit: int | None = None,
                train_per_class: int | None = None, bot: str = "sofmattress",
                version: str = "v1", subset: bool = False) -> PublicData:
    """Read one public dataset by name."""
    if name == "hint3":
        return load_hint3(root, bot, version=version, subset=subset, limit=limit)
    if name == "banking77":
        return load_banking77(root, limit=limit, train_per_class=train_per_class)
    if name == "clinc150":
        return load_clinc150(root, limit=limit, train_per_class=train_per_class)
    if name == "stackfaq":
        return stackfaq_data(root, limit=limit)
    raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def write_public(data: PublicData, folder: Path) -> None:
    """Write the converted data in the documented formats, so `eval run` can replay it."""
    folder.mkdir(parents=True, exist_ok=True)
    if data.documents:
        with (folder / "kb.jsonl").open("w", encoding="utf-8") as out:
            for doc in data.documents:
                record = {"id": doc.id, "title": doc.title, "text": doc.text,
                          "language": doc.language}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    if data.tickets:
        with (folder / "tickets.jsonl").open("w", encoding="utf-8") as out:
            for ticket in data.tickets:
                record = {"id": ticket.id, "body": ticket.body, "tag": ticket.tag,
                          "language": ticket.language}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    (folder / "taxonomy.json").write_text(json.dumps(data.taxonomy.to_dict(), indent=1,
                                                     ensure_ascii=False) + "\n", encoding="utf-8")
    write_cases(folder / "cases.jsonl", data.cases)


# --------------------------------------------------------------------------- out of scope


def oos_point(results: Sequence[CaseResult], threshold: float) -> dict[str, float]:
    """Return in-scope accuracy and out-of-scope recall when escalating below a confidence.

    An in-scope case counts as right only when its tag is right and it is not escalated (the
    published CLINC150 figures count an out-of-scope verdict on an in-scope query as wrong).
    """
    inside = [r.decision for r in results if r.decision and r.case.extra.get("scope") == "in"]
    right = [r.decision for r in results if r.decision and r.case.extra.get("scope") == "in"
             and r.checks.tag]
    outside = [r.decision for r in results if r.decision and r.case.extra.get("scope") == "oos"]
    kept = sum(1 for d in right if d.tag_confidence >= threshold)
    caught = sum(1 for d in outside if d.tag_confidence < threshold)
    return {"threshold": threshold,
            "in_scope_accuracy": kept / len(inside) if inside else 0.0,
            "oos_recall": caught / len(outside) if outside else 0.0}


def oos_curve(results: Sequence[CaseResult], steps: int = 20) -> dict[str, Any]:
    """Return the out-of-scope curve: points at thresholds 0..1 and the best balanced point."""
    points = [oos_point(results, i / steps) for i in range(steps + 1)]
    fine = [oos_point(results, i / 100) for i in range(101)]
    balanced = max(fine, key=lambda p: (p["in_scope_accuracy"] + p["oos_recall"],
                                        -p["threshold"]))
    agent = [r for r in results if r.decision and r.case.extra.get("scope") == "oos"]
    inside = [r for r in results if r.decision and r.case.extra.get("scope") == "in"]
    return {
        **agent_figures(results),
        "agent_in_scope_answered_right": (sum(
            1 for r in inside if r.decision and r.decision.action == "answer" and r.checks.tag)
            / len(inside)) if inside else None,
        "points": points,
        "best_balanced": balanced,
        "agent_oos_recall": (sum(1 for r in agent if r.decision and
                                 r.decision.action == "escalate") / len(agent)) if agent else None,
    }


def agent_figures(results: Sequence[CaseResult]) -> dict[str, float | None]:
    """Return what the whole agent did with an intent dataset's queries.

    An answered query counts as its tag's intent and an escalated one as out of scope (as
    published comparisons of chatbot platforms count them): deflection, the share of answers
    with the wrong intent, accuracy over all queries and the Matthews correlation over the
    intents plus out of scope.
    """
    from sklearn.metrics import matthews_corrcoef

    truth: list[str] = []
    said: list[str] = []
    for r in results:
        if r.decision is None:
            continue
        inside = r.case.extra.get("scope") == "in"
        truth.append(r.case.expected_tag[0] if inside and r.case.expected_tag else "(oos)")
        said.append(r.decision.tag if r.decision.action == "answer" else "(oos)")
    answered = [(t, s) for t, s in zip(truth, said, strict=True) if s != "(oos)"]
    return {
        "agent_deflection": len(answered) / len(truth) if truth else None,
        "agent_wrong_intent_rate": (sum(t != s for t, s in answered) / len(answered)
                                    if answered else None),
        "agent_accuracy": (sum(t == s for t, s in zip(truth, said, strict=True)) / len(truth)
                           if truth else None),
        "agent_mcc": float(matthews_corrcoef(truth, said)) if len(set(truth) | set(said)) > 1
        else None,
    }
