"""Each fault the embedded server makes gives the documented outcome within its timeout.

No test may hang (pytest-timeout stops it) or leave a thread behind (the autouse fixture in
conftest.py joins and checks). ``SLACK`` is what a loaded machine may add to a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import admin_session, wait_until

from sdk import (
    AuthenticationError,
    ConnectionError,
    OutcomeUnknown,
    ProtocolError,
    Response,
    Session,
    TimeoutError,
)
from sdk.actions import Ping
from sdk.client.session import Reconnect
from sdk.testing import AMIServer
from sdk.testing.faults import Fault

SLACK = 3.0
TIMEOUT = 1.0
FAST = Reconnect(initial=0.05, maximum=0.2)


@pytest.fixture
def ami(server: AMIServer) -> Iterator[Session]:
    with admin_session(
        server,
        events="on",
        timeout=TIMEOUT,
        reconnect=FAST,
    ) as session:
        yield session


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start


def test_unknown_fault_is_refused(server: AMIServer) -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'; known: cut, close"):
        server.fault("nope")
    assert isinstance(server.fault("cut", "Ping"), Fault)


@pytest.mark.parametrize("kind", ["cut", "close"])
def test_close_mid_answer_gives_outcome_unknown(ami: Session, server: AMIServer, kind: str) -> None:
    fault = server.fault(kind, "Ping")
    with Timer() as timer, pytest.raises(OutcomeUnknown) as excinfo:
        ami.send(Ping(action_id="in-flight"))
    assert timer.elapsed < TIMEOUT + SLACK
    assert fault.hits == 1 and excinfo.value.action_id == "in-flight"
    assert ami.send(Ping(), timeout=5).ok  # reconnected
    assert [m.get("ActionID") for m in server.received].count("in-flight") == 1


def test_garbage_lines_are_kept_aside_and_the_session_goes_on(
    ami: Session, server: AMIServer
) -> None:
    server.fault("garbage", "Ping")
    assert ami.send(Ping(action_id="after-garbage")).get("Ping") == "Pong"
    junk = [m for m in ami.unmatched if not isinstance(m, Response)]
    assert junk and "this line has no colon" in junk[-1].unparsed
    assert ami.connected and ami.reconnects == 0


def test_latin1_caller_id_name_is_read_without_loss(ami: Session, server: AMIServer) -> None:
    server.fault("latin1", "Ping")
    assert ami.send(Ping()).ok
    event = ami.wait_for_event("Newchannel", timeout=TIMEOUT)
    assert event.get("CallerIDName") == "Jürgen Müller"
    assert event.get("CallerIDNum") == "1001"


def test_answer_slower_than_the_timeout(ami: Session, server: AMIServer) -> None:
    server.fault("slow", "Ping", delay=TIMEOUT * 1.5)
    with Timer() as timer, pytest.raises(TimeoutError, match="no complete answer within 0.3"):
        ami.send(Ping(action_id="slow-one"), timeout=0.3)
    assert 0.25 < timer.elapsed < 0.3 + SLACK
    # The late answer never reaches a later caller, not even one that reuses the ActionID.
    again = ami.send(Ping(action_id="slow-one"), timeout=5)
    assert again.action_id == "slow-one"
    late = [m for m in ami.unmatched if m.action_id == "slow-one"]
    assert len(late) == 1
    ping_times = [m.get("Timestamp") for m in (late[0], again)]
    assert ping_times[0] != ping_times[1]


def test_restart_fails_the_action_in_flight_and_reconnects(ami: Session, server: AMIServer) -> None:
    server.fault("slow", "Ping", delay=5)
    pending = ami.submit(Ping())
    server.wait_received(lambda m: m.action == "Ping")
    with Timer() as timer:
        server.restart()
        with pytest.raises(OutcomeUnknown):
            ami.wait(pending)
    assert timer.elapsed < 5
    assert ami.send(Ping(), timeout=5).ok and ami.reconnects == 1


def test_failed_login_answers_after_a_second_then_closes(server: AMIServer) -> None:
    assert server.auth_fail_delay == 1.0  # as Asterisk
    with Timer() as timer, pytest.raises(AuthenticationError, match="Authentication failed"):
        Session(server.host, server.port, username="admin", secret="wrong", timeout=5)
    assert 0.9 < timer.elapsed < 1.0 + SLACK


def test_close_before_the_banner(server: AMIServer) -> None:
    server.fault("close-before-banner")
    with Timer() as timer, pytest.raises(ConnectionError, match="before its banner"):
        admin_session(server, timeout=TIMEOUT)
    assert timer.elapsed < TIMEOUT + SLACK


def test_close_before_the_banner_while_reconnecting_is_retried(
    ami: Session, server: AMIServer
) -> None:
    fault = server.fault("close-before-banner", times=2)
    server.restart()
    # a Ping written before the session saw the drop would fail with OutcomeUnknown: wait
    # for the new connection first (as the restart tests of test_reconnect do)
    assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
    assert ami.send(Ping(), timeout=10).ok
    assert fault.hits == 2 and ami.reconnects == 1


def test_stray_blank_lines_are_nothing(ami: Session, server: AMIServer) -> None:
    server.fault("blank-lines", "Ping")
    before = len(ami.unmatched)
    assert ami.send(Ping()).ok
    assert len(ami.unmatched) == before


def test_answer_without_action_id_times_out_and_is_kept_aside(
    ami: Session, server: AMIServer
) -> None:
    server.fault("no-action-id", "Ping")
    with Timer() as timer, pytest.raises(TimeoutError):
        ami.send(Ping(), timeout=0.3)
    assert timer.elapsed < 0.3 + SLACK
    assert any(
        isinstance(m, Response) and m.get("Ping") == "Pong" and m.action_id is None
        for m in ami.unmatched
    )
    assert ami.send(Ping()).action_id is not None


def test_line_of_a_mebibyte_ends_the_connection_with_a_protocol_error(
    ami: Session, server: AMIServer
) -> None:
    server.fault("long-line", "Ping")
    with Timer() as timer, pytest.raises(OutcomeUnknown, match="longer than") as excinfo:
        ami.send(Ping())
    assert timer.elapsed < TIMEOUT + SLACK
    assert isinstance(excinfo.value.__cause__, ProtocolError)
    assert ami.send(Ping(), timeout=5).ok and ami.reconnects == 1


def test_line_of_a_mebibyte_during_login_is_a_protocol_error(server: AMIServer) -> None:
    server.fault("long-line", "Login")
    with Timer() as timer, pytest.raises(ProtocolError, match="longer than 262144 bytes"):
        admin_session(server, timeout=TIMEOUT)
    assert timer.elapsed < TIMEOUT + SLACK


def test_line_of_a_mebibyte_without_reconnect_ends_the_session(server: AMIServer) -> None:
    with admin_session(server, reconnect=False) as ami:
        server.fault("long-line", "Ping")
        with pytest.raises(OutcomeUnknown):
            ami.send(Ping())
        with pytest.raises(ConnectionError, match="ended: line longer than"):
            ami.send(Ping())


ENDLESS = ["endless-headers", "no-blank-line", "no-end-command"]
BOUNDS = {"max_message": 256 * 1024, "max_message_lines": 2000}  # small: the test is quick


@pytest.mark.parametrize("kind", ENDLESS)
def test_a_message_that_never_ends_is_refused_past_its_bound_and_the_session_reconnects(
    server: AMIServer, kind: str
) -> None:
    with admin_session(server, timeout=TIMEOUT, reconnect=FAST, **BOUNDS) as ami:
        server.fault(kind, "Ping")
        with Timer() as timer, pytest.raises(OutcomeUnknown, match="message of more") as excinfo:
            ami.send(Ping())
        assert timer.elapsed < TIMEOUT + SLACK
        cause = excinfo.value.__cause__
        assert isinstance(cause, ProtocolError) and cause.__traceback__ is None
        end = "--END COMMAND--" if kind == "no-end-command" else "its blank line"
        assert f"more than 2000 lines before {end}" in str(cause)
        assert ami.send(Ping(), timeout=5).get("Ping") == "Pong" and ami.reconnects == 1


@pytest.mark.parametrize("kind", ENDLESS)
def test_a_message_that_never_ends_during_login_is_a_protocol_error(
    server: AMIServer, kind: str
) -> None:
    server.fault(kind, "Login")
    with Timer() as timer, pytest.raises(ProtocolError, match="during login: message of more"):
        admin_session(server, timeout=TIMEOUT, **BOUNDS)
    assert timer.elapsed < TIMEOUT + SLACK


def test_a_message_that_never_ends_without_reconnect_ends_the_session(server: AMIServer) -> None:
    with admin_session(server, reconnect=False, timeout=TIMEOUT, **BOUNDS) as ami:
        server.fault("endless-headers", "Ping")
        with pytest.raises(OutcomeUnknown):
            ami.send(Ping())
        with pytest.raises(ConnectionError, match="ended: message of more than 2000 lines"):
            ami.send(Ping())


def test_the_bounds_come_from_the_url_too(server: AMIServer) -> None:
    url = f"ami://admin@{server.host}:{server.port}"
    for option, kind, said in (
        ("max_message_lines=300", "no-end-command", "more than 300 lines"),
        ("max_message=100000", "endless-headers", "more than 100000 characters"),
    ):
        with Session.from_url(
            f"{url}?{option}", secret="s3cret", timeout=TIMEOUT, reconnect=FAST
        ) as ami:
            server.fault(kind, "Ping")
            with pytest.raises(OutcomeUnknown) as excinfo:
                ami.send(Ping())
            assert said in str(excinfo.value.__cause__)
    for bad in ("max_message=0", "max_message_lines=many"):
        with pytest.raises(ValueError, match=bad.partition("=")[0]):
            Session.from_url(f"{url}?{bad}", secret="s3cret")
    with pytest.raises(ValueError, match="max_message must be a whole number of at least 1"):
        admin_session(server, max_message=-1)


def test_the_default_bounds_pass_a_command_answer_larger_than_any_real_one(
    server: AMIServer,
) -> None:
    """100,000 lines of CLI text (8 MiB), as ``dialplan show`` on a big PBX answers: well
    within the default bounds, in Asterisk 14's form (Output lines) and 13's (raw text)."""
    from sdk.actions import Command

    text = [
        f"  '{n}' => 1. Dial(PJSIP/phone{n},30,tT)   [pbx_config] ....." for n in range(100_000)
    ]

    def answer(conn: object, request: object) -> None:
        action_id = request.get("ActionID")  # type: ignore[attr-defined]
        if request.get("Command") == "old":  # type: ignore[attr-defined]
            body = f"Response: Follows\r\nPrivilege: Command\r\nActionID: {action_id}\r\n\n"
            body += "\n".join(text) + "\n--END COMMAND--\r\n\r\n"
        else:
            body = (
                f"Response: Success\r\nActionID: {action_id}\r\nMessage: Command output follows\r\n"
            )
            body += "".join(f"Output: {line}\r\n" for line in text) + "\r\n"
        conn.write(body)  # type: ignore[attr-defined]

    server.handle("Command", answer)
    with admin_session(server, timeout=30) as ami:
        for form in ("new", "old"):
            output = ami.send(Command(command=form)).output
            assert output is not None and len(output) > 6 * 1024 * 1024
            assert output.split("\n") == ([""] if form == "old" else []) + text
