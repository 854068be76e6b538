"""FairSlots: at most N holders, and a freed slot goes to the longest waiter."""

import threading
import time

import pytest

from retrieval.locks import FairSlots
from tests.support.net import wait_until


def test_waiters_get_a_freed_slot_in_the_order_they_came() -> None:
    slots = FairSlots(1)
    order: list[int] = []
    slots.__enter__()
    threads = []
    for i in range(5):
        def work(i: int = i) -> None:
            with slots:
                order.append(i)
        thread = threading.Thread(target=work)
        thread.start()
        threads.append(thread)
        wait_until(lambda: len(slots._waiters) == len(threads), timeout_s=5)  # each in turn
    slots.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]


def test_no_more_than_the_slots_are_held_at_once() -> None:
    slots = FairSlots(2)
    lock = threading.Lock()
    holding, most = 0, 0

    def work() -> None:
        nonlocal holding, most
        with slots:
            with lock:
                holding += 1
                most = max(most, holding)
            time.sleep(0.01)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most == 2 and holding == 0 and slots._free == 2


def test_zero_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        FairSlots(0)
