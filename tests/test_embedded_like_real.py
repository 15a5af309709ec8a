"""What the real Asterisk 20.20.1 and 22.10.1 showed the embedded server got wrong.

Each behaviour here was found by ``tests/asterisk/test_real_fidelity.py`` (the same scenarios
against the real servers and the embedded one) and is fixed in ``sdk.testing``; these tests
keep it fixed where no Asterisk is built (``make test``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from conftest import wait_until

from sdk import Session
from sdk.actions import Generic, Getvar, PJSIPNotify, SIPnotify
from sdk.testing import AMIServer


@pytest.fixture(params=["20", "22"])
def pbx(request: pytest.FixtureRequest) -> Iterator[AMIServer]:
    with AMIServer.as_recorded(request.param) as server:
        yield server


def _session(server: AMIServer, user: str = "admin", **kwargs: object) -> Session:
    secret = server.users["admin" if user.lower() == "admin" else user].secret
    return Session(server.host, server.port, username=user, secret=secret, timeout=5, **kwargs)


def test_peer_and_endpoint_names_are_matched_exactly() -> None:
    with AMIServer.as_recorded("20") as pbx, _session(pbx) as ami:
        for name in ("PHONE1", "Phone1", "SIP/PHONE1"):
            answer = ami.send(SIPnotify(channel=name, variables={"Event": "check-sync"}))
            assert answer.message == "Could not create address"
        assert (
            ami.send(Generic("SIPshowpeer", {"Peer": "PHONE1"})).message == "Peer PHONE1 not found."
        )
        assert ami.send(Generic("SIPpeerstatus", {"Peer": "PHONE1"})).message == "No such peer"
        assert ami.send(
            SIPnotify(channel="sip/phone1", variables={"Event": "x"})
        ).ok  # prefix: any case
        assert len(pbx.notifies) == 1
    with AMIServer.as_recorded("22") as pbx, _session(pbx) as ami:
        answer = ami.send(PJSIPNotify(endpoint="PJSIP/PHONE1", variables={"Event": "check-sync"}))
        assert answer.message == "Unable to retrieve endpoint PHONE1"  # the prefix stripped
        assert pbx.notifies == []


def test_notify_options_are_found_without_regard_to_case() -> None:
    with AMIServer.as_recorded("22") as pbx, _session(pbx) as ami:
        assert (
            ami.send(PJSIPNotify(endpoint="phone1", option="CHECK-SYNC")).message == "NOTIFY sent"
        )
        assert [n.header("Event") for n in pbx.notifies] == ["check-sync"]


def test_listcommands_of_22_is_what_that_server_lists() -> None:
    with AMIServer.as_recorded("22") as pbx, _session(pbx) as ami:
        offered = ami.server_actions()
    assert len(offered) == 102
    assert not [name for name in offered if name.startswith("Queue")]  # app_queue not built
    assert offered["PJSIPNotify"].synopsis.startswith("Send a NOTIFY to either an endpoint")
    assert offered["PJSIPNotify"].privilege == ("system",)


def test_user_names_are_matched_without_regard_to_case(pbx: AMIServer) -> None:
    with _session(pbx, "Admin", auth="plain", events="security") as ami:
        assert ami.send(Generic("Ping")).get("Ping") == "Pong"
        event = ami.wait_for_event("SuccessfulAuth")
    assert event.get("AccountID") == "Admin"  # the name as the client wrote it


def test_a_refused_request_raises_a_security_event(pbx: AMIServer) -> None:
    pbx.add_user("ro", "pw", write="")
    with _session(pbx, "ro", events="security") as ami:
        assert (
            ami.send(Generic("Originate", {"Channel": "Local/1@x"})).message == "Permission denied"
        )
        event = ami.wait_for_event("RequestNotAllowed")
    assert event.get("RequestType") == "Action: Originate" and event.get("Severity") == "Error"
    with _session(pbx, events="security") as ami:
        ami.send(Generic("NoSuchAction"))
        event = ami.wait_for_event("RequestBadFormat")
    # AccountID is optional in this event type: security_events.c writes it last
    assert [name for name, _ in event.headers][-2:] == ["SessionTV", "AccountID"]


def test_filters_keep_the_events_they_match(pbx: AMIServer) -> None:
    with _session(pbx, events="user") as ami:
        for text, message in (("", "Filter was formatted incorrectly"), ("!", "Filter was")):
            answer = ami.send(Generic("Filter", {"Operation": "Add", "Filter": text}))
            assert (answer.message or "").startswith(message)
        assert ami.send(Generic("Filter", {"Operation": "Add", "Filter": "UserEvent: Kept"})).ok
        for name in ("Dropped", "Kept"):
            ami.send(Generic("UserEvent", {"UserEvent": name}))
        event = ami.wait_for_event("UserEvent")
        assert event.get("UserEvent") == "Kept"
        assert [e.get("UserEvent") for e in ami.events(timeout=0.2)] == []


def test_events_and_extension_state_refuse_what_is_missing(pbx: AMIServer) -> None:
    with _session(pbx) as ami:
        assert ami.send(Generic("Events")).message == "Invalid event mask"
        assert ami.send(Generic("ExtensionState", {"Context": "default"})).message == (
            "Extension not specified"
        )
        answer = ami.send(Generic("ExtensionState", {"Exten": "100"}))
        assert answer.get("Context") == "default"


def test_login_with_an_empty_events_header_keeps_every_event(pbx: AMIServer) -> None:
    with socket.create_connection((pbx.host, pbx.port), timeout=5) as sock:
        sock.sendall(
            b"Action: Login\r\nUsername: admin\r\nSecret: s3cret\r\nEvents: \r\n\r\n"
            b"Action: UserEvent\r\nUserEvent: Seen\r\n\r\n"
        )
        received = b""
        while b"UserEvent: Seen" not in received:  # manager.c keeps the default: all events
            chunk = sock.recv(65536)
            assert chunk, f"closed without the event: {received!r}"
            received += chunk
    assert b"Event: UserEvent\r\n" in received


def test_getvar_reads_the_functions_the_server_has(pbx: AMIServer) -> None:
    with _session(pbx) as ami:
        assert ami.send(Getvar(variable="LEN(hello)")).get("Value") == "5"
        assert ami.send(Getvar(variable="len(hello)")).get("Value") == ""
        assert ami.send(Getvar(variable="DB(f/k)")).get("Value") == ""  # no func_db
        answer = ami.send(Getvar(variable="CALLERID(num)"))
        assert "does not evaluate" in (answer.message or "")  # has it, not emulated: says so


def test_hangup_takes_a_regex_and_lists_what_it_hung_up(pbx: AMIServer) -> None:
    with _session(pbx) as ami:
        one, _ = pbx.pbx.new_local_pair("100", "default", "Wait", "5")
        answer = ami.send(Generic("Hangup", {"Channel": "/^Local/100@default-.*;1$/"}))
        assert answer.ok and [e.get("Channel") for e in answer.events] == [one.name]
        assert answer.complete is not None and answer.complete.get("ListItems") == "1"
        answer = ami.send(Generic("Hangup", {"Channel": "/(unclosed/"}))
        assert answer.message == "Regex compile failed on: /(unclosed/"


def test_cli_commands_and_hints_follow_the_real_command_table(pbx: AMIServer) -> None:
    with _session(pbx) as ami:

        def output(text: str) -> str | None:
            return ami.send(Generic("Command", {"Command": text})).output

        assert output("!") == ""
        hint = (
            "core show help sip show" if pbx.version == "22" else "core show help sip show nothing"
        )
        assert f"'{hint}'" in (output("sip show nothing") or "")
        assert "does not implement the CLI command" in (output("core show taskprocessors") or "")
        assert ami.send(Generic("Command", {"Command": "module load x"})).message == (
            "Command blacklisted"
        )
        lines = (output("core show channels") or "").split("\n")
        assert lines[0].startswith("Channel" + " " * 58 + "Location")
        assert lines[-1] == "0 calls processed"


def test_a_local_call_runs_its_extension(pbx: AMIServer) -> None:
    pbx.pbx.dialplan["default"]["100"] = [("Answer", ""), ("Wait", "30"), ("Hangup", "")]
    with _session(pbx) as ami:
        headers = {"Channel": "Local/100@default", "Application": "Wait", "Data": "5"}
        ami.send(Generic("Originate", headers))
        assert wait_until(lambda: len(pbx.pbx.channels) == 2, timeout=10)
        two = next(c for c in pbx.pbx.channels if c.name.endswith(";2"))
        # Answer first (it waits half a second for media), then the Wait of priority 2
        assert wait_until(lambda: two.application == "Wait", timeout=10)
        assert (two.data, two.priority) == ("30", 2)


def test_the_sip_port_shows_in_chan_sips_from_header_when_not_5060() -> None:
    with AMIServer.as_recorded("20", sip_port=15060) as pbx, _session(pbx) as ami:
        ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
    sender = pbx.notifies[0].header("From") or ""
    assert sender.startswith('"asterisk" <sip:asterisk@127.0.0.1:15060>;tag=')
