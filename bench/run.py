"""Kotae against the stock LangChain RAG pipeline (bench/baseline.py), side by side, one run.

  KOTAE_MODEL_DIR=... python bench/run.py [--sizes 1000,10000] [--repeats 3] [--queries 100]
                                          [--llm-cases 40] [--svg reports/latency_vs_size.svg]

Both pipelines use the same embedder (KOTAE_EMBEDDER: MiniLM by default, or e5) and the same
data in the same run. Query latency and memory run in one child process per pipeline and size
(so max RSS is each one's own), and the two children take turns, ten queries at a time, so
machine noise falls on both alike.
Timed figures are medians over --repeats with the spread (min-max); ratios are Kotae/baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baseline import BaselineRAG, chat_model  # noqa: E402
from ingest_and_query import QUERIES, generate, percentile  # noqa: E402
from stackfaq_retrieval import DEFAULT_DATA as STACKFAQ  # noqa: E402

from eval.cases import EvalCase, load_cases  # noqa: E402
from eval.public import load_stackfaq, spread  # noqa: E402
from eval.retrieval_metrics import average_precision, recall_at  # noqa: E402
from eval.runner import DEFAULT_CACHE, close_store, load_corpus, throwaway_store  # noqa: E402
from retrieval.embeddings import Embedder  # noqa: E402
from retrieval.indexer import Indexer  # noqa: E402
from retrieval.loaders import load_knowledge_base  # noqa: E402
from retrieval.search import HybridRetriever  # noqa: E402
from retrieval.store import KnowledgeStore, StoreConfig  # noqa: E402
from retrieval.textproc import Analyzer  # noqa: E402
from retrieval.tokens import count_tokens  # noqa: E402
from settings import load_settings  # noqa: E402

DEMO = ROOT / "data" / "demo"
PRICE_IN = 0.15  # USD per 1M input tokens (gpt-4o-mini), unless --price-in says otherwise
PRICE_OUT = 0.60  # USD per 1M output tokens, unless --price-out says otherwise
SECTIONS = ("ingest", "latency", "stackfaq", "demo")


@dataclass
class Row:
    """One line of the table: a figure for each pipeline over the repeats."""

    name: str
    unit: str
    kotae: list[float]
    baseline: list[float]
    better: str = "higher"  # or "lower"; only for the reader
    target: str = ""
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def _fmt(values: Sequence[float]) -> str:
        med = statistics.median(values)
        digits = 0 if abs(med) >= 100 else 1 if abs(med) >= 10 else 2 if abs(med) >= 1 else 3
        if len(values) == 1 or min(values) == max(values):
            return f"{med:.{digits}f}"
        return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"

    def cells(self) -> list[str]:
        """Return name, Kotae, baseline, ratio, target."""
        k, b = statistics.median(self.kotae), statistics.median(self.baseline)
        return [f"{self.name} [{self.unit}]", self._fmt(self.kotae), self._fmt(self.baseline),
                _ratio(k, b), self.target]


def _ratio(kotae: float, baseline: float) -> str:
    """Kotae / baseline; a small one also as 1/N (a re-ingest's 0.0009x would print 0.00x)."""
    if not baseline:
        return "—"
    ratio = kotae / baseline
    if ratio >= 0.05 or not kotae:
        return f"{ratio:.2f}×"
    return f"{ratio:.2g}× (1/{baseline / kotae:,.0f})"


def rss_mib(field_name: str = "VmHWM") -> float:
    """Return this process's peak (VmHWM) or current (VmRSS) resident memory, in MiB.

    /proc is read rather than ru_maxrss, which Linux carries over from the parent across
    fork and exec, so a child would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_embedder() -> Embedder:
    """Build the embedder the settings describe (KOTAE_EMBEDDER), warmed up."""
    embedder = load_settings().embedder_factory()()
    embedder.embed_documents(["warm up the model", "and its batching path " * 20])
    return embedder


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Return (seconds, fn(*args))."""
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


# ----------------------------------------------------------------------------- ingest


def bench_ingest(embedder: Embedder, repeats: int, articles: int | None = None) -> list[Row]:
    """First ingest and unchanged re-ingest of the demo KB (or of `articles` of its articles,
    spread over it), each on a fresh store."""
    docs = spread(load_knowledge_base(DEMO / "kb").documents, articles)
    k_cps, k_tps, k_re, b_cps, b_tps, b_re = [], [], [], [], [], []
    k_s, b_s = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            store = KnowledgeStore.open(StoreConfig(Path(tmp) / "kotae"))
            indexer = Indexer(store, embedder)
            first, report = timed(indexer.sync, "kb", docs)
            again, second = timed(indexer.sync, "kb", docs)
            assert second.added == second.updated == 0, second
            k_s.append(first)
            k_cps.append(report.chunks / first)
            k_tps.append(report.tokens / first)
            k_re.append(again * 1000)
            close_store(store)
            base = BaselineRAG(embedder, Path(tmp) / "baseline")
            first, result = timed(base.ingest, docs)
            again, _ = timed(base.ingest, docs)
            b_s.append(first)
            b_cps.append(result.chunks / first)
            b_tps.append(result.tokens / first)
            b_re.append(again * 1000)
    note = (f"demo KB: {len(docs)} articles; Kotae {report.chunks} chunks/{report.tokens} tokens "
            f"({report.embedded} chunks embedded: the model's languages), "
            f"baseline {result.chunks} chunks/{result.tokens} tokens")
    return [
        Row("first ingest, demo KB", "chunks/s", k_cps, b_cps, target="≥ 2×", notes=[note]),
        Row("first ingest, demo KB", "tokens/s", k_tps, b_tps, target="≥ 2×"),
        Row("first ingest, demo KB (the same articles)", "s", k_s, b_s, "lower",
            target="≤ 0.5×"),
        Row("re-ingest unchanged KB", "ms", k_re, b_re, "lower", target="≤ 0.05× (20× faster)"),
    ]


# ----------------------------------------------------------------------- latency/memory


def latency_worker(pipeline: str, size: int, length: tuple[int, int]) -> None:
    """In a child process: ingest a generated corpus, then time query batches on request.

    Speaks JSON lines: one {"chunks"} line when ready; then for each "run R FIRST COUNT" line
    on stdin the times of queries FIRST.. of repeat R; on "done", the memory figures, and it
    exits.
    """
    embedder = make_embedder()
    demo = load_knowledge_base(DEMO / "kb").documents
    corpus = generate(size, demo, length=length)
    before = rss_mib("VmRSS")

    def say(payload: dict[str, Any]) -> None:
        print(json.dumps(payload), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        search: Callable[[str], object]
        started = time.perf_counter()
        if pipeline == "kotae":
            store = KnowledgeStore.open(StoreConfig(Path(tmp)))
            chunks = Indexer(store, embedder).sync("kb", corpus).chunks
            retriever = HybridRetriever(store, embedder)

            def search(q: str) -> object:
                return retriever.search(q, k=5, group_by_document=True)
        else:
            base = BaselineRAG(embedder, Path(tmp))
            chunks = base.ingest(corpus).chunks
            search = base.retrieve
        ingested = time.perf_counter()
        search("warm up")  # Kotae builds its BM25 matrix on the first query
        if pipeline == "kotae":
            # Above the exact copy's limit, the HNSW copy is built in the background while
            # Chroma answers; the timed queries start once it is there (its build time is
            # reported with the ingest's).
            store.ann_vectors("kb", wait=True)
        say({"chunks": chunks, "ingest_s": ingested - started,
             "ready_s": time.perf_counter() - ingested})
        for line in sys.stdin:
            command = line.split()
            if command[:1] != ["run"]:
                break
            batch, first, count = (int(x) for x in command[1:4])
            times = []
            for i in range(first, first + count):
                # The same texts in both pipelines; distinct, so the embedder's query cache
                # never answers.
                suffix = random.Random(f"{batch}-{i}").randint(1, 9999)
                q = f"{QUERIES[i % len(QUERIES)]} {batch}-{i}-{suffix}"
                t0 = time.perf_counter()
                search(q)
                times.append((time.perf_counter() - t0) * 1000)
            say({"times": times})
    say({"rss_before": before, "peak_rss": rss_mib()})


SLICE = 10  # queries per pipeline turn when the two alternate


class _Worker:
    """A latency worker child process and its JSON-lines conversation."""

    def __init__(self, pipeline: str, size: int, length: tuple[int, int]) -> None:
        self.pipeline = pipeline
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by close()
        cmd = [sys.executable, __file__, "--worker", pipeline, "--size", str(size),
               "--sentences", f"{length[0]}-{length[1]}"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)

    def ask(self, command: str | None = None) -> dict[str, Any]:
        """Send a command (if any) and return the worker's next JSON line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.log.seek(0)
            tail = self.log.read()[-3000:]
            raise SystemExit(f"{self.pipeline} latency worker exited "
                             f"({self.proc.returncode}):\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> dict[str, Any]:
        """Ask for the memory figures and wait for the worker to exit."""
        answer = self.ask("done")
        self.proc.wait(timeout=120)
        self.log.close()
        return answer


def bench_latency(sizes: Sequence[int], queries: int, repeats: int,
                  length: tuple[int, int]) -> tuple[list[Row], dict[int, dict[str, Any]]]:
    """Time both pipelines per size, their query batches interleaved.

    Each pipeline runs in its own child process (so peak RSS is its own); both ingest first,
    then the same queries run in slices of SLICE, each slice on one pipeline and then at once
    on the other (the order alternating), so that a noisy neighbour on the machine slows both
    alike rather than whichever happened to run then. p50/p99 are per repeat of `queries`.
    """
    rows: list[Row] = []
    raw: dict[int, dict[str, Any]] = {}
    for size in sizes:
        workers = {p: _Worker(p, size, length) for p in ("kotae", "baseline")}
        out: dict[str, Any] = {p: {**w.ask(), "runs": []} for p, w in workers.items()}
        for r in range(repeats):
            times: dict[str, list[float]] = {p: [] for p in workers}
            for n, first in enumerate(range(0, queries, SLICE)):
                count = min(SLICE, queries - first)
                for p in (("kotae", "baseline") if (r + n) % 2 == 0 else ("baseline", "kotae")):
                    times[p] += workers[p].ask(f"run {r} {first} {count}")["times"]
            for p, values in times.items():
                out[p]["runs"].append({"p50": statistics.median(values),
                                       "p99": percentile(values, 99)})
        for p, w in workers.items():
            out[p].update(w.close())
            print(f"  {p} @ {size}: {out[p]}", file=sys.stderr)
        raw[size] = out
        k, b = out["kotae"], out["baseline"]
        note = (f"{size} generated articles of {length[0]}-{length[1]} sentences: "
                f"Kotae {k['chunks']} chunks, baseline {b['chunks']}")
        rows += [
            Row(f"query p50 @ {size:,}", "ms", [r["p50"] for r in k["runs"]],
                [r["p50"] for r in b["runs"]], "lower", "≤ 1×", [note]),
            Row(f"query p99 @ {size:,}", "ms", [r["p99"] for r in k["runs"]],
                [r["p99"] for r in b["runs"]], "lower"),
            Row(f"ingest @ {size:,}", "s", [k["ingest_s"]], [b["ingest_s"]], "lower"),
            Row(f"first query after the ingest @ {size:,}",
                "s; Kotae's includes building its BM25 and vector copies",
                [k["ready_s"]], [b["ready_s"]], "lower"),
            Row(f"peak RSS @ {size:,}", "MiB", [k["peak_rss"]], [b["peak_rss"]], "lower"),
            Row(f"RSS growth (ingest+queries) @ {size:,}", "MiB",
                [k["peak_rss"] - k["rss_before"]], [b["peak_rss"] - b["rss_before"]], "lower"),
        ]
    return rows, raw


def write_svg(raw: dict[int, dict[str, Any]], path: Path) -> None:
    """Plot median p50 and p99 against corpus size (log x), hand-written SVG."""
    import math

    sizes = sorted(raw)
    series: dict[tuple[str, str], list[float]] = {
        (p, q): [float(statistics.median(r[q] for r in raw[s][p]["runs"])) for s in sizes]
              for p in ("kotae", "baseline") for q in ("p50", "p99")}
    w, h, left, right, top, bottom = 640, 400, 70, 170, 30, 50
    ymax = max(max(v) for v in series.values()) * 1.1
    lo, hi = math.log10(sizes[0]), math.log10(sizes[-1])

    def x(s: int) -> float:
        return left + (0.5 if hi == lo else (math.log10(s) - lo) / (hi - lo)) * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - v / ymax) * (h - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2 - 60}" y="18" font-size="14">Query latency vs corpus size</text>',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" '
             'stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
             f'<text x="{(w - right + left) / 2 - 60}" y="{h - 12}">corpus size (generated articles ≈ chunks, log)'
             '</text>',
             f'<text x="14" y="{top + 120}" transform="rotate(-90 14 {top + 120})">latency (ms)'
             '</text>']
    for s in sizes:
        parts.append(f'<text x="{x(s) - 16}" y="{h - bottom + 16}">{s:,}</text>')
    for i in range(6):
        v = ymax * i / 5
        parts.append(f'<text x="{left - 40}" y="{y(v) + 4}">{v:.1f}</text>')
        parts.append(f'<line x1="{left}" y1="{y(v)}" x2="{w - right}" y2="{y(v)}" '
                     'stroke="#ddd"/>')
    colours = {"kotae": "#1f77b4", "baseline": "#d62728"}
    for n, ((p, q), values) in enumerate(series.items()):
        dash = ' stroke-dasharray="5,4"' if q == "p99" else ""
        points = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in zip(sizes, values, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colours[p]}" '
                     f'stroke-width="2"{dash}/>')
        for s, v in zip(sizes, values, strict=True):
            parts.append(f'<circle cx="{x(s):.1f}" cy="{y(v):.1f}" r="3" fill="{colours[p]}"/>')
        ly = top + 20 + 20 * n
        parts.append(f'<line x1="{w - right + 15}" y1="{ly}" x2="{w - right + 45}" y2="{ly}" '
                     f'stroke="{colours[p]}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{w - right + 50}" y="{ly + 4}">{p} {q}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- quality


def bench_stackfaq(embedder: Embedder, data: Path = STACKFAQ, depth: int = 20) -> Row:
    """StackFAQ MAP: each thread a document, each paraphrase a query, ranked to `depth` docs."""
    documents, queries = load_stackfaq(data)
    with tempfile.TemporaryDirectory() as tmp:
        store = KnowledgeStore.open(StoreConfig(Path(tmp) / "kotae"))
        Indexer(store, embedder).sync("kb", documents)
        retriever = HybridRetriever(store, embedder)
        k_ap = [average_precision([h.doc_id for h in retriever.search(
            q.text, k=depth, group_by_document=True)], q.relevant) for q in queries]
        close_store(store)
        base = BaselineRAG(embedder, Path(tmp) / "baseline")
        base.ingest(documents)
        # Generous to the baseline: over-fetch chunks so it, too, ranks `depth` documents.
        b_ap = [average_precision(base.retrieve_doc_ids(q.text, k=3 * depth)[:depth],
                                  q.relevant) for q in queries]
    return Row("StackFAQ MAP", f"{len(queries)} queries, depth {depth}",
               [sum(k_ap) / len(k_ap)], [sum(b_ap) / len(b_ap)], target="> 1×")


@dataclass
class DemoWorld:
    """The demo eval's store (KB + tickets) and agents, and the baseline over the KB."""

    store: KnowledgeStore
    cases: list[EvalCase]
    base: BaselineRAG
    offline: Any
    embedder: Embedder


def bench_recall(world: DemoWorld, n_cases: int | None = None) -> list[Row]:
    """Demo-eval recall@5 over the cases that name relevant KB articles (of `n_cases` cases
    spread over the set, or all)."""
    cases = [c for c in spread(world.cases, n_cases) if c.relevant_ids]
    retriever = HybridRetriever(world.store, world.embedder)
    k_r, a_r, b_r, b5 = [], [], [], []
    for case in cases:
        hits = retriever.search(case.text, source="kb", k=5, group_by_document=True)
        k_r.append(recall_at([h.doc_id for h in hits], case.relevant_ids, 5))
        # What the agent weighs for an inquiry: its own-language search, and for a Japanese
        # question no Japanese article answers, the English articles (retrieval.crosslingual).
        # A follow-up is searched as the agent searches it, with the question before it.
        query = world.offline.retrieval_query(case.to_inquiry())
        weighed = dict.fromkeys(g.hit.doc_id for g in world.offline.ground(query)
                                if g.kind == "kb")
        a_r.append(recall_at(list(weighed), case.relevant_ids, 5))
        assert world.base.vectorstore is not None
        ids = list(dict.fromkeys(str(d.metadata["doc_id"]) for d in world.base.retrieve(case.text)))
        b_r.append(recall_at(ids, case.relevant_ids, 5))
        b5.append(recall_at(world.base.retrieve_doc_ids(case.text, k=5), case.relevant_ids, 5))
    n = len(cases)
    return [Row("demo-eval recall@5", f"{n} cases; baseline k=4 chunks",
                [sum(k_r) / n], [sum(b_r) / n]),
            Row("demo-eval recall@5, the articles the agent weighs",
                f"{n} cases; with the English search for Japanese questions; baseline k=4",
                [sum(a_r) / n], [sum(b_r) / n]),
            Row("demo-eval recall@5", "baseline k=5 chunks (reference)",
                [sum(k_r) / n], [sum(b5) / n])]


def bench_actions(world: DemoWorld, n_cases: int | None = None) -> list[Row]:
    """Answer/escalate quality, offline Kotae vs always-answering baseline, on all demo cases
    (or `n_cases` spread over the set)."""
    cases = spread(world.cases, n_cases)
    wrong_k = missed_k = right_k = 0
    for case in cases:
        decision = world.offline.handle(case.to_inquiry())
        should = case.expected_escalation
        if decision.action == "answer" and should:
            wrong_k += 1
        elif decision.action == "escalate" and not should:
            missed_k += 1
        else:
            right_k += 1
    n = len(cases)
    should_escalate = sum(c.expected_escalation for c in cases)
    return [
        Row("answered but should escalate", f"of {n} cases ({should_escalate} escalate)",
            [wrong_k], [should_escalate], "lower"),
        Row("escalated but should answer", f"of {n - should_escalate} answerable",
            [missed_k], [0], "lower"),
        Row("answer/escalate accuracy", "fraction", [right_k / n], [(n - should_escalate) / n]),
    ]


#: A source block of Kotae's LLM-mode prompt (agent/llm_mode.py renders them).
_SOURCE_BLOCK = re.compile(r'<source id="[^"]*">\n(.*?)\n</source>', re.DOTALL)


def reference_coverage(context: str, reference: str, analyzer: Analyzer) -> float:
    """Return the share of the reference answer's distinct search terms (stemmed English,
    Sudachi-normalised Japanese) that the context contains.

    No model is reachable here to show that a shorter prompt answers as well; this shows
    whether the facts the reference answer gives were in what the model was sent.
    """
    wanted = set(analyzer.terms(reference))
    return len(wanted & set(analyzer.terms(context))) / len(wanted) if wanted else 1.0


def bench_tokens(world: DemoWorld, n_cases: int, price_in: float = PRICE_IN,
                 price_out: float = PRICE_OUT) -> list[Row]:
    """Prompt tokens per answered inquiry and cost per 1,000 inquiries against the stub.

    Prices are USD per million input and output tokens.
    """
    from agent.factory import build_agent
    from agent.llm import OpenAIChatModel
    from tests.support.openai_stub import OpenAIStub, Reply, ReplyJSON

    cases = spread(world.cases, n_cases)
    analyzer = Analyzer()
    with OpenAIStub() as stub:
        settings = load_settings(store_dir=world.store.config.path, mode="llm",
                                 OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=stub.base_url)
        llm = OpenAIChatModel("gpt-4o-mini", api_key="sk-bench", base_url=stub.base_url,
                              max_retries=0)
        agent = build_agent(settings, store=world.store, embedder=world.embedder, llm=llm)
        k_prompt: list[int] = []
        k_out: list[int] = []
        k_answered: list[int] = []
        k_calls = 0
        k_cover: dict[str, float] = {}
        b_cover: dict[str, float] = {}
        for case in cases:
            inquiry = case.to_inquiry()
            offline = world.offline.handle(inquiry)
            # The stub plays a model that agrees with the offline decision and writes the
            # reference answer: a valid verdict citing the best source, block 1 of the prompt.
            cites = ["1"] if offline.retrieved else []
            answer = offline.action == "answer" and bool(cites)
            if inquiry.history and agent.retrieval_query(inquiry) != inquiry.text:
                # A follow-up is first rewritten into a standalone question (one more call);
                # the stub writes the question the offline pass searched with.
                stub.chat.enqueue(Reply(" ".join(agent.retrieval_query(inquiry).split())))
            stub.chat.enqueue(ReplyJSON({
                "tag": offline.tag, "action": "answer" if answer else "escalate",
                "reason": None if answer else (offline.escalation.reason.value
                                               if offline.escalation and offline.escalation
                                               .reason.value in ("low_confidence", "bug_report")
                                               else "low_confidence"),
                "answer": (case.reference_answer or offline.answer) if answer else "",
                "cited_ids": cites if answer else [], "confidence": 0.9}))
            seen = len(stub.chat.requests)
            decision = agent.handle(inquiry)
            k_prompt.append(sum(r.prompt_tokens for r in stub.chat.requests[seen:]))
            k_calls += len(stub.chat.requests) - seen
            if stub.chat.pending:  # a guard decided: the model was not called
                stub.chat.clear()
            k_out.append(decision.usage.completion_tokens if decision.usage else 0)
            k_answered.append(decision.action == "answer")
            triage = [r.messages for r in stub.chat.requests[seen:]
                      if r.messages and r.messages[0].get("role") == "system"]
            if decision.mode == "llm" and decision.action == "answer" and triage and (
                    case.reference_answer):
                # the triage call's user turn (a retry appends the error after it)
                sent = str(triage[0][1]["content"])
                blocks = _SOURCE_BLOCK.findall(sent)
                assert blocks, f"an answer was sent no <source> blocks (format changed?):\n{sent}"
                k_cover[case.id] = reference_coverage("\n".join(blocks), case.reference_answer,
                                                      analyzer)
        chain = world.base.chain(chat_model(stub.base_url))
        b_prompt: list[int] = []
        b_out: list[int] = []
        for case in cases:
            text = case.reference_answer or "I don't know."
            stub.chat.enqueue(Reply(text))
            seen = len(stub.chat.requests)
            chain.invoke(case.text)
            b_prompt.append(sum(r.prompt_tokens for r in stub.chat.requests[seen:]))
            b_out.append(count_tokens(text))
            if case.id in k_cover and case.reference_answer:
                sent = str(stub.chat.requests[-1].messages[-1]["content"])
                context = re.search(r"\nContext: (.*) \nAnswer:$", sent, re.DOTALL)
                assert context, f"the baseline's prompt no longer has its context markers:\n{sent}"
                b_cover[case.id] = reference_coverage(context.group(1), case.reference_answer,
                                                      analyzer)
    n = len(cases)
    answered = sum(k_answered)
    k_per_answer = sum(p for p, a in zip(k_prompt, k_answered, strict=True) if a) / max(1, answered)
    b_per_answer = sum(b_prompt) / n  # it answers every inquiry

    def cost(prompt: list[int], out: list[int]) -> float:
        return 1000.0 * (sum(prompt) * price_in + sum(out) * price_out) / 1e6 / n

    calls = sum(p > 0 for p in k_prompt)
    notes = [f"LLM mode, {n} demo cases: Kotae sent {k_calls} requests for {calls} inquiries "
             f"(the other {n - calls} were decided by guards), answered {answered}; the baseline "
             f"sent {n} and answered all"]
    return [
        Row("prompt tokens per answered inquiry (sent for it)", f"{n} cases; Kotae answered "
            f"{answered}, called the model on {calls}", [k_per_answer], [b_per_answer], "lower",
            "≤ 0.6×", notes),
        Row("reference-answer terms in the sources sent", f"{len(k_cover)} answered cases with a "
            "reference; lexical proxy for an answerable prompt",
            [statistics.mean(k_cover.values()) if k_cover else 0.0],
            [statistics.mean(b_cover.values()) if b_cover else 0.0]),
        Row("all prompt tokens per answer given", "including Kotae's calls for inquiries it "
            "then escalated", [sum(k_prompt) / max(1, answered)], [sum(b_prompt) / n], "lower"),
        Row("prompt tokens per inquiry (all)", f"{n} cases", [sum(k_prompt) / n],
            [sum(b_prompt) / n], "lower"),
        Row("cost per 1,000 inquiries", f"USD, ${price_in:.2f}/1M in + ${price_out:.2f}/1M out",
            [cost(k_prompt, k_out)], [cost(b_prompt, b_out)], "lower"),
    ]


def demo_world(embedder: Embedder, tmp: Path, stack: contextlib.ExitStack) -> DemoWorld:
    """Index the demo data for both pipelines and build Kotae's offline agent. Kotae's index
    is the one `python -m eval demo` builds, from the same cache (var/cache/eval): built once
    per change of the data, the model or the indexing code; the same either way."""
    from agent.factory import build_agent

    corpus = load_corpus(DEMO / "kb", DEMO / "tickets.jsonl", DEMO / "taxonomy.yaml")
    store, _info = stack.enter_context(throwaway_store(
        corpus, embedder, cache=ROOT / DEFAULT_CACHE / "index", progress=False))
    offline = build_agent(load_settings(store_dir=store.config.path, mode="offline"),
                          store=store, embedder=embedder)
    base = BaselineRAG(embedder, tmp / "baseline")
    base.ingest(corpus.documents)
    cases = list(load_cases(DEMO / "eval" / "cases.jsonl").cases)
    return DemoWorld(store, cases, base, offline, embedder)


# ------------------------------------------------------------------------------- main


def table(rows: Sequence[Row]) -> str:
    """Render the rows as a Markdown table."""
    head = ["figure [unit]", "Kotae", "baseline", "Kotae/baseline", "target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    notes = [n for r in rows for n in r.notes]
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def _checked(parser: argparse.ArgumentParser,
             args: argparse.Namespace) -> tuple[set[str], list[int]]:
    """Refuse bad options before the model loads; return the sections to skip and the sizes."""
    skip = set(filter(None, args.skip.split(",")))
    if skip - set(SECTIONS):
        parser.error(f"--skip: unknown section(s) {', '.join(sorted(skip - set(SECTIONS)))}; "
                     f"the sections are {', '.join(SECTIONS)}")
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        parser.error(f"--sizes takes positive whole numbers of articles, e.g. 1000,10000 "
                     f"(got {args.sizes!r})")
    twice = sorted({s for s in sizes if sizes.count(s) > 1})
    if twice:
        parser.error(f"--sizes lists {', '.join(map(str, twice))} twice: each size is one row "
                     "and one point of the plot")
    for name in ("repeats", "queries", "llm_cases", "ingest_articles", "demo_cases"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not all(math.isfinite(p) and p >= 0 for p in (args.price_in, args.price_out)):
        parser.error("--price-in and --price-out are USD per 1M tokens: numbers, not negative")
    # Last: the data lives beside the checkout, so a clone may lack it.
    if "stackfaq" not in skip and not args.stackfaq_data.is_file():
        parser.error(f"no StackFAQ data at {args.stackfaq_data}: pass --stackfaq-data with the "
                     "path of stackExchange-FAQ.json, or --skip stackfaq")
    return skip, sizes


def main() -> int:
    """Run every section and print the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=100, help="queries per repeat")
    parser.add_argument("--llm-cases", type=int, default=40)
    parser.add_argument("--ingest-articles", type=int, default=None,
                        help="demo articles the ingest section indexes, spread over the KB "
                             "(default: all); for a quick check, not for the published figures")
    parser.add_argument("--demo-cases", type=int, default=None,
                        help="demo eval cases the recall and answer/escalate rows score, spread "
                             "over the set (default: all); for a quick check")
    parser.add_argument("--svg", type=Path, default=ROOT / "reports" / "latency_vs_size.svg",
                        help="where to draw latency against corpus size (default: %(default)s, "
                             "not committed; docs/latency_vs_size.svg is the published plot)")
    parser.add_argument("--skip", default="", help="comma list of sections not to run: "
                        + ",".join(SECTIONS))
    parser.add_argument("--sentences", default="3-6",
                        help="sentences per generated article, MIN-MAX (latency corpora)")
    parser.add_argument("--stackfaq-data", type=Path, default=STACKFAQ,
                        help="StackFAQ's stackExchange-FAQ.json (default: %(default)s)")
    parser.add_argument("--price-in", type=float, default=PRICE_IN,
                        help="USD per 1M prompt tokens for the cost row (default: gpt-4o-mini's "
                             "%(default)s)")
    parser.add_argument("--price-out", type=float, default=PRICE_OUT,
                        help="USD per 1M output tokens (default %(default)s)")
    parser.add_argument("--worker", choices=("kotae", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    low, _, high = args.sentences.partition("-")
    if not (low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high)):
        parser.error(f"--sentences takes MIN-MAX, e.g. 3-6 (got {args.sentences!r})")
    length = (int(low), int(high))
    if args.worker:
        latency_worker(args.worker, args.size, length)
        return 0
    skip, sizes = _checked(parser, args)
    started = time.perf_counter()
    embedder = make_embedder()
    rows: list[Row] = []
    if "ingest" not in skip:
        rows += bench_ingest(embedder, args.repeats, args.ingest_articles)
        print(table(rows), file=sys.stderr)
    if "latency" not in skip:
        latency_rows, raw = bench_latency(sizes, args.queries, args.repeats, length)
        rows += latency_rows
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        write_svg(raw, args.svg)
        print(f"latency plot: {args.svg}", file=sys.stderr)
    if "stackfaq" not in skip:
        rows.append(bench_stackfaq(embedder, args.stackfaq_data))
    if "demo" not in skip:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
            world = demo_world(embedder, Path(tmp), stack)
            rows += bench_recall(world, args.demo_cases)
            rows += bench_actions(world, args.demo_cases)
            rows += bench_tokens(world, args.llm_cases, args.price_in, args.price_out)
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s; repeats={args.repeats}, "
          f"queries/repeat={args.queries}, sizes={args.sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
