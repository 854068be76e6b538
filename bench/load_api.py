"""Load the HTTP API on 127.0.0.1: offline throughput, and slow-model concurrency.

  python bench/load_api.py offline [--seconds 60] [--concurrency 16 | --rate 100]
  python bench/load_api.py slow-model [--inquiries 200] [--latency 2]

`offline` starts uvicorn over the demo store with SQLite and sends demo
inquiries for a fixed time, either from --concurrency clients that each wait for their answer
(closed loop: the most the server takes) or at a fixed --rate whatever the server does (open
loop: whether it sustains that rate, latency counted from when each request was due). It
prints inquiries/s, p50/p99 latency, errors and the CPU spent per inquiry by the server and by
the load generator, next to the same client hitting /healthz (the HTTP floor).
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
import uuid
from collections import Counter
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
           "KOTAE_RATE_LIMIT_IP_PER_S": "0", **env_extra}
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


class Connection:
    """One keep-alive HTTP/1.1 connection to the server under test.

    A load generator on the same two cores takes CPU from the server it measures; httpx
    spent ~4.5 ms of CPU per request here, a third of what the server spent on an inquiry.
    This client writes the request and reads the status, headers and body by
    Content-Length, and nothing more (~0.3 ms per request).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.fresh_failure = False  # the last exchange failed before any response byte

    async def request(self, method: str, path: str, body: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request and return (status, body); raise OSError on a broken connection.

        A kept-alive connection the server has meanwhile closed (uvicorn drops idle ones
        after 5 s) fails before any response byte; that request is sent once more on a
        fresh connection, as HTTP clients do.
        """
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, body, headers)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
            if not reused or not self.fresh_failure:
                raise
            self.close()
            return await self._exchange(method, path, body, headers)

    async def _exchange(self, method: str, path: str, body: bytes | None,
                        headers: dict[str, str] | None) -> tuple[int, bytes]:
        self.fresh_failure = True  # until a response byte arrives
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        self.fresh_failure = False
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise OSError("chunked responses are not read by this client")
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _target(base: str) -> tuple[str, int]:
    host, _, port = base.removeprefix("http://").partition(":")
    return host, int(port)


FAILURES: Counter[str] = Counter()  # what went wrong, by status code or exception
TIMEOUT_S = 30.0  # a request unanswered for this long counts as failed


async def _send(connection: Connection, path: str, text: str | None) -> bool:
    """Send one request; return whether it succeeded (2xx), noting why when it did not."""
    try:
        if text is None:
            request = connection.request("GET", path)
        else:
            body = json.dumps({"text": text}).encode()
            # As the widget does: the one resend on a stale kept-alive connection (above)
            # then returns the first inquiry instead of creating a second.
            request = connection.request("POST", path, body, {
                "Authorization": f"Bearer {WIDGET}", "Idempotency-Key": uuid.uuid4().hex})
        status, payload = await asyncio.wait_for(request, TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError) as exc:
        connection.close()
        FAILURES[exc.__class__.__name__] += 1
        return False
    if status >= 400:
        FAILURES[f"{status} {payload[:200].decode(errors='replace')}"] += 1
    return status < 400


def _text(bodies: list[str] | None, i: int) -> str | None:
    # A reference number makes every text distinct, so no cache (the query embedding's)
    # answers a repeated demo question.
    return None if bodies is None else f"{bodies[i % len(bodies)]} (ref {i})"


async def hammer(base: str | list[str], path: str, seconds: float, concurrency: int,
                 bodies: list[str] | None) -> tuple[list[float], int, float]:
    """Closed loop: `concurrency` clients each send, wait, send again, for `seconds`.
    Given several base URLs (several hosts), client n keeps one connection to host n mod hosts.

    Returns the latencies of the requests that succeeded, the failures, and the seconds
    until the last answer. This finds the most the server can take; its latencies are
    `concurrency` / throughput by construction (Little's law).
    """
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    stop = started + seconds
    targets = [_target(b) for b in ([base] if isinstance(base, str) else base)]

    async def worker(n: int) -> None:
        nonlocal errors
        connection = Connection(*targets[n % len(targets)])
        i = n
        while time.perf_counter() < stop:
            sent = time.perf_counter()
            if await _send(connection, path, _text(bodies, i)):
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                errors += 1
            i += concurrency
        connection.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


async def paced(base: str, path: str, seconds: float, rate: float, bodies: list[str] | None,
                max_open: int = 512) -> tuple[list[float], int, float]:
    """Open loop: start a request every 1/`rate` s for `seconds`, whatever the server does.

    Each latency counts from the moment the request was due, so a server that falls
    behind is charged for the queue it builds (no coordinated omission). Idle connections
    are reused; a new one is opened when none is free. Returns the latencies of the
    requests that succeeded, the failures (refused, dropped at `max_open` in flight, or
    unanswered), and the seconds until the last answer.
    """
    host, port = _target(base)
    idle: list[Connection] = []
    latencies: list[float] = []
    errors = 0
    in_flight: set[asyncio.Task[None]] = set()

    async def one(i: int, due: float) -> None:
        nonlocal errors
        connection = idle.pop() if idle else Connection(host, port)
        if await _send(connection, path, _text(bodies, i)):
            latencies.append((time.perf_counter() - due) * 1000)
        else:
            errors += 1
        idle.append(connection)

    started = time.perf_counter()
    for i in range(int(seconds * rate)):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= max_open:  # bounded: count it as a failure rather than pile on
            errors += 1
            FAILURES[f"not sent: {max_open} already in flight"] += 1
            continue
        task = asyncio.ensure_future(one(i, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:  # each request gives up after TIMEOUT_S, so this wait is bounded
        await asyncio.wait(in_flight)
    wall = time.perf_counter() - started
    for connection in idle:
        connection.close()
    return latencies, errors, wall


def cpu_seconds(pid: int) -> dict[int, float]:
    """Return the CPU time (user + system) so far of a process and of each of its children."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    times: dict[int, float] = {}
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            times[one] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return times


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
        if args.agent_concurrency:
            env["KOTAE_AGENT_CONCURRENCY"] = str(args.agent_concurrency)
        chroma = contextlib.ExitStack()
        if args.workers > 1:
            chroma_port = chroma.enter_context(chroma_server(store / "chroma"))
            env.update(KOTAE_CHROMA_HOST="127.0.0.1", KOTAE_CHROMA_PORT=str(chroma_port))
        proc, base = start_server(store, Path(tmp) / "kotae.sqlite3", env, args.workers)
        try:
            time.sleep(5 if args.workers > 1 else 0)  # /readyz answers once one worker is up
            floor, _, _ = asyncio.run(hammer(base, "/healthz", 5, args.concurrency, None))
            if args.warmup:
                # A worker's first inquiry costs ~200 ms (statement compilation, first
                # validations, pools filling); at 100/s that backlog alone would be the p99.
                asyncio.run(hammer(base, "/v1/inquiries", args.warmup, 4,
                                   [f"warm-up {text}" for text in texts()]))
            FAILURES.clear()  # only the measured inquiries' failures are reported
            before, client_cpu = cpu_seconds(proc.pid), time.process_time()
            if args.rate:
                lat, errors, wall = asyncio.run(paced(base, "/v1/inquiries", args.seconds,
                                                      args.rate, texts()))
            else:
                lat, errors, wall = asyncio.run(hammer(base, "/v1/inquiries", args.seconds,
                                                       args.concurrency, texts()))
            after = cpu_seconds(proc.pid)
            spent = {pid: cpu - before.get(pid, 0.0) for pid, cpu in after.items()}
            server_cpu = sum(spent.values())
            client_cpu = time.process_time() - client_cpu
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            chroma.close()
    done = len(lat)
    if not lat:
        print(f"no inquiry was answered; failures: {dict(FAILURES)}")
        return 1
    rate = done / wall  # inquiries answered without an error, over the time to the last answer
    print(f"/healthz floor: {len(floor) / 5:.0f} req/s, p50 {statistics.median(floor):.1f} ms")
    how = (f"offered {args.rate:g}/s for {args.seconds:.0f} s (open loop), last answer after "
           f"{wall:.1f} s" if args.rate else f"concurrency {args.concurrency} (closed loop)")
    how += f", after a {args.warmup:g} s warm-up (not counted)" if args.warmup else ""
    print(f"inquiries: {done} completed = {rate:.1f}/s, p50 {statistics.median(lat):.0f} ms, "
          f"p99 {pct(lat, 99):.0f} ms, errors {errors}; {how}, {args.workers} uvicorn "
          f"worker(s)")
    for failure, times in FAILURES.most_common(5):
        print(f"  failed {times}x: {failure}")
    if args.workers > 1:  # keep-alive connections stay with the worker that accepted them
        print("CPU seconds by process (uvicorn's supervisor first): "
              + ", ".join(f"{cpu:.1f}" for cpu in spent.values()))
    print(f"CPU per completed inquiry: server {server_cpu / max(done, 1) * 1000:.1f} ms, "
          f"load generator {client_cpu / max(done, 1) * 1000:.1f} ms")
    # Open loop: sustained means every offered inquiry answered (the last one lands just after
    # the window closes, so done / wall sits a hair under the offered rate).
    sustained = (args.rate >= 100 and done == int(args.seconds * args.rate) if args.rate
                 else rate >= 100)
    met = sustained and pct(lat, 99) <= 250 and not errors
    print(f"target >= 100/s with p99 <= 250 ms: {'met' if met else 'NOT met'}")
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
            "KOTAE_OPENAI_TIMEOUT_S": "30", "KOTAE_AGENT_CONCURRENCY": str(args.inquiries)})
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
    one.add_argument("--rate", type=float, default=None,
                     help="offer this many inquiries per second whatever the server does "
                          "(open loop) instead of --concurrency clients in a closed loop")
    one.add_argument("--warmup", type=float, default=5,
                     help="seconds of inquiries from 4 clients before measuring (not counted)")
    one.add_argument("--agent-concurrency", type=int, default=None,
                     help="KOTAE_AGENT_CONCURRENCY for the server (default: its own default)")
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
