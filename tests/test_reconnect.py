"""Reconnect: backoff, a fresh login, in-flight actions never sent again, keepalive."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
from conftest import admin_session, wait_until

from sdk import ConnectionError, OutcomeUnknown, Session
from sdk.actions import Ping, UserEvent
from sdk.client.session import Reconnect
from sdk.testing import AMIServer

SLACK = 3.0  # seconds a loaded machine may add to a timeout
FAST = Reconnect(initial=0.05, maximum=0.2)


def login_count(server: AMIServer) -> int:
    return sum(1 for m in server.received if m.action == "Login")


def test_backoff_grows_and_is_bounded() -> None:
    policy = Reconnect(initial=0.5, maximum=4.0, factor=2.0, jitter=0.2)
    delays = [policy.delay(n) for n in range(1, 200)]
    assert all(0 < d <= 4.0 for d in delays)
    assert 0.4 <= delays[0] <= 0.5 and 0.8 <= delays[1] <= 1.0
    assert all(3.2 <= d <= 4.0 for d in delays[5:])
    exact = Reconnect(initial=1.0, maximum=8.0, jitter=0.0)
    assert [exact.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    for bad in ({"initial": 0}, {"initial": 5, "maximum": 1}, {"jitter": 1}, {"attempts": 0}):
        with pytest.raises(ValueError):
            Reconnect(**bad)  # type: ignore[arg-type]


def test_restart_reconnects_and_logs_in_again(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sdk.client.session")
    with admin_session(server, events="user", reconnect=FAST) as ami:
        server.restart()
        # a Ping written before the session saw the drop would fail with OutcomeUnknown
        # (the old connection is gone): wait for the new one first, however slow the machine
        assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
        assert ami.send(Ping(), timeout=10).ok
        logins = [m for m in server.received if m.action == "Login"]
        assert len(logins) == 2 and all(m.get("Events") == "user" for m in logins)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "connection to" in text and "lost" in text
    assert re.search(r"reconnecting to .* in 0\.\d+ s \(attempt 1\)", text)
    assert "reconnected to" in text


def test_action_in_flight_fails_with_outcome_unknown_and_is_never_resent(
    server: AMIServer,
) -> None:
    with admin_session(server, reconnect=FAST, timeout=5) as ami:
        server.fault("close", "UserEvent")
        start = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="may or may not have run") as excinfo:
            ami.send(UserEvent(user_event="once", action_id="only-once"))
        assert time.monotonic() - start < 5
        assert excinfo.value.action_id == "only-once"
        assert ami.send(Ping()).ok  # after the reconnect
        time.sleep(0.2)
    sent = [m for m in server.received if m.get("ActionID") == "only-once"]
    assert len(sent) == 1


def test_callbacks_waiters_and_queue_survive_a_reconnect(server: AMIServer) -> None:
    with admin_session(server, events="user", reconnect=FAST) as ami:
        seen: list[str] = []
        ami.on("UserEvent", lambda e: seen.append(e.get("UserEvent") or ""))
        ami.send(UserEvent(user_event="before"))
        # the event may follow its response: let it arrive before the restart can drop it
        assert wait_until(lambda: seen == ["before"], 10)
        found: list[str] = []
        waiting = threading.Thread(
            target=lambda: found.append(
                ami.wait_for_event(
                    "UserEvent", lambda e: e.get("UserEvent") == "after", timeout=10
                ).get("UserEvent")
                or ""
            )
        )
        waiting.start()
        server.restart()
        assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
        ami.send(UserEvent(user_event="after"), timeout=10)
        waiting.join(20)
        assert found == ["after"]
        assert seen == ["before", "after"]
        assert [e.get("UserEvent") for e in ami.events(timeout=0.2)] == ["before"]


def test_send_during_an_outage_waits_for_the_connection(server: AMIServer) -> None:
    with admin_session(server, reconnect=FAST) as ami:
        server.stop()
        assert wait_until(lambda: not ami.connected, 10)  # the session saw the outage
        back = threading.Timer(0.5, server.start)  # the PBX comes back while we send
        back.start()
        try:
            assert ami.send(Ping(), timeout=10).ok
        finally:
            back.join(10)
        assert ami.reconnects == 1


def test_send_during_a_long_outage_is_refused_unsent(server: AMIServer) -> None:
    with admin_session(server, reconnect=FAST) as ami:
        server.stop()
        assert wait_until(lambda: not ami.connected, 5)
        start = time.monotonic()
        with pytest.raises(ConnectionError, match="was not sent: not connected") as excinfo:
            ami.send(Ping(), timeout=0.3)
        assert not isinstance(excinfo.value, OutcomeUnknown)
        assert time.monotonic() - start < 0.3 + SLACK
        assert "reconnecting" in repr(ami)


def test_gives_up_after_the_attempts_allowed(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    ami = admin_session(
        server,
        reconnect=Reconnect(initial=0.02, maximum=0.05, attempts=3),
    )
    try:
        server.stop()
        assert wait_until(lambda: ami.closed, 10)
        assert ami.closed
        with pytest.raises(ConnectionError, match="gave up reconnecting after 3 attempts"):
            ami.send(Ping())
        failures = [r for r in caplog.records if "reconnect attempt" in r.getMessage()]
        assert len(failures) == 3
    finally:
        ami.close()


def test_refused_login_on_reconnect_ends_the_session(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.auth_fail_delay = 0.05
    ami = admin_session(server, reconnect=FAST)
    try:
        server.add_user("admin", "changed")
        server.restart()
        assert wait_until(lambda: ami.closed, 10)
        assert ami.closed and login_count(server) == 2  # one refused login, no hammering
        with pytest.raises(ConnectionError, match="refused"):
            ami.send(Ping())
        assert any(
            r.levelno == logging.ERROR and "not trying again" in r.getMessage()
            for r in caplog.records
        )
    finally:
        ami.close()


def test_no_reconnect_when_turned_off(server: AMIServer) -> None:
    ami = admin_session(server, reconnect=False)
    try:
        server.restart()
        assert wait_until(lambda: ami.closed, 5)
        with pytest.raises(ConnectionError, match="ended: connection closed by the peer"):
            ami.send(Ping(), timeout=1)
        assert ami.closed and login_count(server) == 1
    finally:
        ami.close()


def test_close_during_the_backoff_is_prompt(server: AMIServer) -> None:
    ami = admin_session(
        server,
        reconnect=Reconnect(initial=30, maximum=30),
    )
    server.stop()
    assert wait_until(lambda: not ami.connected, 5)
    start = time.monotonic()
    ami.close()
    ami.close()
    assert time.monotonic() - start < SLACK
    assert ami.closed  # and the autouse fixture checks that no thread is left


def test_keepalive_pings_a_quiet_line(server: AMIServer) -> None:
    with admin_session(server, keepalive=0.1) as ami:
        server.wait_received(lambda m: m.action == "Ping", timeout=5)
        assert ami.connected and ami.reconnects == 0


def test_keepalive_finds_a_dead_peer_and_reconnects(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    with admin_session(
        server,
        keepalive=0.1,
        timeout=0.5,
        reconnect=FAST,
    ) as ami:
        server.fault("slow", "Ping", delay=5)  # the Ping is never answered in time
        assert wait_until(lambda: ami.reconnects > 0, 10)
        assert ami.reconnects == 1
        assert any("keepalive Ping" in r.getMessage() for r in caplog.records)
        assert ami.send(Ping(), timeout=5).ok


def test_url_options(server: AMIServer) -> None:
    url = f"{server.url()}?reconnect=false&keepalive=30&timeout=3&event_queue_size=7"
    with Session.from_url(url, secret="s3cret") as ami:
        assert (ami.reconnect, ami.keepalive, ami.timeout, ami.options.event_queue_size) == (
            None,
            30,
            3,
            7,
        )
    with pytest.raises(ValueError, match="has an unknown option 'colour'; known: auth,"):
        Session.from_url(f"{server.url()}?colour=red", secret="s3cret")
    with pytest.raises(ValueError, match="option reconnect expects true or false") as excinfo:
        Session.from_url(f"{server.url()}?reconnect=maybe", secret="s3cret")
    assert "maybe" not in str(excinfo.value)  # a value typed in the wrong place may be a secret
    with pytest.raises(ValueError, match=r"ami:// or amis://"):
        Session.from_url("http://admin@127.0.0.1", secret="s3cret")


def test_each_connection_has_its_own_socket(server: AMIServer) -> None:
    with admin_session(server, reconnect=FAST) as ami:
        first = ami._transport
        ami.server_actions()
        server.restart()
        # as in the tests above: a Ping written before the session saw the drop would fail
        # with OutcomeUnknown; wait for the new connection first
        assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
        assert ami.send(Ping(), timeout=10).ok
        assert ami._transport is not None and ami._transport is not first
        assert "actions not asked" in repr(ami.server)  # what the old one told is forgotten
