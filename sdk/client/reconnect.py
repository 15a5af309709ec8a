"""How a session reconnects: the ``Reconnect`` policy (a bounded exponential backoff)."""

from __future__ import annotations

import random

import attrs

__all__ = ["Reconnect"]


@attrs.frozen
class Reconnect:
    """How a session reconnects: exponential backoff from ``initial`` seconds, multiplied by
    ``factor`` each attempt, never above ``maximum``; each delay is shortened by a random
    part of up to ``jitter`` (so that many scripts do not hammer a restarted PBX in step).
    ``attempts=None`` tries until ``close()``; a number gives up after that many attempts.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    attempts: int | None = None

    def __attrs_post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum:
            raise ValueError("Reconnect needs 0 < initial <= maximum")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("Reconnect needs factor >= 1 and 0 <= jitter < 1")
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("Reconnect attempts must be at least 1 (or None: no limit)")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 for the first)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt - 1, 64))
        return base * (1 - self.jitter * random.random())


def reconnect_policy(value: bool | Reconnect) -> Reconnect | None:
    """``True``: the default policy; ``False``: none (the session ends instead)."""
    if isinstance(value, Reconnect):
        return value
    return Reconnect() if value else None
