"""How a session reconnects: the ``Reconnect`` policy (a bounded exponential backoff), and
``retry``, the loop that follows it on the session's reconnect thread."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

import attrs

from sdk.errors import AMIError, AuthenticationError

__all__ = ["Reconnect", "retry"]

log = logging.getLogger("sdk.client.session")


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


def retry(
    policy: Reconnect,
    where: str,
    reason: str,
    *,
    establish: Callable[[], None],
    stop: threading.Event,
    failed: Callable[[str], None],
    end: Callable[[str], None],
) -> bool:
    """Follow ``policy`` after the connection to ``where`` was lost (``reason``): wait, then
    ``establish()`` (connect and log in), until it works (True), ``stop`` is set (False), or
    the session must end (False, after ``end(why)``): the attempts ran out, or the login was
    refused (trying again would only fill the PBX's security log). Each failed attempt's
    reason goes to ``failed(reason)``."""
    attempt = 0
    while not stop.is_set():
        attempt += 1
        if policy.attempts is not None and attempt > policy.attempts:
            log.error("gave up reconnecting to %s after %d attempts", where, policy.attempts)
            end(
                f"session to {where} ended: {reason};"
                f" gave up reconnecting after {policy.attempts} attempts"
            )
            return False
        delay = policy.delay(attempt)
        log.info("reconnecting to %s in %.2f s (attempt %d)", where, delay, attempt)
        if stop.wait(delay):
            return False
        try:
            establish()
        except AuthenticationError as exc:
            log.error("reconnected to %s, but %s: not trying again", where, exc)
            end(f"session to {where} ended: {exc}")
            return False
        except AMIError as exc:
            reason = str(exc)
            failed(reason)
            if not stop.is_set():
                log.warning("reconnect attempt %d to %s failed: %s", attempt, where, exc)
            continue
        log.info("reconnected to %s after %d attempt(s)", where, attempt)
        return True
    return False
