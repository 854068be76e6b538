"""Who is calling and how often: API keys looked up by hash, token buckets per key, address and
conversation, and the client's address behind trusted proxies."""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from service.settings import Role
from storage.db import Database
from storage.repo import keys as key_store
from storage.repo.base import sha256_hex


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and label."""

    key_id: str
    role: Role
    label: str

    def may(self, roles: Sequence[str]) -> bool:
        """Return whether this caller has one of roles (admin may do everything)."""
        return self.role == "admin" or self.role in roles


class KeyRing:
    """Known API keys by sha256; keys added to the database later are looked up there."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keys: list[tuple[str, Principal]] = []
        self._lock = threading.Lock()

    def load(self) -> int:
        """Read the active keys from the database; return how many there are."""
        with self.db.session() as session:
            keys = [
                (row.key_hash, Principal(row.id, cast(Role, row.role), row.label))
                for row in key_store.active_api_keys(session)
            ]
        with self._lock:
            self._keys = keys
        return len(keys)

    def lookup(self, key: str) -> Principal | None:
        """Return the principal for a presented key, comparing hashes in constant time."""
        digest = sha256_hex(key)
        found: Principal | None = None
        with self._lock:
            keys = self._keys
        for key_hash, principal in keys:  # no early exit: timing says nothing about the match
            if hmac.compare_digest(key_hash, digest):
                found = principal
        if found is not None:
            return found
        with self.db.session() as session:
            row = key_store.find_api_key(session, digest)
        if row is None:
            return None
        principal = Principal(row.id, cast(Role, row.role), row.label)
        with self._lock:
            self._keys = [*self._keys, (digest, principal)]
        return principal


class TokenBuckets:
    """In-process token buckets, one per key or client address."""

    def __init__(self, rate_per_s: float, burst: int, max_entries: int = 50_000) -> None:
        self.rate = rate_per_s
        self.burst = max(1, burst)
        self.max_entries = max_entries
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str, now: float | None = None, cost: float = 1.0) -> float:
        """Spend cost tokens; return 0 when allowed, else the seconds until they are available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[name] = (tokens - cost, now)
                wait = 0.0
            else:
                self._buckets[name] = (tokens, now)
                wait = (cost - tokens) / self.rate
            if len(self._buckets) > self.max_entries:
                self._forget_full(now)
        return wait

    def _forget_full(self, now: float) -> None:
        # Buckets that have refilled carry no information: drop them to bound memory.
        full = [
            name
            for name, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for name in full:
            del self._buckets[name]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   proxies: Sequence[Network]) -> str:
    """Return the address a request came from, believing X-Forwarded-For only from proxies.

    Each proxy appends the address it was sent from, so the list is read from the right:
    the first address that is not a trusted proxy is the client. Whatever lies left of it
    was written by the client and proves nothing.
    """
    if peer is None:
        return "unknown"
    if not proxies or not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer
