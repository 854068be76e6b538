"""One API host against two sharing one index, at the same total CPU, in the same run.

  python bench/two_hosts.py [--seconds 15] [--rounds 3] [--concurrency 16] [--warmup 5]

Both set-ups run the real offline agent over the demo store moved into the shared catalog
(`python -m retrieval.db_catalog migrate --store DIR --chroma-url ...`): one PostgreSQL and one
`chroma run` server on 127.0.0.1, KOTAE_CATALOG=database.
- one host: one uvicorn with 2 worker processes;
- two hosts: two uvicorn processes with 1 worker each and folders of their own; the load
  generator spreads its keep-alive connections over both, as a reverse proxy would.
The closed-loop load generator (bench/load_api.py's) runs on this machine too. Printed per
set-up: inquiries/s, p50/p99, errors, CPU per inquiry of the API processes, of PostgreSQL and
of Chroma, and the database's commits and written rows per inquiry (pg_stat_database).
On a 2-core machine two hosts cannot beat one (same cores); the point is that nothing breaks
and the per-inquiry cost stays flat. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from load_api import (  # noqa: E402
    FAILURES,
    KEYS,
    build_store,
    cpu_seconds,
    hammer,
    texts,
)

from tests.support.net import chroma_server, free_port  # noqa: E402
from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402


def start_host(folder: Path, env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start one API host (uvicorn with `workers` processes) and wait until it is ready."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
        cwd=ROOT, env={**os.environ, **env, "KOTAE_STORE_DIR": str(folder / "store")})
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("a host did not become ready in 300 s")


def stop_hosts(hosts: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    for proc, _ in hosts:
        proc.terminate()
    for proc, _ in hosts:
        proc.wait(timeout=30)


def database_counters(url: str) -> dict[str, int]:
    """Return the database's commits and rows written so far (pg_stat_database)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        row = db.execute("SELECT xact_commit, tup_inserted, tup_updated, tup_deleted "
                         "FROM pg_stat_database WHERE datname = current_database()").fetchone()
    assert row is not None
    return {"commits": int(row[0]), "rows": int(row[1]) + int(row[2]) + int(row[3])}


