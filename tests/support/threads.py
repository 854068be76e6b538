"""Run functions on threads that switch as often as the interpreter allows, to shake out races."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence


def run_interleaved(targets: Sequence[Callable[[], None]]) -> list[str]:
    """Run each target on its own thread, switching threads every microsecond.

    Returns what the targets raised (as repr), in no particular order.
    """
    failures: list[str] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except Exception as exc:  # every failure is the finding
            failures.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return failures
