"""How fast a help desk's webhook is acknowledged, against the HTTP floor (/healthz).

  python bench/channel_ack.py [--requests 300]

Starts uvicorn on 127.0.0.1 (SQLite, the test harness's fake agent, a fake Chatwoot API that
records replies), POSTs signed Chatwoot `message_created` webhooks one after another and
prints the acknowledgement latency (p50, p95, max) next to the same client's GET /healthz.
Chatwoot gives an agent bot 5 s (lib/webhooks/trigger.rb) and opens the conversation for
people when a delivery fails, so the acknowledgement must not wait for the agent: it only
verifies the signature and writes the event to the outbox. The script also waits until every
webhook was answered through the fake API, and prints how long that took.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.test_api_harness import KEYS, uvicorn_process  # noqa: E402
from tests.support.chatwoot import (  # noqa: E402
    BOT_SECRET,
    BOT_TOKEN,
    fake_chatwoot,
    message_created,
    signed,
)
from tests.support.postgres import database_url  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Return the nearest-rank q-th percentile of values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fake_chatwoot() as fake:
        environment = {
            "DATABASE_URL": database_url("sqlite", Path(tmp)),
            "KOTAE_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
            "KOTAE_AGENT_FACTORY": "tests.integration.test_api_harness:agent_from_env",
            "KOTAE_CHATWOOT_URL": fake.url, "KOTAE_CHATWOOT_BOT_TOKEN": BOT_TOKEN,
            "KOTAE_CHATWOOT_WEBHOOK_SECRET": BOT_SECRET, "KOTAE_CHANNEL_POLL_S": "0.05",
        }
        with uvicorn_process(["api:create_app", "--factory"], environment) as (base, _p), \
                httpx.Client(base_url=base, timeout=10) as client:
            floor, ack = [], []
            started = time.perf_counter()
            for i in range(args.requests):
                t0 = time.perf_counter()
                client.get("/healthz").raise_for_status()
                floor.append(time.perf_counter() - t0)
                body, headers = signed(message_created(10_000 + i, "How do I invite my team?"))
                t0 = time.perf_counter()
                response = client.post("/v1/channels/chatwoot", content=body, headers=headers)
                ack.append(time.perf_counter() - t0)
                response.raise_for_status()
            deadline = time.monotonic() + 300
            while len(fake.calls) < args.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            answered_s = time.perf_counter() - started
    ms = 1000.0
    print(f"requests: {args.requests}")
    print(f"/healthz (floor):       p50 {percentile(floor, 50) * ms:6.1f} ms  "
          f"p95 {percentile(floor, 95) * ms:6.1f} ms  max {max(floor) * ms:6.1f} ms")
    print(f"chatwoot webhook ack:   p50 {percentile(ack, 50) * ms:6.1f} ms  "
          f"p95 {percentile(ack, 95) * ms:6.1f} ms  max {max(ack) * ms:6.1f} ms  "
          f"(Chatwoot's limit: 5000 ms; ratio to floor p50 "
          f"{statistics.median(ack) / statistics.median(floor):.1f}x)")
    print(f"answered through the fake Chatwoot API: {len(fake.calls)}/{args.requests} "
          f"within {answered_s:.1f} s of the first webhook")
    return 0 if len(fake.calls) >= args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