def process_running(words: list[str]) -> int:
    """Return the pid of the process whose command line holds all these words."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
                if all(any(word in arg for arg in argv) for word in words):
                    return int(entry.name)
    raise SystemExit(f"no process runs {' '.join(words)}")


def total_cpu(pid: int) -> float:
    return sum(cpu_seconds(pid).values())


def measure(name: str, hosts: list[tuple[subprocess.Popen[bytes], str]], args: argparse.Namespace,
            url: str, postgres_pid: int, chroma_pid: int) -> dict[str, float]:
    """Warm up, then load the hosts for args.seconds; return the figures."""
    bases = [base for _, base in hosts]
    if args.warmup:
        asyncio.run(hammer(bases, "/v1/inquiries", args.warmup, 4, [f"warm-up {t}" for t in texts()]))
    FAILURES.clear()
    time.sleep(1)  # the database's statistics are sent at most every 0.5 s
    counters = database_counters(url)
    api_before = sum(total_cpu(proc.pid) for proc, _ in hosts)
    pg_before, chroma_before = total_cpu(postgres_pid), total_cpu(chroma_pid)
    client_before = time.process_time()
    lat, errors, wall = asyncio.run(
        hammer(bases, "/v1/inquiries", args.seconds, args.concurrency, texts()))
    api = sum(total_cpu(proc.pid) for proc, _ in hosts) - api_before
    pg, chroma = total_cpu(postgres_pid) - pg_before, total_cpu(chroma_pid) - chroma_before
    client = time.process_time() - client_before
    time.sleep(1)
    after = database_counters(url)
    done = max(len(lat), 1)
    figures = {
        "rate": len(lat) / wall, "p50": statistics.median(lat) if lat else 0.0,
        "p99": pct(lat, 99) if lat else 0.0, "errors": errors, "done": len(lat),
        "api_ms": api / done * 1000, "pg_ms": pg / done * 1000, "chroma_ms": chroma / done * 1000,
        "client_ms": client / done * 1000,
        "commits": (after["commits"] - counters["commits"]) / done,
        "rows": (after["rows"] - counters["rows"]) / done,
    }
    print(f"{name}: {figures['done']} inquiries = {figures['rate']:.1f}/s, p50 "
          f"{figures['p50']:.0f} ms, p99 {figures['p99']:.0f} ms, errors {errors}; CPU per "
          f"inquiry: API {figures['api_ms']:.1f} ms, PostgreSQL {figures['pg_ms']:.1f} ms, "
          f"Chroma {figures['chroma_ms']:.1f} ms, load generator {figures['client_ms']:.1f} ms; "
          f"database per inquiry: {figures['commits']:.1f} commits, {figures['rows']:.1f} rows "
          "written", flush=True)
    for failure, times in FAILURES.most_common(5):
        print(f"  failed {times}x: {failure}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5,
                        help="seconds of load before each measured round (not counted)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measured rounds per set-up, taken in turns")
    parser.add_argument("--store", type=Path, default=None,
                        help="a demo store to reuse (re-synced, not rebuilt)")
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        store = build_store(work, args.store)
        postgres = PostgresServer.start(bin_dir)
        stack.callback(postgres.stop)
        url = postgres.create_database()
        chroma_port = stack.enter_context(chroma_server(work / "chroma"))
        chroma_pid = process_running(["chroma", "run", "--port", str(chroma_port)])
        postgres_pid = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
        started = time.perf_counter()
        migrated = subprocess.run(
            [sys.executable, "-m", "retrieval.db_catalog", "migrate", "--store", str(store),
             "--database-url", url, "--chroma-url", f"http://127.0.0.1:{chroma_port}"],
            cwd=ROOT, capture_output=True, text=True, check=True)
        print(f"{migrated.stdout.strip()} in {time.perf_counter() - started:.1f} s")
        env = {"DATABASE_URL": url, "KOTAE_CATALOG": "database", "KOTAE_MODE": "offline",
               "KOTAE_CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "KOTAE_API_KEYS": KEYS,
               "KOTAE_RATE_LIMIT_KEY_PER_S": "0", "KOTAE_RATE_LIMIT_IP_PER_S": "0"}
        print(f"closed loop, concurrency {args.concurrency}, {args.rounds} rounds of "
              f"{args.seconds:g} s per set-up in turns, each after a {args.warmup:g} s warm-up; "
              f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.1f}")
        layouts = {"one host, 2 workers": [2], "two hosts, 1 worker each": [1, 1]}
        # Both set-ups are started at once and loaded in turns, round after round: on a
        # machine other work shares, a drift in the CPU left over then hits both alike. An
        # idle set-up costs only its pollers.
        running = {name: [start_host(work / f"{name[:3]}-{i}", env, workers)
                          for i, workers in enumerate(layout)]
                   for name, layout in layouts.items()}
        for hosts in running.values():
            stack.callback(stop_hosts, hosts)
        time.sleep(3)  # every worker up, not only the first to answer /readyz
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in layouts}
        for turn in range(args.rounds):
            for name, hosts in running.items():
                rounds[name].append(measure(f"round {turn + 1}, {name}", hosts, args, url,
                                            postgres_pid, chroma_pid))
        summary = {}
        for name, figures in rounds.items():
            done = sum(f["done"] for f in figures)
            summary[name] = {key: sum(f[key] * f["done"] for f in figures) / max(done, 1)
                             for key in ("api_ms", "pg_ms", "commits", "rows")}
            summary[name]["rate"] = statistics.median(f["rate"] for f in figures)
            print(f"{name}, median of {len(figures)} rounds: {summary[name]['rate']:.1f}/s, "
                  f"p50 {statistics.median(f['p50'] for f in figures):.0f} ms, p99 "
                  f"{statistics.median(f['p99'] for f in figures):.0f} ms, errors "
                  f"{sum(f['errors'] for f in figures):.0f}; API CPU {summary[name]['api_ms']:.1f}"
                  f" ms, PostgreSQL CPU {summary[name]['pg_ms']:.1f} ms, "
                  f"{summary[name]['commits']:.1f} commits and {summary[name]['rows']:.1f} rows "
                  "written per inquiry")
        one, two = summary.values()
        print(f"two hosts / one host: throughput x{two['rate'] / max(one['rate'], 1e-9):.2f}, "
              f"API CPU per inquiry x{two['api_ms'] / max(one['api_ms'], 1e-9):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
