"""Replay eval cases through the agent exactly as a client would, then score and record them.

With a knowledge base and/or tickets the run gets a throwaway index of its own, so any data
set in the documented formats can be scored without touching the live store. Building that
index (embedding every chunk) is most of a run's time, so a finished index is kept in a cache
keyed by the content it was built from, the embedder and the code that builds it; each run
works on a fresh copy, so a cached run and a cold run see byte-identical indexes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from agent.factory import build_agent
from agent.pipeline import Agent
from eval.cases import EvalCase
from eval.judge import Judge, JudgeVerdict, document_text
from eval.report import render_html, render_markdown
from eval.results import RunResult
from eval.riskcoverage import summary as risk_coverage
from eval.scorers import (
    CaseResult,
    Terms,
    aggregate,
    metrics_by_category,
    metrics_by_language,
    round_floats,
    score_case,
    tag_metrics_by_language,
)
from retrieval.chunking import CHUNKER_VERSION, DEFAULT_MAX_TOKENS
from retrieval.embeddings import Embedder
from retrieval.indexer import Indexer
from retrieval.loaders import (
    Taxonomy,
    load_knowledge_base,
    load_taxonomy,
    load_tickets,
)
from retrieval.store import KnowledgeStore, StoreConfig
from retrieval.types import Document, Problem, Ticket
from settings import Settings

log = logging.getLogger("kotae.eval")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path("var/cache/eval")
INDEX_FORMAT = "1"  # bump to invalidate every cached index
_MARKER = ".kotae-eval-index.json"
_KEEP_CACHED = 4
_ABANDONED_AFTER_S = 24 * 3600
JudgeFactory = Callable[[Settings, str, KnowledgeStore], Judge]


# --------------------------------------------------------------------------- the data


@dataclass
class Corpus:
    """What a throwaway index is built from."""

    documents: list[Document] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    taxonomy: Taxonomy = field(default_factory=Taxonomy.default)
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # where each part came from


def load_corpus(kb: Path | None, tickets: Path | None, taxonomy: Path | None) -> Corpus:
    """Read a knowledge base, tickets and taxonomy (raises TaxonomyError for a bad taxonomy)."""
    corpus = Corpus(taxonomy=load_taxonomy(taxonomy))
    if kb is not None:
        loaded = load_knowledge_base(kb)
        corpus.documents, corpus.problems = loaded.documents, [*loaded.problems]
        corpus.sources["kb"] = str(kb)
    if tickets is not None:
        loaded = load_tickets(tickets)
        corpus.tickets = loaded.tickets
        corpus.problems += loaded.problems
        corpus.sources["tickets"] = str(tickets)
    corpus.sources["taxonomy"] = str(taxonomy) if taxonomy else "default"
    return corpus


def _record(item: Document | Ticket) -> dict[str, Any]:
    record = asdict(item)
    record.pop("origin", None)  # where a file lies does not change what is indexed
    return record


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "retrieval").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def corpus_digest(corpus: Corpus, embedder_name: str) -> str:
    """Hash everything that determines the index built from a corpus."""
    digest = hashlib.sha256()
    header = [INDEX_FORMAT, CHUNKER_VERSION, DEFAULT_MAX_TOKENS, embedder_name,
              _code_fingerprint(), corpus.taxonomy.to_dict()]
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for kind, items in (("kb", corpus.documents), ("ticket", corpus.tickets)):
        for item in items:
            line = json.dumps([kind, _record(item)], sort_keys=True, ensure_ascii=False,
                              default=str)
            digest.update(line.encode())
    return digest.hexdigest()[:24]


# --------------------------------------------------------------------------- the index


@dataclass
class IndexInfo:
    """How the run's index came to be."""

    digest: str
    cached: bool
    seconds: float
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def close_store(store: KnowledgeStore) -> None:
    """Close the catalog and release Chroma's handle on the folder."""
    store.close()
    # Chroma keeps one shared client per folder for the whole process; closing ours lets a
    # finished index be copied or deleted safely.
    store.vectors.close()


