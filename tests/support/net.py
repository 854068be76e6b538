"""Loopback helpers the tests and benchmarks share: free ports, polling, a Chroma server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout_s: float = 10.0, every_s: float = 0.02,
               what: str = "condition") -> Any:
    """Poll until check returns something truthy; return it, or fail after timeout_s."""
    import pytest

    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout_s}s")
        time.sleep(every_s)


def port_open(port: int) -> bool:
    """Return whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def chroma_server(path: Path, timeout_s: float = 60.0) -> Iterator[int]:
    """Run `chroma run` over a data folder on a free loopback port; yield the port."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout_s
        while not port_open(port):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"chroma run did not start within {timeout_s:g} s")
            time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
