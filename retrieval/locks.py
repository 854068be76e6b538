"""Locks: an exclusive advisory file lock shared by the processes of one host, and fair slots
for the threads of one process."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on path (created, with its folder, if missing).

    Blocks until the lock is free; a process that dies drops its lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def try_file_lock(path: Path) -> Iterator[bool]:
    """Take an exclusive `flock` on path if it is free: yield True with it held, else False."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class FairSlots:
    """A counting semaphore that hands its slots out first come, first served.

    `threading.Semaphore` lets a newly arriving thread take a slot ahead of those already
    waiting, so under contention some waiters starve: the latency tail grows. Here a freed
    slot goes straight to the longest waiter.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"FairSlots needs at least one slot, not {slots}")
        self._lock = threading.Lock()
        self._free = slots
        self._waiters: deque[threading.Lock] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by the holder that hands its slot over

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()  # the slot passes on, never freed between
            else:
                self._free += 1