def build_index(corpus: Corpus, embedder: Embedder, path: Path, *,
                progress: bool | None = None) -> None:
    """Index a corpus into a new store folder, and close it."""
    store = KnowledgeStore.open(StoreConfig(path))
    try:
        store.save_taxonomy(corpus.taxonomy)
        indexer = Indexer(store, embedder, progress=progress)
        indexer.sync("kb", corpus.documents)
        indexer.sync("ticket", corpus.tickets)
    finally:
        close_store(store)


def _prune(cache: Path, keep: str) -> None:
    """Keep the most recently used indexes; drop builds abandoned more than a day ago."""
    finished = [p for p in cache.iterdir() if (p / _MARKER).exists() and p.name != keep]
    finished.sort(key=lambda p: (p / _MARKER).stat().st_mtime, reverse=True)
    abandoned = [p for p in cache.glob("*.tmp-*")
                 if time.time() - p.stat().st_mtime > _ABANDONED_AFTER_S]
    for old in [*finished[_KEEP_CACHED - 1:], *abandoned]:
        shutil.rmtree(old, ignore_errors=True)


def _finished_index(corpus: Corpus, embedder: Embedder, built: Path, digest: str,
                    cache: Path | None, progress: bool | None) -> bool:
    """Make sure `built` holds the corpus's finished index; return whether it already did."""
    hit = (built / _MARKER).exists()
    if hit:
        os.utime(built / _MARKER)
        return True
    staging = (cache / f"{digest}.tmp-{os.getpid()}") if cache is not None else built
    if staging.exists():
        shutil.rmtree(staging)
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        build_index(corpus, embedder, staging, progress=progress)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (staging / _MARKER).write_text(json.dumps({"digest": digest, "sources": corpus.sources}),
                                   encoding="utf-8")
    if staging != built:
        try:
            staging.rename(built)
        except OSError:  # another run finished the same index first
            shutil.rmtree(staging, ignore_errors=True)
    if cache is not None:
        _prune(cache, digest)
    return False


def cached_index(corpus: Corpus, embedder: Embedder, cache: Path, *,
                 progress: bool | None = None) -> Path:
    """Return the folder in `cache` holding the corpus's finished index, built the first time
    (the one throwaway_store copies). Read it or copy it; never write to it."""
    digest = corpus_digest(corpus, embedder.name)
    _finished_index(corpus, embedder, cache / digest, digest, cache, progress)
    return cache / digest


@contextmanager
def throwaway_store(
    corpus: Corpus, embedder: Embedder, *, cache: Path | None, progress: bool | None,
) -> Iterator[tuple[KnowledgeStore, IndexInfo]]:
    """Yield an open store holding the corpus, on a private copy deleted afterwards."""
    started = time.perf_counter()
    digest = corpus_digest(corpus, embedder.name)
    with tempfile.TemporaryDirectory(prefix="kotae-eval-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        built = cache / digest if cache is not None else work / "built"
        hit = _finished_index(corpus, embedder, built, digest, cache, progress)
        shutil.copytree(built, work / "store")
        store = KnowledgeStore.open(StoreConfig(work / "store"))
        info = IndexInfo(digest, hit, round(time.perf_counter() - started, 2),
                         store.catalog.counts())
        try:
            yield store, info
        finally:
            close_store(store)


# --------------------------------------------------------------------------- the replay


def _error_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(exc).split())  # one line, whatever the exception printed
    if len(message) > 400:
        message = message[:400] + " …"
    return f"{type(exc).__name__}: {message}{where}"


def replay(agent: Agent, cases: Sequence[EvalCase], terms: Terms, *,
           progress: bool | None = None) -> list[CaseResult]:
    """Send every case to the agent as a client would; a case that raises is recorded."""
    results: list[CaseResult] = []
    bar = tqdm(cases, desc="eval", unit="case", disable=None if progress is None else not progress)
    for case in bar:
        try:
            decision = agent.handle(case.to_inquiry())
        except Exception as exc:  # one broken case is a finding; the run goes on
            log.debug("case %s raised", case.id, exc_info=True)
            results.append(CaseResult(case, None, error=_error_text(exc)))
            continue
        results.append(CaseResult(case, decision, checks=score_case(case, decision, terms)))
    return results


