"""The in-memory transport (``sdk.client.memory``): sessions with no socket at all, logins,
unknown actions, a dropped connection and the reconnect after it, keepalive, secrets."""

from __future__ import annotations

import collections
import logging
import socket

import pytest
from conftest import memory_session, wait_until

from sdk import AuthenticationError, OutcomeUnknown, ProtocolError, Reconnect, Session
from sdk.actions import Generic, Ping, SIPpeers, UserEvent
from sdk.client.memory import MemoryConnection, MemoryTransport
from sdk.client.url import parse_url
from sdk.wire.message import Message

FAST = Reconnect(initial=0.01, maximum=0.05)


def test_a_session_in_memory_opens_no_socket(
    memory: MemoryTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    for name in ("socket", "socketpair", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, no_socket)
    with memory_session(memory, events="user") as ami:
        assert ami.send(Ping()).get("Ping") == "Pong"
        ami.send(UserEvent(user_event="hello", headers={"Greeting": "hi"}))
        event = ami.wait_for_event("UserEvent", timeout=10)
        assert (event["UserEvent"], event["Greeting"], event["Privilege"]) == (
            "hello",
            "hi",
            "user,all",
        )
        assert ami.ami_version == "9.0.0" and ami.asterisk_major == 20
    assert [m["Action"] for m in memory.received] == [
        "Challenge",
        "Login",
        "Ping",
        "UserEvent",
        "Logoff",
    ]


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_logins_are_checked_as_asterisk_checks_them(auth: str) -> None:
    memory = MemoryTransport(users={"ops": "0p5-secret"})
    with memory_session(memory, username="ops", secret="0p5-secret", auth=auth) as ami:
        assert ami.connected and memory.connections[0].username == "ops"
    with pytest.raises(AuthenticationError, match="login as 'ops' refused: Authentication failed"):
        memory_session(memory, username="ops", secret="wrong", auth=auth, reconnect=False)
    with pytest.raises(AuthenticationError):
        memory_session(memory, username="nobody", secret="0p5-secret", auth=auth)
    assert memory.connections == []  # refused logins are closed, as Asterisk closes them


def test_requests_show_no_secret(memory: MemoryTransport) -> None:
    with memory_session(memory, auth="plain"):
        pass
    login = memory.received[0]
    assert login.get("Secret") == "s3cret"  # the handlers need it
    assert "s3cret" not in repr(login) + str(login) + login._repr_html_()
    assert "Secret: ***" in str(login)


def test_handlers_answer_what_is_not_built_in(memory: MemoryTransport) -> None:
    def reload(conn: MemoryConnection, request: Message) -> None:
        conn.ack(request, f"Module '{request.get('Module')}' reloaded.")

    memory.handle("Reload", reload)
    with memory_session(memory) as ami:
        answer = ami.send(Generic("Reload", headers={"Module": "chan_pjsip.so"}))
        assert answer.message == "Module 'chan_pjsip.so' reloaded."
        unknown = ami.send(Generic("NoSuchThing"))
        assert not unknown.ok and unknown.message.startswith("Invalid/unknown command: NoSuchThing")
    fallback = MemoryTransport(default=lambda conn, request: conn.ack(request, "as you wish"))
    with memory_session(fallback) as ami:
        assert ami.send(Generic("NoSuchThing")).message == "as you wish"


def test_a_dropped_connection_fails_what_was_in_flight_then_reconnects(
    memory: MemoryTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sdk.client.session")
    held: list[MemoryConnection] = []
    memory.handle("Ping", lambda conn, request: held.append(conn))  # answered by no one
    with memory_session(memory, reconnect=FAST, timeout=5) as ami:
        pending = ami.submit(Ping())
        assert wait_until(lambda: held, 10)
        memory.refuse = "the PBX is down"
        held[0].abort()
        with pytest.raises(OutcomeUnknown, match="may or may not have run"):
            ami.wait(pending)
        assert wait_until(lambda: "the PBX is down" in caplog.text, 10)  # attempts fail
        memory.refuse = None
        # connected comes at the login, the count once the reconnect loop has seen it
        assert wait_until(lambda: ami.connected and ami.reconnects == 1, 10)
        assert memory.connected >= 2
        assert [m["Action"] for m in memory.received[-2:]] == ["Challenge", "Login"]


def test_keepalive_pings_a_quiet_line_in_memory(memory: MemoryTransport) -> None:
    pings: list[str | None] = []

    def ping(conn: MemoryConnection, request: Message) -> None:
        pings.append(request.get("ActionID"))
        conn.respond(request, "Success", headers=[("Ping", "Pong")])

    memory.handle("Ping", ping)
    with memory_session(memory, keepalive=0.05, timeout=2) as ami:
        assert wait_until(lambda: len(pings) >= 2, 10)
        assert ami.connected and ami.reconnects == 0


def test_a_session_is_as_before_over_memory(memory: MemoryTransport) -> None:
    ami = Session("pbx.example.net", username="admin", secret="s3cret", transport=memory)
    try:
        assert repr(ami) == "<Session admin@pbx.example.net:5038 AMI 9.0.0 open>"
    finally:
        ami.close()
    assert ami.closed and memory.connections == []


def test_a_handler_that_fails_drops_its_connection(
    memory: MemoryTransport, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(conn: MemoryConnection, request: Message) -> None:
        raise RuntimeError("a bug in the test's handler")

    memory.handle("Reload", broken)
    with memory_session(memory, reconnect=False) as ami:
        with pytest.raises(OutcomeUnknown):
            ami.send(Generic("Reload"))
        assert ami.closed
    assert "memory connection 1: dropped" in caplog.text and "a bug" in caplog.text


def test_a_list_that_never_ends_costs_its_bound_not_the_memory(memory: MemoryTransport) -> None:
    """A server that sends list items without end: the caller learns at the bound, long
    before its timeout, and the session goes on (the URL option sets the bound too)."""

    def endless(conn: MemoryConnection, request: Message) -> None:
        conn.respond(request, "Success", "Peer status list will follow", [("EventList", "start")])
        action_id = request.get("ActionID") or ""
        for n in range(60):
            conn.event("PeerEntry", [("ActionID", action_id), ("ObjectName", f"p{n}")])

    memory.handle("SIPpeers", endless)
    with memory_session(memory, max_list_items=50, timeout=60) as ami:
        with pytest.raises(
            ProtocolError, match=r"passed 50 items before its end \(max_list_items\)"
        ):
            ami.send(SIPpeers())
        assert ami.send(Ping()).ok
        assert ami.unmatched == collections.deque()  # the dropped items are nobody's answers
    with pytest.raises(ValueError, match="max_list_items must be a whole number of at least 1"):
        memory_session(memory, max_list_items=0)
    assert parse_url("ami://admin@pbx?max_list_items=9").options == {"max_list_items": 9}
