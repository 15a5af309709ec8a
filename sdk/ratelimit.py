"""A token bucket: the send rate limit, enforced at the moment each action is written."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """At most ``rate`` acquisitions a second on average, bursts of at most ``burst``.

    ``acquire()`` blocks until a token is free (or the ``stop`` event is set) and returns
    whether it got one. Tokens are reserved in arrival order, so concurrent callers share the rate fairly.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a finite positive number, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()
        self._stop = stop if stop is not None else threading.Event()
        self._sleep = sleep

    def stop(self) -> None:
        """Wake every waiting caller; later acquisitions fail at once."""
        self._stop.set()

    def _reserve(self) -> float:
        """Take a token (possibly in advance) and return how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> bool:
        if self._stop.is_set():
            return False
        wait = self._reserve()
        if wait > 0:
            if self._sleep is not None:
                self._sleep(wait)
            elif self._stop.wait(wait):
                return False
        return not self._stop.is_set()
