"""Per-role limits: calls in flight, requests per minute and tokens per minute (on a fake clock)."""

from __future__ import annotations

import threading
import time

from programs.limits import Limit, RoleLimits


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_requests_per_minute_waits_for_the_window():
    clock = FakeClock()
    limits = RoleLimits({"judge": Limit(rpm=2)}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with limits.slot("judge"):
            pass
    assert clock.slept and clock.now >= 60.0


def test_tokens_per_minute():
    clock = FakeClock()
    limits = RoleLimits({"strong": Limit(tpm=1000)}, clock=clock, sleep=clock.sleep)
    with limits.slot("strong"):
        pass
    limits.spent("strong", 1200)
    clock.now = 10.0
    with limits.slot("strong"):
        pass
    assert clock.now >= 60.0


def test_unlimited_roles_never_wait():
    clock = FakeClock()
    limits = RoleLimits({"weak": Limit(), "judge": Limit(rpm=1)}, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        with limits.slot("weak"):
            pass
    assert clock.slept == []


def test_max_concurrent_caps_calls_in_flight():
    limits = RoleLimits({"challenger": Limit(max_concurrent=2)})
    inside, peak, lock = [0], [0], threading.Lock()

    def call():
        with limits.slot("challenger"):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
