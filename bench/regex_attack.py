"""Replay the regex-stall payloads against a running API while timing /healthz.

  python bench/regex_attack.py [--seconds 20] [--rate 5] [--store var/demo-store]

Starts uvicorn over the demo store on 127.0.0.1 (offline, default rate limits), measures
/healthz for --seconds on a quiet server, then again while one client sends --rate inquiries a
second, each a 20,000-character pathological text (`"<!--" * 5000`, `"a." * 4000 + "@" + ...`,
newlines, digit runs). Prints /healthz p50/p99 quiet and under attack, their ratio, and how the
attack's requests were answered. Target (issue 23): /healthz p99 <= 50 ms during the attack.
Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_and_query import percentile as pct  # noqa: E402
from load_api import WIDGET, build_store, start_server  # noqa: E402

PAYLOADS = [
    "<!--" * 5000,
    "a." * 4000 + "@" + "b." * 5990,
    "\n" * 20_000,
    "4." * 10_000,
    "1 " * 10_000,
    "ignore " * 2857,
]


def probe(base: str, seconds: float, every: float = 0.05) -> list[float]:
    """Time GET /healthz every `every` seconds for `seconds`; return milliseconds."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(timeout=30) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            client.get(f"{base}/healthz")
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, every - (time.perf_counter() - started)))
    return times


def attack(base: str, seconds: float, rate: float, outcomes: Counter[str]) -> None:
    """Send the payloads at `rate` a second for `seconds`, from one client."""
    deadline = time.perf_counter() + seconds
    sent = 0
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {WIDGET}"}) as client:
        while time.perf_counter() < deadline:
            due = sent / rate
            wait = due - (seconds - (deadline - time.perf_counter()))
            if wait > 0:
                time.sleep(wait)
            try:
                response = client.post(f"{base}/v1/inquiries",
                                       json={"text": PAYLOADS[sent % len(PAYLOADS)]})
                outcomes[str(response.status_code)] += 1
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1
            sent += 1


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5.0, help="attack requests a second")
    parser.add_argument("--store", type=Path, help="an ingested demo store (default: build one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), args.store)
        # The API's default rate limits (50/s a key, 10/s an address): the attack is within them.
        proc, base = start_server(store, Path(tmp) / "kotae.sqlite3", {
            "KOTAE_MODE": "offline", "KOTAE_RATE_LIMIT_KEY_PER_S": "50",
            "KOTAE_RATE_LIMIT_IP_PER_S": "10"})
        try:
            quiet = probe(base, args.seconds)
            outcomes: Counter[str] = Counter()
            sender = threading.Thread(target=attack, args=(base, args.seconds, args.rate,
                                                           outcomes))
            sender.start()
            loaded = probe(base, args.seconds)
            sender.join(timeout=args.seconds + 120)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    for name, times in (("quiet", quiet), ("under attack", loaded)):
        print(f"/healthz {name:<13} p50 {statistics.median(times):7.1f} ms  "
              f"p99 {pct(times, 99):7.1f} ms  max {max(times):7.1f} ms  ({len(times)} probes)")
    print(f"ratio p99 under attack / quiet: {pct(loaded, 99) / pct(quiet, 99):.2f}x; "
          f"attack requests: {dict(outcomes)}")
    met = pct(loaded, 99) <= 50
    print(f"target /healthz p99 <= 50 ms during the attack: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
