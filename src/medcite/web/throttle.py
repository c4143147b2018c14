"""Sign-in throttling: failed password attempts per account name and per client address.

Each account name and each address gets a few free failures; from then on every failure locks
it for a time that doubles (base, 2 x base, 4 x base, ...) up to a cap. While either the name or
the address is locked an attempt is refused before any password is checked, so a locked-out
guesser learns nothing and burns no scrypt time. A successful sign-in clears both.

An attempt is charged *before* its password is checked and refunded by a success. Checking and
charging under one lock means a burst of parallel guesses cannot all slip past the threshold
while the first ones are still hashing.

The state lives in this process only (``medcite serve --workers N`` gives each worker its own);
it is bounded: at most ``max_keys`` names and addresses are tracked, the least recently failed
forgotten first, and a name or address that has not failed for ``forget_after_s`` starts over.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from medcite.config import Settings

MAX_KEYS = 10_000  # ~2 MB of records at most
FORGET_AFTER_S = 24 * 3600.0
MAX_NAME_CHARS = 128  # user names are at most 64; longer submitted names share a key
_EVICTION_SCAN = 64  # how far past the oldest record to look for one that locks nothing


@dataclass(slots=True)
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Thread-safe failure counters with exponential lockouts; ``clock`` is injectable."""

    def __init__(
        self,
        *,
        free_attempts: int = 5,
        free_attempts_per_address: int = 20,
        lockout_base_s: float = 1.0,
        lockout_max_s: float = 900.0,
        max_keys: int = MAX_KEYS,
        forget_after_s: float = FORGET_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(free_attempts, free_attempts_per_address) < 1 or max_keys < 2:
            raise ValueError("free attempts must be at least 1 and max_keys at least 2")
        if lockout_base_s <= 0 or lockout_max_s <= 0:
            raise ValueError("lockout times must be positive")
        self._free = {"account": free_attempts, "address": free_attempts_per_address}
        self._base = lockout_base_s
        self._max = lockout_max_s
        self._max_keys = max_keys
        self._forget_after = forget_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> LoginThrottle:
        return cls(
            free_attempts=settings.login_free_attempts,
            free_attempts_per_address=settings.login_free_attempts_per_address,
            lockout_base_s=settings.login_lockout_base_s,
            lockout_max_s=settings.login_lockout_max_s,
            clock=clock,
        )

    def attempt(self, account: str, address: str) -> int:
        """Charge one sign-in attempt, or refuse it.

        Returns 0 when the attempt may go ahead (it now counts as a failure until
        :meth:`succeeded` is called), else the whole seconds to wait, with nothing recorded.
        """
        keys = _keys(account, address)
        now = self._clock()
        with self._lock:
            records = [self._live(key, now) for key in keys]
            wait = max((r.locked_until - now for r in records if r is not None), default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait))
            for key, record in zip(keys, records, strict=True):
                if record is None:
                    self._make_room(now)
                    record = self._records[key] = _Record()
                self._records.move_to_end(key)
                record.failures += 1
                record.last_failure = now
                over = record.failures - self._free[key[0]]
                if over >= 0:
                    # The exponent is capped: 2.0 ** (a huge count) would overflow a float.
                    record.locked_until = now + min(self._max, self._base * 2.0 ** min(over, 60))
            return 0

    def succeeded(self, account: str, address: str) -> None:
        """The password was right: the name and the address start over."""
        with self._lock:
            for key in _keys(account, address):
                self._records.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _live(self, key: tuple[str, str], now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None and _idle(record, now, self._forget_after):
            del self._records[key]
            return None
        return record

    def _make_room(self, now: float) -> None:
        if len(self._records) < self._max_keys:
            return
        # Forget the least recently failed key, but not one still locked if an unlocked one is
        # close behind: flooding the table with new names must not lift a lockout cheaply.
        victim = next(iter(self._records))
        for i, (key, record) in enumerate(self._records.items()):
            if record.locked_until <= now:
                victim = key
                break
            if i >= _EVICTION_SCAN:
                break
        del self._records[victim]


def _keys(account: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    # Names are matched case-insensitively by the store, so "Alice" and "alice" share a count.
    return ("account", account.strip().lower()[:MAX_NAME_CHARS]), ("address", address)


def _idle(record: _Record, now: float, forget_after: float) -> bool:
    return record.locked_until <= now and now - record.last_failure >= forget_after
