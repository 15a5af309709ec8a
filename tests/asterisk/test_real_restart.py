"""What a session does when the real server restarts, and when it stops for good."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from sdk import ConnectionError, OutcomeUnknown, Reconnect, Session
from sdk.actions import Command, Ping

if TYPE_CHECKING:
    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]


def test_reconnect_after_core_restart_now(real: Real) -> None:
    """The actions in flight give OutcomeUnknown; the session logs in again by itself.

    ``core restart now`` goes through the session itself: Asterisk runs it in the thread
    that would write its answer, so that answer never comes, nor that of the Ping behind it.
    """
    with real.session(reconnect=Reconnect(initial=0.5, maximum=2), timeout=30) as ami:
        pid = real.process.pid
        in_flight = [ami.submit(Command(command="core restart now")), ami.submit(Ping())]
        for pending in in_flight:
            with pytest.raises(OutcomeUnknown, match="may or may not have run"):
                ami.wait(pending)
        real.process.wait_booted(60)
        assert real.process.pid == pid  # Asterisk restarts in its own process
        assert ami.send(Ping(), timeout=30).get("Ping") == "Pong"  # logged in again
        assert ami.reconnects == 1 and ami.connected


def test_the_server_stopped_for_good(real: Real) -> None:
    """A clear ConnectionError within the timeout, whether the session reconnects or not."""
    timeout = 3.0
    with real.session(reconnect=Reconnect(initial=0.2, maximum=0.5), timeout=timeout) as ami:
        ending = real.session(reconnect=False, timeout=timeout)
        real.process.stop()
        started = time.monotonic()
        with pytest.raises(ConnectionError, match="not sent: not connected"):
            ami.send(Ping())
        assert time.monotonic() - started < timeout + 2
        with pytest.raises(ConnectionError, match="ended|closed"):
            ending.send(Ping())
        ending.close()
    started = time.monotonic()
    with pytest.raises(ConnectionError, match="could not connect"):
        Session(real.host, real.port, username="admin", secret="s3cret", timeout=timeout)
    assert time.monotonic() - started < timeout + 2
