"""Rate limits that protect the service without letting one client lock out every customer:
a small bucket per address, a far larger one per key, one per conversation, reads cheaper
than writes, and X-Forwarded-For believed only from configured proxies. Real requests from
several loopback addresses (127.0.0.2, .3, ...) to uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api import create_app
from errors import ConfigError
from service.access import client_address
from service.settings import ApiSettings, load_api_settings
from tests.integration.test_api_harness import (
    KEYS,
    FakeAgent,
    api_settings,
    ask,
    auth,
    client_for,
    free_port,
    sqlite_url,
    wait_until,
)

DEFAULT_LIMITS = {name: field.default for name, field in ApiSettings.model_fields.items()
                  if name.startswith("rate_limit_")}


@contextlib.contextmanager
def serve(tmp_path: Path, **overrides: Any) -> Iterator[str]:
    """Serve the app on 127.0.0.1 with uvicorn's own proxy-header handling off (Kotae's decides)."""
    app = create_app(api_settings=api_settings(sqlite_url(tmp_path), **overrides),
                     agent=FakeAgent())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def client_from(address: str) -> httpx.Client:
    """Return an HTTP client whose requests come from address (a loopback one)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30,
                        headers={"Authorization": f"Bearer {KEYS['widget']}"})


def test_the_defaults_give_a_key_far_more_than_an_address() -> None:
    limits = load_api_settings(_env_file=None)
    assert limits.rate_limit_key_burst >= 10 * limits.rate_limit_ip_burst
    assert limits.rate_limit_key_per_s >= 10 * limits.rate_limit_ip_per_s
    assert limits.trusted_proxies == []


def test_ten_addresses_each_within_their_burst_do_not_lock_out_an_eleventh(
        tmp_path: Path) -> None:
    burst = DEFAULT_LIMITS["rate_limit_ip_burst"]
    with serve(tmp_path, **DEFAULT_LIMITS) as base:
        def spend(address: str) -> list[int]:
            with client_from(address) as client:
                return [client.post(f"{base}/v1/inquiries",
                                    json={"text": f"How do I invite people? ({address} {i})"}
                                    ).status_code for i in range(burst)]

        addresses = [f"127.0.0.{i}" for i in range(2, 12)]
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(spend, addresses))
        with client_from("127.0.0.12") as eleventh, client_from("127.0.0.2") as first:
            other = eleventh.post(f"{base}/v1/inquiries", json={"text": "How do I export?"})
            more = [first.post(f"{base}/v1/inquiries", json={"text": f"More {i}"})
                    for i in range(2 * burst)]
    assert all(code == 201 for codes in statuses for code in codes), statuses
    assert other.status_code == 201, other.text
    # An address that goes on past its own allowance (and its refill) is refused, told why.
    over = [r for r in more if r.status_code == 429]
    assert over and "from 127.0.0.2" in over[0].json()["detail"]


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    limits = {"rate_limit_ip_per_s": 0.01, "rate_limit_ip_burst": 2, "rate_limit_read_cost": 1.0}
    with serve(tmp_path, trusted_proxies=["127.0.0.1"], **limits) as base:
        with client_from("127.0.0.1") as proxy:
            def via_proxy(client_ip: str) -> httpx.Response:
                return proxy.get(f"{base}/v1/me", headers={"X-Forwarded-For": client_ip})

            behind = [via_proxy("198.51.100.7").status_code for _ in range(3)]
            refused = via_proxy("198.51.100.7")
            neighbour = via_proxy("198.51.100.8")
            # A client's own X-Forwarded-For, passed on by the proxy, proves nothing.
            spoofed = proxy.get(f"{base}/v1/me",
                                headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})
        with client_from("127.0.0.2") as direct:
            rotating = [direct.get(f"{base}/v1/me",
                                   headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                        for i in range(3)]
            last = direct.get(f"{base}/v1/me", headers={"X-Forwarded-For": "203.0.113.99"})
    assert behind == [200, 200, 429]
    assert "from 198.51.100.7" in refused.json()["detail"]
    assert neighbour.status_code == 200
    assert spoofed.status_code == 429  # counted as 198.51.100.7, the proxy's own entry
    assert rotating == [200, 200, 429]  # not a trusted proxy: the header is ignored
    assert "from 127.0.0.2" in last.json()["detail"]


def test_a_conversation_has_its_own_limit_whoever_sends(tmp_path: Path) -> None:
    limits = {"rate_limit_conversation_per_s": 0.01, "rate_limit_conversation_burst": 3}
    with client_for(sqlite_url(tmp_path), **limits) as client:
        first = ask(client, "How do I invite people?")
        follow = {"conversation_id": first["conversation_id"], "token":
                  first["conversation_token"]}
        for text in ("And remove them?", "And change roles?", "And transfer ownership?"):
            ask(client, text, **follow)
        refused = client.post("/v1/inquiries", json={"text": "And billing?",
                                                      "conversation_id": first["conversation_id"]},
                              headers=auth("widget", **{"X-Conversation-Token":
                                                        first["conversation_token"]}))
        another = ask(client, "How do I export my board?")
        ask(client, "And as PDF?", conversation_id=another["conversation_id"],
            token=another["conversation_token"])
    assert refused.status_code == 429
    assert refused.json()["detail"] == "too many requests in this conversation"
    assert int(refused.headers["Retry-After"]) >= 1


def test_reads_cost_a_fraction_of_a_write(tmp_path: Path) -> None:
    limits = {"rate_limit_key_per_s": 0.01, "rate_limit_key_burst": 3}
    with client_for(sqlite_url(tmp_path), **limits) as client:
        reads = [client.get("/v1/me", headers=auth("agent")).status_code for _ in range(13)]
    # Three tokens: twelve reads at a quarter each, then none left.
    assert reads == [200] * 12 + [429]


def test_a_key_limit_below_ten_times_the_address_limit_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least ten times the per-address one"):
        load_api_settings(_env_file=None, rate_limit_key_per_s=50, rate_limit_key_burst=200)


def test_a_trusted_proxy_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'proxy\.internal' is not an IP address or a CIDR"):
        load_api_settings(_env_file=None, trusted_proxies="10.0.0.0/8,proxy.internal")


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),  # one trusted proxy
    ("10.0.0.5", ["203.0.113.9, 10.0.0.7"], "203.0.113.9"),  # two proxies in the chain
    ("10.0.0.5", ["1.2.3.4, 203.0.113.9"], "203.0.113.9"),  # the client's own entry ignored
    ("10.0.0.5", ["1.2.3.4", "203.0.113.9"], "203.0.113.9"),  # the header sent twice
    ("198.51.100.1", ["203.0.113.9"], "198.51.100.1"),  # not a proxy: the header ignored
    ("10.0.0.5", [], "10.0.0.5"),  # a proxy's own request
    ("10.0.0.5", ["10.0.0.7"], "10.0.0.7"),  # proxies all the way: the first one
    ("fd00::5", ["2001:db8::9"], "2001:db8::9"),  # IPv6
])
def test_the_client_is_the_last_address_a_trusted_proxy_was_sent_from(
        peer: str, forwarded: list[str], client: str) -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
    assert client_address(peer, forwarded, proxies) == client
    assert client_address(peer, forwarded, ()) == peer  # no proxies configured
