"""Keepalive and the reconnect loop alone, driven by hand: no connection, no server."""

from __future__ import annotations

import threading
import time

import pytest

from sdk import AuthenticationError, ConnectionError
from sdk.actions import Ping
from sdk.client.keepalive import Keepalive
from sdk.client.reconnect import Reconnect, retry
from sdk.client.router import PendingResponse
from sdk.model.action import Action

FAST = Reconnect(initial=0.001, maximum=0.002)


class Pings:
    def __init__(self) -> None:
        self.sent: list[PendingResponse] = []

    def __call__(self, action: Action) -> PendingResponse:
        pending = PendingResponse(action, f"k-{len(self.sent)}")
        self.sent.append(pending)
        return pending


def test_a_quiet_line_gets_one_ping_at_a_time() -> None:
    pings, drops = Pings(), []
    keepalive = Keepalive(30, 5, where="pbx:5038", submit=pings)
    keepalive.tick(drops.append)
    assert pings.sent == []  # not quiet for 30 s yet
    keepalive.last_rx = time.monotonic() - 31
    keepalive.tick(drops.append)
    keepalive.tick(drops.append)
    assert [type(p.action) for p in pings.sent] == [Ping] and drops == []  # still in flight
    pings.sent[0]._finish()  # answered
    keepalive.tick(drops.append)  # forgets the answered Ping
    keepalive.tick(drops.append)  # and, the line still quiet, sends the next
    assert len(pings.sent) == 2
    keepalive.reset()
    keepalive.tick(drops.append)
    assert len(pings.sent) == 2  # a new connection is not quiet


def test_an_unanswered_ping_drops_the_connection() -> None:
    pings, drops = Pings(), []
    keepalive = Keepalive(0.01, 0.01, where="pbx:5038", submit=pings)
    keepalive.last_rx = time.monotonic() - 1
    keepalive.tick(drops.append)
    time.sleep(0.05)  # past the timeout, however slow the machine
    keepalive.tick(drops.append)
    assert drops == ["keepalive Ping unanswered within 0.01 s"]
    assert 0.05 <= Keepalive(30, 0.2, where="", submit=pings).tick_interval <= 1.0


def test_a_ping_that_cannot_be_sent_is_only_logged() -> None:
    def refuse(action: Action) -> PendingResponse:
        raise ConnectionError("not connected")

    keepalive = Keepalive(0.01, 1, where="pbx:5038", submit=refuse)
    keepalive.last_rx = time.monotonic() - 1
    keepalive.tick(lambda reason: pytest.fail("nothing to drop"))


class Attempts:
    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.failed: list[str] = []
        self.ended: list[str] = []

    def establish(self) -> None:
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


def run(attempts: Attempts, policy: Reconnect = FAST, stop: threading.Event | None = None) -> bool:
    return retry(
        policy,
        "pbx:5038",
        "reset by peer",
        establish=attempts.establish,
        stop=stop or threading.Event(),
        failed=attempts.failed.append,
        end=attempts.ended.append,
    )


def test_retry_until_connected() -> None:
    attempts = Attempts(ConnectionError("refused"), ConnectionError("no banner"), None)
    assert run(attempts)
    assert attempts.failed == ["refused", "no banner"] and attempts.ended == []


def test_retry_gives_up_after_its_attempts_with_the_last_reason() -> None:
    attempts = Attempts(ConnectionError("refused"), ConnectionError("timed out"))
    assert not run(attempts, Reconnect(initial=0.001, maximum=0.002, attempts=2))
    assert attempts.ended == [
        "session to pbx:5038 ended: timed out; gave up reconnecting after 2 attempts"
    ]


def test_a_refused_login_is_not_tried_again() -> None:
    attempts = Attempts(AuthenticationError("login as 'admin' refused"), None)
    assert not run(attempts)
    assert attempts.ended == ["session to pbx:5038 ended: login as 'admin' refused"]
    assert len(attempts.outcomes) == 1  # no second attempt


def test_stop_ends_the_loop_without_an_attempt() -> None:
    stop = threading.Event()
    stop.set()
    attempts = Attempts(None)
    assert not run(attempts, stop=stop)
    assert attempts.outcomes == [None] and attempts.ended == []
