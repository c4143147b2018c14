"""The sign-in throttle on its own, with a fake clock: free failures, doubling lockouts, resets,
per-address limits, forgetting, bounded memory and parallel bursts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from medcite.config import Settings
from medcite.web.throttle import LoginThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def throttle(clock: FakeClock, **options: Any) -> LoginThrottle:
    defaults: dict[str, Any] = {
        "free_attempts": 3,
        "free_attempts_per_address": 10,
        "lockout_base_s": 1.0,
        "lockout_max_s": 8.0,
    }
    return LoginThrottle(clock=clock, **{**defaults, **options})


def fail(t: LoginThrottle, account: str, address: str = "10.0.0.1", times: int = 1) -> None:
    for _ in range(times):
        assert t.attempt(account, address) == 0, "an attempt that should have been let through"


def waits(t: LoginThrottle, clock: FakeClock, account: str, address: str) -> Iterator[int]:
    """Fail once each time the lockout ends; yield the lockout each failure started."""
    while True:
        fail(t, account, address)
        wait = t.attempt(account, address)
        yield wait
        clock.advance(wait)


def test_free_failures_then_a_lockout_that_doubles_up_to_the_cap(clock: FakeClock) -> None:
    t = throttle(clock)
    fail(t, "alice", times=2)
    assert t.attempt("alice", "10.0.0.1") == 0  # the third failure is still free ...
    assert t.attempt("alice", "10.0.0.1") == 1  # ... and starts a 1 s lockout
    clock.advance(1)
    gen = waits(t, clock, "alice", "10.0.0.1")
    assert [next(gen) for _ in range(6)] == [2, 4, 8, 8, 8, 8]


def test_refused_attempts_record_nothing(clock: FakeClock) -> None:
    t = throttle(clock, lockout_base_s=4.0, lockout_max_s=100.0)
    fail(t, "alice", times=3)
    for _ in range(50):  # hammering a locked account neither extends nor escalates the lockout
        assert t.attempt("alice", "10.0.0.1") in (1, 2, 3, 4)
        clock.advance(0.05)
    clock.advance(4)
    assert t.attempt("alice", "10.0.0.1") == 0
    assert t.attempt("alice", "10.0.0.1") == 8  # one failure more than before: 2 x 4 s


def test_waits_round_up_to_whole_seconds(clock: FakeClock) -> None:
    t = throttle(clock, lockout_base_s=0.5)
    fail(t, "alice", times=3)
    assert t.attempt("alice", "10.0.0.1") == 1
    clock.advance(0.25)
    assert t.attempt("alice", "10.0.0.1") == 1
    clock.advance(0.25)
    assert t.attempt("alice", "10.0.0.1") == 0


def test_success_resets_the_account_and_the_address(clock: FakeClock) -> None:
    t = throttle(clock, free_attempts_per_address=5)
    fail(t, "alice", times=2)
    fail(t, "bob", times=2)
    assert t.attempt("alice", "10.0.0.1") == 0  # the address's fifth: the right password
    t.succeeded("alice", "10.0.0.1")
    # alice and the address start over (else the address would be locked now) ...
    fail(t, "alice", times=3)
    assert t.attempt("alice", "10.0.0.1") == 1
    # ... but bob has not signed in: he keeps his two failures and his third locks him
    fail(t, "bob", "10.0.0.2")
    assert t.attempt("bob", "10.0.0.2") == 1


def test_the_address_limit_spans_account_names(clock: FakeClock) -> None:
    t = throttle(clock, free_attempts_per_address=5)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        fail(t, name, "10.0.0.9")
    assert t.attempt("a6", "10.0.0.9") == 1  # a fresh name, but the address is locked
    assert t.attempt("a6", "10.0.0.8") == 0  # the same name from elsewhere is not


def test_account_names_are_counted_case_insensitively(clock: FakeClock) -> None:
    t = throttle(clock)
    fail(t, "Alice", "10.0.0.1")
    fail(t, "ALICE", "10.0.0.2")
    fail(t, " alice", "10.0.0.3")
    assert t.attempt("alice", "10.0.0.4") == 1


def test_old_failures_are_forgotten(clock: FakeClock) -> None:
    t = throttle(clock, forget_after_s=60.0)
    fail(t, "alice", times=2)
    clock.advance(59)
    fail(t, "alice")  # within the window: the third failure locks
    assert t.attempt("alice", "10.0.0.1") == 1
    clock.advance(60)
    fail(t, "alice", times=3)  # a minute idle: the count started over
    assert t.attempt("alice", "10.0.0.1") == 1


def test_memory_is_bounded_and_the_oldest_unlocked_keys_go_first(clock: FakeClock) -> None:
    t = throttle(clock, max_keys=50, free_attempts_per_address=10_000)
    fail(t, "target", times=3)  # locked for 1 s
    assert t.attempt("target", "10.0.0.1") == 1
    for i in range(200):
        fail(t, f"spray-{i}")
    assert len(t) <= 50
    assert t.attempt("target", "10.0.0.1") == 1, "a flood of new names lifted a lockout"
    clock.advance(1)
    for i in range(200, 300):
        fail(t, f"spray-{i}")
    assert len(t) <= 50
    fail(t, "target", times=2)  # its record, unlocked and oldest, was forgotten
    assert t.attempt("target", "10.0.0.1") == 0


def test_a_parallel_burst_gets_exactly_the_free_attempts(clock: FakeClock) -> None:
    t = throttle(clock, free_attempts=5, free_attempts_per_address=1000)
    start = threading.Barrier(32)
    let_through: list[int] = []

    def guess() -> None:
        start.wait()
        for _ in range(10):
            if t.attempt("alice", "10.0.0.1") == 0:
                let_through.append(1)

    threads = [threading.Thread(target=guess) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(let_through) == 5


def test_settings_and_validation() -> None:
    settings = Settings(
        login_free_attempts=2,
        login_free_attempts_per_address=4,
        login_lockout_base_s=3.0,
        login_lockout_max_s=5.0,
    )
    t = LoginThrottle.from_settings(settings, clock=FakeClock())
    assert Settings().login_free_attempts == 5 and Settings().login_lockout_max_s == 900.0
    fail(t, "alice", times=2)
    assert t.attempt("alice", "10.0.0.1") == 3
    with pytest.raises(ValueError):
        LoginThrottle(free_attempts=0)
    with pytest.raises(ValueError):
        LoginThrottle(lockout_base_s=0)
    with pytest.raises(ValueError):
        LoginThrottle(max_keys=1)