class TextVectors:
    """Embed one text per model call, remembering vectors on disk when given a folder.

    One text per call because the int8 model's output depends on what shares its batch: a
    case's similarity must not move because another case's answer changed. That also makes
    the vector a pure function of the text, so a remembered vector is exactly a fresh one.
    """

    def __init__(self, embedder: Embedder, folder: Path | None) -> None:
        self.embedder = embedder
        self._db: sqlite3.Connection | None = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(folder / "text-vectors.sqlite3", timeout=30)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (embedder TEXT, key TEXT, "
                             "vector BLOB, PRIMARY KEY (embedder, key))")

    def vector(self, text: str) -> npt.NDArray[np.float32]:
        """Return the text's embedding."""
        key = hashlib.sha256(text.encode()).hexdigest()
        if self._db is not None:
            row = self._db.execute("SELECT vector FROM vectors WHERE embedder = ? AND key = ?",
                                   (self.embedder.name, key)).fetchone()
            if row is not None:
                return np.frombuffer(row[0], dtype=np.float32)
        vector = np.asarray(self.embedder.embed_documents([text])[0], dtype=np.float32)
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                             (self.embedder.name, key, vector.tobytes()))
        return vector

    def close(self) -> None:
        """Write remembered vectors and close the file."""
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None


def add_similarity(results: Sequence[CaseResult], vectors: TextVectors) -> None:
    """Set each answered case's cosine similarity to its reference answer."""
    for result in results:
        if result.checks.reference_f1 is None or result.decision is None:
            continue
        answer = vectors.vector(result.decision.answer or "")
        reference = vectors.vector(result.case.reference_answer or "")
        result.checks.reference_similarity = float(answer @ reference)


def add_judgement(results: Sequence[CaseResult], judge: Judge, *,
                  progress: bool | None = None) -> None:
    """Ask the judge about every answered case."""
    answered = [r for r in results if r.decision is not None and r.decision.action == "answer"]
    for result in tqdm(answered, desc="judge", unit="case",
                       disable=None if progress is None else not progress):
        assert result.decision is not None
        verdict = judge.try_grade(result.case, result.decision)
        if isinstance(verdict, JudgeVerdict):
            result.checks.judge_correct = verdict.correct
            result.checks.judge_faithful = verdict.faithful
            result.checks.judge_note = verdict.reason
        else:
            result.checks.judge_note = verdict


# --------------------------------------------------------------------------- a whole run


@dataclass
class RunSpec:
    """What to run: cases, the data to index (None: the configured store) and settings."""

    cases: list[EvalCase]
    settings: Settings
    corpus: Corpus | None = None
    cache: Path | None = DEFAULT_CACHE  # finished indexes and text vectors
    progress: bool | None = None
    judge_model: str | None = None
    embedder: Embedder | None = None  # default: the one the settings describe
    problems: list[Problem] = field(default_factory=list)  # lines of the case file skipped
    sources: dict[str, str] = field(default_factory=dict)  # for run.json


def make_judge(settings: Settings, model_name: str, store: KnowledgeStore) -> Judge:
    """Build the judge on the configured OpenAI-compatible endpoint."""
    from agent.llm import OpenAIChatModel

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    model = OpenAIChatModel(model=model_name, api_key=key, base_url=settings.openai_base_url,
                            timeout=settings.openai_timeout_s,
                            max_retries=settings.llm_max_retries)

    def lookup(source: str, doc_id: str) -> str | None:
        return document_text(store.catalog.document(source, doc_id))

    return Judge(model, lookup)


