"""Keepalive: a Ping when the line has been quiet ``interval`` seconds, and a drop of the
connection when that Ping goes unanswered for ``timeout`` seconds, so that a dead peer is
found even when nothing is being sent (a half-open TCP connection says nothing by itself).

``tick`` runs on the I/O thread every ``tick_interval`` seconds; the session's reader sets
``last_rx`` at each read, and ``reset()`` starts over on each new connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sdk import actions
from sdk.client.router import PendingResponse
from sdk.errors import AMIError
from sdk.model.action import Action

__all__ = ["Keepalive"]

log = logging.getLogger("sdk.client.session")


class Keepalive:
    """Pings through ``submit`` (which must not wait) when the line is quiet."""

    def __init__(
        self,
        interval: float,
        timeout: float,
        *,
        where: str,
        submit: Callable[[Action], PendingResponse],
    ) -> None:
        self.interval = interval
        self.timeout = timeout
        self._where = where
        self._submit = submit
        self.last_rx = time.monotonic()  # when the last bytes came
        self._ping: PendingResponse | None = None
        self._sent = 0.0

    @property
    def tick_interval(self) -> float:
        """How often ``tick`` must run to keep both bounds to about a quarter of them."""
        return min(1.0, max(0.05, min(self.interval, self.timeout) / 4))

    def reset(self) -> None:
        """A new connection: quiet since now, no Ping in flight."""
        self.last_rx = time.monotonic()
        self._ping = None

    def tick(self, drop: Callable[[str], None]) -> None:
        """Ping if the line has been quiet long enough; ``drop(reason)`` the connection if
        the last Ping has gone unanswered for ``timeout`` s. On the I/O thread."""
        ping = self._ping
        now = time.monotonic()
        if ping is not None:
            if ping.done():
                self._ping = None
            elif now - self._sent > self.timeout:
                log.warning(
                    "keepalive Ping to %s unanswered for %.1f s: dropping the connection",
                    self._where,
                    now - self._sent,
                )
                drop(f"keepalive Ping unanswered within {self.timeout} s")
            return
        if now - self.last_rx >= self.interval:
            try:
                self._ping = self._submit(actions.Ping())
                self._sent = now
                log.debug("keepalive Ping to %s", self._where)
            except AMIError as exc:
                log.debug("keepalive Ping not sent: %s", exc)
