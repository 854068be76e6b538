"""Load the HTTP API on 127.0.0.1: offline throughput, and slow-model concurrency.

  python bench/load_api.py offline [--seconds 60] [--concurrency 16]
  python bench/load_api.py slow-model [--inquiries 200] [--latency 2]

`offline` starts uvicorn over the demo store with SQLite and sends demo
inquiries from an async client for a fixed time; it prints inquiries/s, p50/p99 latency and
errors, next to the same client hitting /healthz (the HTTP floor measured in the same run).
`slow-model` points LLM mode at a stub OpenAI server that answers after --latency seconds and
fires --inquiries concurrent inquiries; every one must complete without an error.
With --workers N (N > 1) the store's vectors are served by `chroma run` on 127.0.0.1
(embedded Chroma is not safe to share between processes) and uvicorn runs N processes.
Targets (issue 5): offline >= 100/s with p99 <= 250 ms for 60 s; 200 concurrent all complete.
Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_and_query import percentile as pct  # noqa: E402

from eval.cases import load_cases  # noqa: E402
from tests.support.net import chroma_server, free_port  # noqa: E402

KEYS = "widget:pk_bench_widget_0123456789,admin:sk_bench_admin_0123456789"
WIDGET = "pk_bench_widget_0123456789"


def texts() -> list[str]:
    """Return the demo eval inquiries (a conversation's last customer turn)."""
    return [case.text for case in load_cases(ROOT / "data/demo/eval/cases.jsonl").cases]


def start_server(store: Path, db: Path, env_extra: dict[str, str],
                 workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn on a free loopback port and wait until it is ready."""
    port = free_port()
    env = {**os.environ, "KOTAE_STORE_DIR": str(store), "DATABASE_URL": f"sqlite:///{db}",
           "KOTAE_API_KEYS": KEYS, "KOTAE_RATE_LIMIT_KEY_PER_S": "0",
           "KOTAE_RATE_LIMIT_IP_PER_S": "0", "KOTAE_AGENT_CONCURRENCY": "256", **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level",
                             "warning", "--workers", str(workers)], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not become ready in 180 s")


async def hammer(base: str, path: str, seconds: float, concurrency: int,
                 bodies: list[str] | None) -> tuple[list[float], int]:
    """Send requests from `concurrency` workers for `seconds`; return latencies and errors."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {WIDGET}"}

    async def worker(n: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        i = n
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                if bodies is None:
                    response = await client.get(path)
                else:
                    # A reference number makes every text distinct, so no cache (the query
                    # embedding's) answers a repeated demo question.
                    text = f"{bodies[i % len(bodies)]} (ref {i})"
                    response = await client.post(path, json={"text": text}, headers=headers)
                if response.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            i += concurrency

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(n, client) for n in range(concurrency)))
    return latencies, errors


def build_store(tmp: Path, reuse: Path | None = None) -> Path:
    """Ingest the demo into a store (a no-op re-sync when ``reuse`` already holds it)."""
    store = reuse if reuse is not None else tmp / "store"
    subprocess.run([sys.executable, "ingest_kb.py", "--kb", "data/demo/kb", "--tickets",
                    "data/demo/tickets.jsonl", "--taxonomy", "data/demo/taxonomy.yaml",
                    "--store", str(store), "--no-progress"], cwd=ROOT, check=True)
    return store


def offline(args: argparse.Namespace) -> int:
    """Sustained offline throughput."""
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), args.store)
        env = {"KOTAE_MODE": "offline"}
        chroma = contextlib.ExitStack()
        if args.workers > 1:
            chroma_port = chroma.enter_context(chroma_server(store / "chroma"))
            env.update(KOTAE_CHROMA_HOST="127.0.0.1", KOTAE_CHROMA_PORT=str(chroma_port))
        proc, base = start_server(store, Path(tmp) / "kotae.sqlite3", env, args.workers)
        try:
            time.sleep(5 if args.workers > 1 else 0)  # /readyz answers once one worker is up
            floor, _ = asyncio.run(hammer(base, "/healthz", 5, args.concurrency, None))
            lat, errors = asyncio.run(hammer(base, "/v1/inquiries", args.seconds,
                                             args.concurrency, texts()))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            chroma.close()
    rate = (len(lat) - errors) / args.seconds  # completed inquiries only
    print(f"/healthz floor: {len(floor) / 5:.0f} req/s, p50 {statistics.median(floor):.1f} ms")
    print(f"inquiries: {len(lat) - errors} completed in {args.seconds:.0f} s = {rate:.1f}/s, p50 "
          f"{statistics.median(lat):.0f} ms, p99 {pct(lat, 99):.0f} ms, errors {errors}; "
          f"concurrency {args.concurrency}, {args.workers} uvicorn worker(s)")
    print(f"target >= 100/s with p99 <= 250 ms: "
          f"{'met' if rate >= 100 and pct(lat, 99) <= 250 and not errors else 'NOT met'}")
    return 0


def slow_model(args: argparse.Namespace) -> int:
    """Many concurrent inquiries against a model that answers slowly."""
    from tests.support.openai_stub import OpenAIStub

    # A valid verdict (escalate needs no citation), so every inquiry takes the full LLM path.
    verdict = json.dumps({"tag": "usage_question", "action": "escalate",
                          "reason": "low_confidence", "answer": "", "cited_ids": [],
                          "confidence": 0.4})
    with tempfile.TemporaryDirectory() as tmp, \
            OpenAIStub(latency=args.latency, default_text=verdict) as stub:
        store = build_store(Path(tmp), args.store)
        proc, base = start_server(store, Path(tmp) / "kotae.sqlite3", {
            "KOTAE_MODE": "llm", "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": stub.base_url,
            "KOTAE_OPENAI_TIMEOUT_S": "30"})
        try:
            bodies = texts()

            async def fire() -> list[tuple[int, float]]:
                headers = {"Authorization": f"Bearer {WIDGET}"}
                async with httpx.AsyncClient(base_url=base, timeout=120,
                                             limits=httpx.Limits(max_connections=None)) as client:
                    async def one(i: int) -> tuple[int, float]:
                        started = time.perf_counter()
                        try:
                            response = await client.post("/v1/inquiries", headers=headers,
                                                         json={"text": bodies[i % len(bodies)]})
                            return response.status_code, time.perf_counter() - started
                        except httpx.HTTPError:
                            return 0, time.perf_counter() - started
                    return await asyncio.gather(*(one(i) for i in range(args.inquiries)))

            started = time.perf_counter()
            results = asyncio.run(fire())
            wall = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ok = sum(1 for code, _ in results if code == 201)
    calls = len(stub.chat.requests)
    print(f"{args.inquiries} concurrent inquiries, model latency {args.latency} s: {ok} ok, "
          f"{args.inquiries - ok} errors, wall {wall:.1f} s, slowest "
          f"{max(t for _, t in results):.1f} s, median {statistics.median(t for _, t in results):.1f} s; "
          f"the stub model served {calls} chat requests")
    return 0 if ok == args.inquiries else 1


def main() -> int:
    """Parse arguments and run one scenario."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="scenario", required=True)
    one = sub.add_parser("offline")
    one.add_argument("--seconds", type=float, default=60)
    one.add_argument("--concurrency", type=int, default=16)
    one.add_argument("--workers", type=int, default=1,
                     help="uvicorn processes; above 1 the vectors go through a Chroma server")
    two = sub.add_parser("slow-model")
    two.add_argument("--inquiries", type=int, default=200)
    two.add_argument("--latency", type=float, default=2.0)
    for scenario in (one, two):
        scenario.add_argument("--store", type=Path, default=None,
                              help="demo store to (re)use, e.g. var/demo-store after `make "
                                   "ingest`; default: a fresh temporary one")
    args = parser.parse_args()
    return offline(args) if args.scenario == "offline" else slow_model(args)


if __name__ == "__main__":
    sys.exit(main())
