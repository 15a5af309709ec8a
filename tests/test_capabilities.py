"""What the server offers: versions, its action list, and actions it lacks refused before sending."""

from __future__ import annotations

import re
import socket

import pytest
from conftest import load_fixture

from sdk import ActionUnavailable, Session, ValidationError
from sdk.actions import ACTIONS, Generic, Originate, Ping, SIPnotify, UserEvent
from sdk.client.capabilities import asterisk_major, check_available, parse_list_commands
from sdk.client.server import ServerInfo
from sdk.testing import AMIServer
from sdk.wire.message import Response
from sdk.wire.parser import Parser

LINE = re.compile(r"[A-Za-z0-9]+: .+  \(Priv: ([a-z]+(,[a-z]+)*,all|<none>)\)")


def recorded_list() -> Response:
    data = load_fixture("listcommands")
    (response,) = Parser(banner=False).feed(data["exchanges"][4]["recv"].encode())
    assert isinstance(response, Response)
    return response


def notify() -> SIPnotify:
    return SIPnotify(channel="phone1", variables={"Event": "check-sync"})


def test_the_recorded_list_parses_and_agrees_with_the_specs_write_classes() -> None:
    actions = parse_list_commands(recorded_list())
    assert len(actions) == 90 and "ActionID" not in actions
    assert actions["SIPnotify"].privilege == ("system",)
    assert actions["CoreSettings"].privilege == ("system", "reporting")
    assert actions["Login"].privilege == ()
    assert actions["Command"].synopsis == "Execute Asterisk CLI Command."
    for name, offered in actions.items():  # the specs' privilege is what the server said
        assert tuple(filter(None, ACTIONS[name].PRIVILEGE.split(","))) == offered.privilege, name


@pytest.mark.parametrize("version", ["20", "22"])
def test_embedded_server_answers_list_commands_in_asterisks_format(version: str) -> None:
    with AMIServer.as_recorded(version) as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", timeout=5) as ami:
            raw = ami.send(ACTIONS["ListCommands"](), check=True)
            offered = ami.server_actions()
    lines = [(n, v) for n, v in raw.headers if n not in ("Response", "ActionID")]
    assert lines and all(LINE.fullmatch(f"{n}: {v}") for n, v in lines)
    names = [n for n, _ in lines]
    assert names == sorted(names, key=str.lower)  # Asterisk keeps its action list sorted
    assert set(offered) == set(names)
    assert set(pbx.handlers.names) <= set(names)  # everything it emulates, it lists
    recorded = parse_list_commands(recorded_list())
    if version == "20":  # as the recorded Asterisk 20 answered, action for action
        assert offered.keys() == recorded.keys()
    for name in set(offered) & set(recorded):
        assert offered[name].privilege == recorded[name].privilege, name
    assert ("SIPnotify" in offered) == (version == "20")
    assert ("PJSIPNotify" in offered) == (version == "22")


def test_embedded_server_answers_core_settings_as_recorded() -> None:
    """The recorded exchange, replayed byte for byte (no value of it varies between runs)."""
    exchanges = load_fixture("coresettings")["exchanges"]
    expected = received = b""
    with AMIServer.as_recorded() as pbx, socket.create_connection((pbx.host, pbx.port), 5) as sock:
        for exchange in exchanges:
            if "send" in exchange:
                sock.sendall(exchange["send"].encode())
            if "recv" in exchange:
                expected += exchange["recv"].encode()
                while len(received) < len(expected):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received += chunk
    assert received == expected
    assert b"AsteriskVersion: 20.20.1\r\n" in received


@pytest.mark.parametrize(
    ("version", "ami", "asterisk"), [("20", "9.0.0", "20.20.1"), ("22", "11.0.0", "22.10.1")]
)
def test_session_knows_the_versions(version: str, ami: str, asterisk: str) -> None:
    with AMIServer.as_recorded(version) as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", timeout=5) as session:
            assert session.ami_version == ami
            assert session.asterisk_major == int(version)
            assert session.asterisk_version() == asterisk
            assert session.asterisk_version() == asterisk  # asked once per connection
            session.server_actions()
            session.server_actions()
        asked = [m.action for m in pbx.received if m.action in ("CoreSettings", "ListCommands")]
        assert asked == ["CoreSettings", "ListCommands"]


