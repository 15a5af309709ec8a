"""The session: login, routing by ActionID, events, timeouts. Against the embedded server where
the server's side is under test too (logins, SIP NOTIFY, values on the wire) and over a socket
where the socket matters; in memory (``sdk.client.memory``) where only the session is."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time

import pytest
from conftest import memory_session, wait_until

import sdk
from sdk import (
    ActionError,
    AuthenticationError,
    ConnectionError,
    OutcomeUnknown,
    ProtocolError,
    Session,
    TimeoutError,
    ValidationError,
)
from sdk.actions import Generic, Logoff, Ping, SIPnotify, UserEvent
from sdk.client.memory import MemoryTransport
from sdk.model.action import Action
from sdk.testing import AMIServer


def test_md5_login_is_the_default_and_plain_works(server: AMIServer) -> None:
    with Session(server.host, server.port, username="admin", secret="s3cret") as ami:
        assert ami.ami_version == "9.0.0"
        assert ami.banner == "Asterisk Call Manager/9.0.0"
    actions = [m.action for m in server.received]
    assert actions == ["Challenge", "Login", "Logoff"]
    assert server.received[1].get("Key") and server.received[1].get("Secret") is None
    with Session(server.host, server.port, username="admin", secret="s3cret", auth="plain"):
        pass
    assert (
        server.received[3].get("Secret") == "s3cret" and server.received[3].get("Events") == "off"
    )


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_failed_login_raises_authentication_error(server: AMIServer, auth: str) -> None:
    server.auth_fail_delay = 0.05
    with pytest.raises(AuthenticationError, match="Authentication failed") as excinfo:
        Session(server.host, server.port, username="admin", secret="wrong", auth=auth, timeout=10)
    assert "wrong" not in str(excinfo.value)


def test_send_returns_the_response(session: Session, server: AMIServer) -> None:
    response = session.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
    assert response.ok and response.status == "Success" and response.message == "Notify Sent"
    assert response.action_id and response.action_id == server.received[-1].get("ActionID")
    assert server.notifies[-1].header("Event") == "check-sync"
    error = session.send(SIPnotify(channel="nosuchpeer", variables={"Event": "x"}))
    assert not error.ok and error.message == "Could not create address"
    with pytest.raises(ActionError, match="Could not create address") as excinfo:
        session.send(SIPnotify(channel="phone2", variables={"Event": "x"}), check=True)
    assert excinfo.value.response.status == "Error"
    with pytest.raises(ActionError):
        error.raise_for_error()
    assert response.raise_for_error() is response


def test_given_action_id_is_used_and_echoed(memory_ami: Session) -> None:
    response = memory_ami.send(Ping(action_id="my-id"))
    assert response.action_id == "my-id" and response.get("Ping") == "Pong"


def test_tricky_values_reach_the_notify_exactly_as_given(
    session: Session, server: AMIServer
) -> None:
    tricky = 'a,b "quoted" back\\slash (paren) [bracket] k=v ünïcödé ☎ \x0b\u2028 trailing '
    body = ["line, one", '"two"', "[three]=(3)"]
    variables = [("X-Tricky", tricky), ("Event", "check-sync")] + [
        ("Content", line) for line in body
    ]
    session.send(SIPnotify(channel="phone1", variables=variables), check=True)
    notify = server.notifies[-1]
    assert notify.header("X-Tricky") == tricky
    assert notify.body == "\r\n".join(body)
    assert notify.header("Content-Length") == str(len(notify.body.encode()))
    names = [n for n, _ in notify.headers]
    assert names.index("Subscription-State") < names.index("X-Tricky") < names.index("Event")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channel": "phone1\r\nAction: Originate", "variables": {"Event": "x"}},
        {
            "channel": "phone1",
            "variables": {"Event": "x\r\n\r\nAction: Originate\r\nChannel: SIP/evil"},
        },
        {"channel": "phone1", "variables": {"Event": "x\x00"}},
        {"channel": "phone1", "variables": {"Event": "x" * 1100}},
        {"channel": "phone1", "variables": [("V", str(i)) for i in range(200)]},
        {"channel": "phone1", "variables": {"Event": "x"}, "call_id": "\n"},
    ],
)
def test_hostile_values_never_reach_the_socket(
    session: Session, server: AMIServer, kwargs: dict
) -> None:
    before = len(server.received)
    sent: list[bytes] = []
    transport = session._transport  # everything written goes through its write()
    assert transport is not None
    original = transport.write

    def spy(data: bytes, tag: object = None) -> bool:
        sent.append(data)
        return original(data, tag)

    transport.write = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(ValidationError):
            session.send(SIPnotify(**kwargs))
        assert sent == []
        session.send(Ping(), check=True)
    finally:
        del transport.write
    assert len(sent) == 1 and sent[0].startswith(b"Action: Ping\r\n")
    assert [m.action for m in server.received[before:]] == ["Ping"]


@pytest.mark.parametrize(
    "stray",
    [
        b"Response: Error\r\nMessage: Missing action in request\r\n\r\n",  # garbage-line, stray-blank-lines
        b"Response: Error\r\nMessage: Failed to parse message: line too long\r\n\r\n",  # long-actionid
        b"Response: Success\r\nActionID: not-ours\r\nPing: Pong\r\n\r\n",
        b"\r\n\r\n",
    ],
)
def test_answers_without_our_action_id_never_reach_a_caller(
    memory_ami: Session, memory: MemoryTransport, stray: bytes
) -> None:
    memory.inject(stray)
    response = memory_ami.send(Ping(action_id="after"))
    assert response.action_id == "after" and response.get("Ping") == "Pong"
    if stray.strip():
        assert wait_until(lambda: memory_ami.unmatched, 10)
        assert memory_ami.unmatched and memory_ami.unmatched[-1].headers[0] == (
            "Response",
            stray.split(b"\r\n")[0][10:].decode(),
        )


def test_many_threads_get_their_own_answers(session: Session, server: AMIServer) -> None:
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for j in range(25):
                aid = f"t{index}-{j}"
                peer = "phone1" if j % 2 else "nosuch"
                response = session.send(
                    SIPnotify(channel=peer, variables={"Event": aid}, action_id=aid)
                )
                assert response.action_id == aid
                results[aid] = response.message or ""
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(results) == 200
    for aid, message in results.items():
        odd = int(aid.rsplit("-", 1)[1]) % 2
        assert message == ("Notify Sent" if odd else "Could not create address")


def test_submit_pipelines_and_answers_come_back_in_order(memory_ami: Session) -> None:
    pending = [memory_ami.submit(Ping()) for _ in range(200)]
    responses = [memory_ami.wait(p) for p in pending]
    assert [r.action_id for r in responses] == [p.action_id for p in pending]


def test_duplicate_action_id_in_flight_is_refused(memory: MemoryTransport) -> None:
    memory.handle("Ping", lambda conn, request: None)  # never answered
    with memory_session(memory, auth="plain", timeout=0.5) as ami:
        first = ami.submit(Ping(action_id="same"))
        with pytest.raises(ValidationError, match="already used"):
            ami.submit(Ping(action_id="same"))
        with pytest.raises(TimeoutError, match="no complete answer within 0.2 s"):
            ami.wait(first, timeout=0.2)


def test_events_callbacks_and_waiting(memory: MemoryTransport) -> None:
    with memory_session(memory, events="user") as ami:
        seen: list[str] = []
        remove = ami.on("User*", lambda event: seen.append(event.get("UserEvent") or ""))
        ami.on("UserEvent", lambda event: 1 / 0)  # a failing callback is logged, nothing more
        ami.send(UserEvent(user_event="First", headers={"Header1": "one"}))
        event = ami.wait_for_event("UserEvent", lambda e: e.get("UserEvent") == "First", timeout=10)
        assert event.get("Header1") == "one" and event.name == "UserEvent"
        ami.send(UserEvent(user_event="Second"))
        ami.send(UserEvent(user_event="Third"))
        names = [e.get("UserEvent") for e in itertools.islice(ami.events(timeout=10), 2)]
        assert names == ["Second", "Third"]
        assert list(ami.events(timeout=0.2)) == []
        remove()
        ami.send(UserEvent(user_event="Fourth"))
        assert ami.wait_for_event("userevent", timeout=10).get("UserEvent") == "Fourth"
        assert seen == ["First", "Second", "Third"]
        with pytest.raises(TimeoutError, match="no Nothing event"):
            ami.wait_for_event("Nothing", timeout=0.1)


def test_event_queue_is_bounded_and_drops_the_oldest(
    memory: MemoryTransport, caplog: pytest.LogCaptureFixture
) -> None:
    with memory_session(memory, events="user", event_queue_size=3) as ami:
        for i in range(6):
            ami.send(UserEvent(user_event=f"E{i}"))
        ami.send(Ping())
        assert wait_until(lambda: ami.dropped_events == 3, 10)  # every event has come
        assert [e.get("UserEvent") for e in ami.events(timeout=0.2)] == ["E3", "E4", "E5"]
        assert ami.dropped_events == 3
    assert any("event queue full" in r.message for r in caplog.records)


def test_events_off_by_default(memory_ami: Session) -> None:
    memory_ami.send(UserEvent(user_event="Silent"))
    assert list(memory_ami.events(timeout=0.2)) == []


def test_every_wait_ends_within_its_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as mute:
        host, port = mute.getsockname()
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="no banner"):
            Session(host, port, username="u", secret="s", timeout=0.3)
        assert time.monotonic() - start < 3
        conn, _ = mute.accept()
        conn.close()


def test_not_an_ami_server_is_a_protocol_error() -> None:
    ssh = MemoryTransport(banner="SSH-2.0-OpenSSH_9.2")
    with pytest.raises(ProtocolError, match="not an AMI server"):
        memory_session(ssh, timeout=10)
    assert ssh.connected == 1 and ssh.connections == [] and ssh.received == []


def test_connection_refused_is_a_connection_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionError) as excinfo:
        Session("127.0.0.1", port, username="u", secret="s", timeout=2)
    assert isinstance(excinfo.value, builtins_connection_error())


def builtins_connection_error() -> type:
    import builtins

    return builtins.ConnectionError


def test_lost_connection_fails_waiting_callers_and_later_sends(memory: MemoryTransport) -> None:
    ami = memory_session(memory, timeout=5, reconnect=False)
    memory.refuse = "the PBX is down"
    for connection in memory.connections:
        connection.abort()
    with pytest.raises(ConnectionError):
        for _ in range(50):
            ami.send(Ping(), timeout=1)
            time.sleep(0.02)
    assert ami.closed
    ami.close()
    ami.close()  # idempotent


def test_close_is_idempotent_and_logs_off(memory: MemoryTransport) -> None:
    ami = memory_session(memory)
    ami.close()
    ami.close()
    assert [m.get("Action") for m in memory.received][-1] == "Logoff"
    assert "closed" in repr(ami) and "s3cret" not in repr(ami)
    with pytest.raises(ConnectionError, match="closed"):
        ami.send(Ping())


@pytest.mark.parametrize("logoff", [Logoff(), Generic("logoff")], ids=["Logoff", "Generic"])
def test_logoff_answered_by_goodbye_closes_the_session_without_a_reconnect(
    memory: MemoryTransport, caplog: pytest.LogCaptureFixture, logoff: Action
) -> None:
    """Asterisk answers Logoff with Goodbye and closes the connection: an orderly end that
    the caller asked for, not a lost connection to log, reconnect and log in again."""
    caplog.set_level(logging.DEBUG, logger="sdk")
    ami = memory_session(memory, timeout=5)
    try:
        answer = ami.send(logoff)
        assert answer.status == "Goodbye" and answer.message == "Thanks for all the fish."
        assert ami.closed and not ami.connected  # already when send() returns
        with pytest.raises(ConnectionError, match="Logoff sent; the server said Goodbye") as exc:
            ami.send(Ping())
        assert not isinstance(exc.value, OutcomeUnknown) and "closed" in repr(ami)
    finally:
        ami.close()  # joins every thread the session started, a reconnect's too
    assert [m["Action"].lower() for m in memory.received] == ["challenge", "login", "logoff"]
    assert ami.reconnects == 0
    said = [f"{r.levelname} {r.getMessage()}" for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], said
    assert not [line for line in said if "reconnect" in line or "lost" in line], said


def test_from_url_and_environment(server: AMIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMI_URL", f"ami://admin@{server.host}:{server.port}")
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    with sdk.connect() as ami:
        assert ami.send(Ping()).ok
    with pytest.raises(ValueError, match="never in the URL"):
        Session.from_url(f"ami://admin:s3cret@{server.host}:{server.port}")
    monkeypatch.delenv("AMI_SECRET")
    with pytest.raises(ValueError, match="AMI_SECRET"):
        Session.from_url()


def test_secret_is_never_logged(server: AMIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for auth in ("md5", "plain"):
        with Session(server.host, server.port, username="admin", secret="s3cret", auth=auth) as ami:
            ami.send(Ping())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "send Action: Login" in text
    assert "s3cret" not in text


def test_server_can_really_send_the_notify_over_udp() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        phone.bind(("127.0.0.1", 0))
        phone.settimeout(5)
        port = phone.getsockname()[1]
        with AMIServer(send_sip=True) as pbx:
            pbx.add_user("admin", "s3cret")
            pbx.add_sip_peer("phone1", "127.0.0.1", port)
            with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
                ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}), check=True)
            data, _ = phone.recvfrom(65536)
    text = data.decode()
    assert text == pbx.notifies[0].text
    assert text.startswith(f"NOTIFY sip:127.0.0.1:{port} SIP/2.0\r\n")
    assert "\r\nEvent: check-sync\r\n" in text