def evaluate(spec: RunSpec, *, judge_factory: JudgeFactory | None = None) -> RunResult:
    """Run the cases and score them (writes nothing)."""
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    embedder = spec.embedder or spec.settings.embedder_factory()()
    meta: dict[str, Any] = {"sources": spec.sources, "mode": "llm" if spec.settings.use_llm
                            else "offline", "embedder": embedder.name}
    judge: Judge | None = None
    with ExitStack() as stack:
        if spec.corpus is not None:
            store, info = stack.enter_context(throwaway_store(
                spec.corpus, embedder, cache=spec.cache / "index" if spec.cache else None,
                progress=spec.progress))
            settings = spec.settings.model_copy(update={"store_dir": store.config.path})
            meta["index"] = asdict(info)
        else:
            settings = spec.settings
            store = KnowledgeStore.open(settings.store)
            stack.callback(close_store, store)
            meta["index"] = {"store": str(settings.store_dir), "counts": store.catalog.counts()}
        timings = {"index_s": round(time.perf_counter() - clock, 2)}
        mark = time.perf_counter()
        agent = build_agent(settings, store=store, embedder=embedder)
        labels = store.taxonomy().names
        model = agent.policy.answerability(embedder.name)
        threshold = (model.threshold if model is not None
                     else agent.policy.thresholds.answer_min_confidence)
        meta["answer_threshold"] = {"threshold": threshold,
                                    "by": "answerability model" if model else "grounding score"}
        timings["agent_s"] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        results = replay(agent, spec.cases, store.analyzer.terms, progress=spec.progress)
        vectors = TextVectors(embedder, spec.cache)
        try:
            add_similarity(results, vectors)
        finally:
            vectors.close()
        timings["cases_s"] = round(time.perf_counter() - mark, 2)
        if spec.judge_model is not None:
            mark = time.perf_counter()
            factory = judge_factory or make_judge
            judge = factory(settings, spec.judge_model, store)
            add_judgement(results, judge, progress=spec.progress)
            timings["judge_s"] = round(time.perf_counter() - mark, 2)
    metrics = aggregate(results, labels, skipped_lines=len(spec.problems))
    metrics["by_language"] = metrics_by_language(results, labels)
    metrics["action"]["risk_coverage"] = risk_coverage(results, threshold)
    metrics["tag_by_language"] = tag_metrics_by_language(results, labels)
    by_category = metrics_by_category(results)
    if by_category:
        metrics["by_category"] = by_category
    if judge is not None:
        metrics["usage"]["judge_prompt_tokens"] = judge.usage.prompt_tokens
        metrics["usage"]["judge_completion_tokens"] = judge.usage.completion_tokens
        metrics["usage"]["judge_cost_usd"] = judge.usage.cost_usd
        meta["judge"] = {"model": spec.judge_model, "prompt_version": judge.prompt_version}
    timings["total_s"] = round(time.perf_counter() - clock, 2)
    meta.update({
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": timings,
        "labels": labels,
        "problems": [str(p) for p in spec.problems],
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "prompt_versions": sorted({r.decision.prompt_version for r in results
                                   if r.decision and r.decision.prompt_version}),
    })
    return RunResult(results, round_floats(metrics), meta)


def case_record(result: CaseResult) -> dict[str, Any]:
    """Return the cases.jsonl line of one case: decision next to expectation, with checks."""
    return {
        "id": result.case.id,
        "outcome": result.outcome,
        "failures": result.failures,
        "language": result.case.case_language,
        "case": result.case.to_json(),
        "decision": result.decision.model_dump(mode="json") if result.decision else None,
        "error": result.error,
        "checks": round_floats(asdict(result.checks)),
    }


def write_run(out: Path, run: RunResult) -> None:
    """Write metrics.json, cases.jsonl, run.json, report.html and report.md into out."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(run.metrics, indent=2, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    with (out / "cases.jsonl").open("w", encoding="utf-8") as handle:
        for result in run.results:
            handle.write(json.dumps(case_record(result), ensure_ascii=False) + "\n")
    (out / "run.json").write_text(json.dumps(run.meta, indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    (out / "report.html").write_text(render_html(run), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(run), encoding="utf-8")