def test_sipnotify_on_asterisk_22_fails_before_sending_and_names_pjsipnotify() -> None:
    with AMIServer.as_recorded("22") as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", timeout=5) as session:
            with pytest.raises(ActionUnavailable) as excinfo:
                session.send(notify())
            session.server_actions()  # the server's own list says the same
            with pytest.raises(ActionUnavailable) as listed:
                session.send(notify())
        assert "SIPnotify" not in [m.action for m in pbx.received]
    for error in (excinfo.value, listed.value):
        assert isinstance(error, ValidationError)
        assert error.replacement == "PJSIPNotify"
        assert "Asterisk 22 has no SIPnotify" in str(error)
        assert "chan_sip was removed in Asterisk 21" in str(error)
        assert "use PJSIPNotify instead" in str(error)


@pytest.mark.parametrize(
    ("ami", "refused"),
    [("9.0.0", False), ("10.0.0", True), ("13.0.0", True), ("2.10.6", False), (None, False)],
)
def test_removed_actions_by_banner_alone(ami: str | None, refused: bool) -> None:
    if refused:
        with pytest.raises(ActionUnavailable, match="use PJSIPNotify instead"):
            check_available(notify(), None, ami)
    else:
        check_available(notify(), None, ami)
    check_available(Ping(), None, ami)  # present in every version


def test_the_servers_own_list_decides_over_the_version() -> None:
    offered = parse_list_commands(recorded_list())
    check_available(notify(), offered, "11.0.0")  # an out-of-tree chan_sip on 22: allowed
    with pytest.raises(ActionUnavailable, match="app_queue is not loaded, or this user may not"):
        check_available(ACTIONS["QueueStatus"](), offered, "9.0.0")
    with pytest.raises(ActionUnavailable, match="MyThing"):
        check_available(Generic("MyThing"), offered, "9.0.0")
    check_available(Generic("ping"), offered, "9.0.0")  # names match in any case


def test_an_action_the_user_may_not_send_fails_before_sending() -> None:
    with AMIServer.as_recorded() as pbx:
        with Session(pbx.host, pbx.port, username="readonly", secret="r3ad", timeout=5) as session:
            offered = session.server_actions()
            assert "UserEvent" not in offered and "Ping" in offered
            with pytest.raises(ActionUnavailable, match="needs write class user"):
                session.send(UserEvent(user_event="x"))
            with pytest.raises(ActionUnavailable, match="this user may not send it"):
                session.send(Originate(channel="Local/1@default", application="Wait"))
            assert session.send(Ping()).ok
        assert {"UserEvent", "Originate"}.isdisjoint(m.action for m in pbx.received)


def test_what_was_learned_is_forgotten_when_the_connection_changes() -> None:
    sent: list[str] = []

    def send(action, *, timeout=None, check=False):  # type: ignore[no-untyped-def]
        sent.append(action.ACTION)
        return recorded_list()

    server = ServerInfo(send)  # the part alone, built from a send function
    server.connected("Asterisk Call Manager/9.0.0")
    server.actions()
    server.actions()
    assert sent == ["ListCommands"]
    with pytest.raises(ActionUnavailable):
        server.check(ACTIONS["QueueStatus"]())  # not in the list: refused
    server.forget()  # the connection is lost
    server.check(ACTIONS["QueueStatus"]())  # unknown list again: not refused
    server.connected("Asterisk Call Manager/9.0.0")  # a reconnect
    server.actions()
    assert sent == ["ListCommands", "ListCommands"]
    assert (server.ami_version, server.asterisk_major) == ("9.0.0", 20)


def test_asterisk_major_from_the_ami_version() -> None:
    assert [
        asterisk_major(v) for v in ("9.0.0", "10.0.0", "11.0.0", "5.0.1", "2.8.0", "", "x")
    ] == [
        20,
        21,
        22,
        16,
        None,
        None,
        None,
    ]
